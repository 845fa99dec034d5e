"""An in-place Nova resize driven to the end, one poll at a time.

AWS changes an instance's type by stop / modify / start and leaves nothing to
accept; Nova resizes in two steps (RESIZE → VERIFY_RESIZE, then confirm) and
reports progress through status *and* task_state:

- RESIZE, or any status with a ``resize_*`` task_state, is still in progress
  (Nova keeps status VERIFY_RESIZE while a confirm runs: task_state
  ``resize_confirming``; confirming then would be refused);
- VERIFY_RESIZE with no task_state waits for a confirm, which we send once.
  Nova's confirm API sets no task_state: the server stays VERIFY_RESIZE until
  the compute host has finished, and a second confirm meanwhile is refused
  ("Instance has not been resized."). Nova may also confirm by itself
  (``resize_confirm_window``); ours is then refused the same way (or with
  "vm_state active" once it is done). A refused confirm therefore means
  someone is confirming: keep polling;
- ERROR ends the update with Nova's fault message;
- idle on the flavor asked for is done. Idle on another flavor after Nova
  accepted the resize means Nova gave up (no host, say) and put it back.

A rollback is a resize back to the old flavor. The server may still be busy
with the forward resize then, and Nova refuses a resize until it is idle, so
the resize waits here (in memory: update and its completion checks run in the
same worker, as for the instance's ports) and is sent on the first idle poll.
"""

from __future__ import annotations

import threading

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import (
    SERVER_ACTIVE,
    SERVER_ERROR,
    SERVER_RESIZE,
    SERVER_SHUTOFF,
    SERVER_VERIFY_RESIZE,
    CloudProvider,
    Flavor,
    Server,
)
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.cloud_calls import call

_IDLE = (SERVER_ACTIVE, SERVER_SHUTOFF)

# Resizes asked for while the server was busy, by server id: the flavor id to send.
_deferred: dict[str, str] = {}
# Servers in VERIFY_RESIZE whose confirm was sent (by us or, as its refusal showed, by Nova).
_confirming: set[str] = set()
_lock = threading.Lock()


def on_flavor(server: Server, flavor: Flavor) -> bool:
    # Nova ≥ 2.47 shows the flavor by name only (original_name), older ones by id.
    return server.flavor_id in (flavor.id, flavor.name)


def is_busy(server: Server) -> bool:
    return server.status in (SERVER_RESIZE, SERVER_VERIFY_RESIZE) or bool(server.task_state)


def start_resize(cloud: CloudProvider, server: Server, flavor: Flavor) -> None:
    """Ask Nova to move ``server`` onto ``flavor``, now if it is idle, else on a later poll."""
    if on_flavor(server, flavor) and not is_busy(server):
        return
    if server.status in _IDLE and not server.task_state:
        call(cloud.resize_server, server.id, flavor.id)
        return
    if server.status == SERVER_ERROR:
        raise _failure(server)
    with _lock:
        _deferred[server.id] = flavor.id


def resize_done(cloud: CloudProvider, server: Server, flavor: Flavor) -> bool:
    """One poll: True once ``server`` runs idle on ``flavor``; confirms or sends a deferred resize on the way."""
    if server.status == SERVER_ERROR:
        _forget(server.id)
        raise _failure(server)
    if server.status == SERVER_VERIFY_RESIZE and not server.task_state:
        _confirm_once(cloud, server)
        return False
    with _lock:
        _confirming.discard(server.id)
    if is_busy(server):
        return False
    with _lock:
        deferred = _deferred.pop(server.id, None)
    if deferred is not None and not on_flavor(server, flavor):
        call(cloud.resize_server, server.id, deferred)
        return False
    if not on_flavor(server, flavor):
        raise ResourceFailure(
            f"Nova did not resize server {server.name} to flavor {flavor.name}: it is back on "
            f"{server.flavor_id} ({server.status}); its instance actions say why.")
    return True


def _confirm_once(cloud: CloudProvider, server: Server) -> None:
    with _lock:
        if server.id in _confirming:
            return
    try:
        cloud.confirm_server_resize(server.id)
    except CloudError as refused:
        if refused.kind not in (ErrorKind.CONFLICT, ErrorKind.INVALID):
            raise ResourceFailure(refused.message) from refused
    with _lock:
        _confirming.add(server.id)


def _failure(server: Server) -> ResourceFailure:
    return ResourceFailure(server.fault or f"Server {server.name} went into ERROR state")


def _forget(server_id: str) -> None:
    with _lock:
        _deferred.pop(server_id, None)
        _confirming.discard(server_id)
