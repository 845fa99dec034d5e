"""What every cloud-backed type shares: reaching the provider, turning
``CloudError`` into the engine's two failure kinds, and naming what it creates.

A provider failure keeps the service's own sentence (Nova's "Image … could not
be found.") because that is what the user needs in the stack event.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.naming import CloudNaming
from cfnapi.cloud.provider import CloudProvider
from cfnapi.translate.base import ResourceContext, ResourceFailure, TransientError

T = TypeVar("T")


def provider(ctx: ResourceContext) -> CloudProvider:
    return ctx.cloud.provider(ctx.account_id)


def naming(ctx: ResourceContext) -> CloudNaming:
    return ctx.cloud.naming(ctx.account_id)


@contextlib.contextmanager
def cloud_errors() -> Iterator[None]:
    """CloudError → TransientError when worth retrying, else ResourceFailure."""
    try:
        yield
    except CloudError as error:
        if error.retryable:
            raise TransientError(error.message) from error
        raise ResourceFailure(error.message) from error


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with cloud_errors():
        return fn(*args, **kwargs)


def gone_ok(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Run a delete-like call; an already-missing target is success. True if it existed."""
    try:
        with cloud_errors():
            fn(*args, **kwargs)
    except ResourceFailure as failure:
        if isinstance(failure.__cause__, CloudError) and failure.__cause__.kind is ErrorKind.NOT_FOUND:
            return False
        raise
    return True


def exists(fn: Callable[..., T], *args: Any) -> T | None:
    """A get that answers None for NotFound (used by check_delete_complete)."""
    try:
        return fn(*args)
    except CloudError as error:
        if error.kind is ErrorKind.NOT_FOUND:
            return None
        if error.retryable:
            raise TransientError(error.message) from error
        raise ResourceFailure(error.message) from error


def physical_name(ctx: ResourceContext, max_length: int = 255) -> str:
    """CloudFormation's generated-name shape: stack-logical-RANDOM, unique across replacements.
    RANDOM is the engine's creation token when it gave one (so the name can be found again)."""
    suffix = (ctx.creation_token or uuid.uuid4().hex[:12]).upper()
    head = f"{ctx.stack_name}-{ctx.logical_id}"[: max_length - len(suffix) - 1]
    return f"{head}-{suffix}"


def find_by_name(items, ctx: ResourceContext, max_length: int = 255) -> str | None:
    """``find_created`` for types whose cloud objects carry the ``physical_name``."""
    found = find_named(items, ctx, max_length)
    return found.id if found is not None else None


def find_named(items, ctx: ResourceContext, max_length: int = 255):
    """The item whose name is the ``physical_name`` made under ``ctx.creation_token`` (None without one)."""
    if not ctx.creation_token:
        return None
    name = physical_name(ctx, max_length)
    return next((item for item in items if item.name == name), None)


def creation_marker(ctx: ResourceContext) -> str:
    """What marks a cloud object with no name of its own (a floating IP, a security group rule, an
    access key) as made by this create: the ``physical_name`` it would have had, so the token is
    there. It goes in a field the service stores with the create request itself (Neutron's
    ``description``), never in a second call a crash could separate from it. "" without a token."""
    return physical_name(ctx) if ctx.creation_token else ""


def find_marked(items, ctx: ResourceContext, marker_of: Callable[[Any], str | None]):
    """The item whose marker (``marker_of(item)``) is this create's ``creation_marker`` (None without a token)."""
    marker = creation_marker(ctx)
    if not marker:
        return None
    return next((item for item in items if marker_of(item) == marker), None)


# How far a cloud's clock may lag this server's when its object's created_at is compared with the
# moment the creation token was saved. cfnapi's own stores need none: the process that saved the
# token is the one that wrote the row, after it.
CLOUD_CLOCK_SKEW = dt.timedelta(seconds=60)


def made_since_token(ctx: ResourceContext, created_at: dt.datetime | None,
                     skew: dt.timedelta = dt.timedelta(0)) -> bool:
    """Whether an object named by the template (so carrying no token) was made after this create's
    token was saved: one that existed before is someone else's, and would have failed the create."""
    if not ctx.creation_token or ctx.token_saved_at is None or created_at is None:
        return False
    return _utc(created_at) >= _utc(ctx.token_saved_at) - skew


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timezone-aware columns back naive; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def short_id(prefix: str) -> str:
    """An AWS-looking id (``igw-0a1b…``) for things that have no cloud object."""
    return f"{prefix}-{uuid.uuid4().hex[:17]}"


def truthy(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def tags_of(props: Mapping[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in props.get("Tags") or [] if t.get("Key")}


def as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def recorded_only(props: Mapping[str, Any], names: tuple[str, ...], where: str) -> str | None:
    """The COMPLETE event's reason for properties set in ``props`` that ``where`` only records."""
    present = [name for name in names if props.get(name) not in (None, "", [], {})]
    return f"Recorded, not enforced {where}: {', '.join(present)}." if present else None
