"""Crash points for the kill -9 tests: the process stops dead at a named moment.

A timed ``kill -9`` cannot land in the instant between a provider's create returning and the
physical id being saved, yet that instant is the one the creation tokens exist for. Setting
``CFNAPI_CRASH_AFTER_CREATE`` to logical ids (comma-separated) makes the engine end the process
(``os._exit``: no cleanup, no flush, as ``kill -9`` would) right after the create call of such a
resource returned and before its id is written. Unset — always, outside those tests — it costs a
set lookup.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

_AFTER_CREATE = frozenset(filter(None, os.environ.get("CFNAPI_CRASH_AFTER_CREATE", "").split(",")))


def after_create(logical_id: str) -> None:
    if logical_id in _AFTER_CREATE:
        log.warning("crash point: stopping the process after %s's create call, before saving its id", logical_id)
        logging.shutdown()
        os._exit(137)
