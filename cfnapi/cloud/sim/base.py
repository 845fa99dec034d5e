"""What every part of the sim shares: the database, the project, the clock and the config."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cfnapi.cloud.errors import CloudError, ErrorKind, forbidden
from cfnapi.cloud.sim import quotas
from cfnapi.cloud.sim.config import SimConfig
from cfnapi.db import Database

Clock = Callable[[], dt.datetime]
Row = TypeVar("Row")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands timezone-aware columns back naive; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def elapsed_seconds(since: dt.datetime, now: dt.datetime) -> float:
    return (now - as_utc(since)).total_seconds()


def merged_metadata(current: Mapping[str, str] | None, items: Mapping[str, str],
                    remove_keys: Sequence[str] = ()) -> dict[str, str]:
    """Nova's and Cinder's metadata POST (add or change) followed by per-key DELETEs; a fresh
    dict, so the JSON column sees the change."""
    merged = {**(current or {}), **{str(k): str(v) for k, v in items.items()}}
    for key in remove_keys:
        merged.pop(key, None)
    return merged


class SimService:
    """Base of the per-service parts of ``SimCloud`` (compute, network, storage)."""

    def __init__(self, db: Database, project_id: str, config: SimConfig, clock: Clock = utc_now):
        if not project_id:
            raise ValueError("the sim cloud is always used on behalf of one project")
        self.db = db
        self.project_id = project_id
        self.config = config
        self.clock = clock

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with self.db.transaction() as session:
                yield session
        except IntegrityError as error:
            if not _is_unique_violation(error):
                raise
            # Two concurrent requests picked the same free address (or name): the
            # loser's transaction is rolled back whole. Neutron retries such a
            # DBDuplicateEntry itself; here the engine's transient retry does.
            raise CloudError(ErrorKind.UNAVAILABLE, "Conflict with a concurrent request; retry.") from error

    def _visible(self, model):
        """A select of rows this project may see: its own and the seed's shared ones."""
        return select(model).where(or_(model.project_id == self.project_id, model.project_id.is_(None)))

    def _owned(self, model):
        return select(model).where(model.project_id == self.project_id)

    def _find(self, session: Session, model: type[Row], row_id: str, missing: Callable[[str], CloudError]) -> Row:
        row = session.scalar(self._visible(model).where(model.id == row_id))
        if row is None:
            raise missing(row_id)
        return row

    def _find_owned(
        self, session: Session, model: type[Row], row_id: str, missing: Callable[[str], CloudError]
    ) -> Row:
        """A row this project may change; the seed's shared rows are read-only."""
        row = self._find(session, model, row_id, missing)
        if row.project_id is None:
            raise forbidden(
                f"{model.__tablename__[4:-1]} {row_id} is shared by the cloud and cannot be "
                "changed by this project"
            )
        return row

    def _enforce_quota(
        self,
        session: Session,
        resource: str,
        requested: int,
        refuse: Callable[[int, int], CloudError],
    ) -> None:
        """Raise ``refuse(used, allowed)`` when ``requested`` more would exceed the limit."""
        allowed = quotas.limit_for(session, self.project_id, resource)
        if allowed < 0:
            return
        quotas.lock_project_usage(session, self.project_id)
        used = quotas.usage(session, self.project_id, resource)
        if used + requested > allowed:
            raise refuse(used, allowed)


def _is_unique_violation(error: IntegrityError) -> bool:
    """SQLite says "UNIQUE constraint failed"; PostgreSQL uses SQLSTATE 23505."""
    original = error.orig
    return getattr(original, "sqlstate", None) == "23505" or getattr(original, "pgcode", None) == "23505" \
        or "UNIQUE constraint failed" in str(original)
