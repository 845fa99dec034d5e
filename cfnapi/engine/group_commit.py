"""Group commit: writes from many threads share one transaction.

With hundreds of resources in flight, each status change + event was its own
transaction, and beginning and committing them cost a third of the engine's
time. Here a thread that wants to write queues its work; one thread at a time
(the leader) runs everything queued in a single transaction and commits it.
Every caller still returns only after *its* work is committed, and each piece
of work (a status change with its event) is entirely inside one transaction,
so nothing about durability changes — only the number of commits.

If the shared transaction fails, it is rolled back and each piece of work is
retried in a transaction of its own, so one bad write fails only its caller.

Work receives a ``Batch``: ``execute`` runs a statement at once (an insert
whose generated id is needed), ``defer`` queues parameters for a statement
that runs once for the whole batch, with every queued parameter set
(executemany), just before the commit; ``defer_insert`` does the same for new
rows whose generated ids the callers need (one multi-row INSERT … RETURNING), and
``defer_rows`` for new rows whose ids nobody needs (events).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from cfnapi.db import Database
from cfnapi.engine.driver_sql import insert_many, insert_returning



class Batch:
    def __init__(self, connection: Connection):
        self.connection = connection
        self._deferred: dict[int, tuple[object, list[dict]]] = {}
        self._inserts: dict[tuple, tuple[list[dict], list[Callable[[int], None]]]] = {}
        self._rows: dict[tuple, list[dict]] = {}
        self._done_once: set = set()

    def execute(self, statement, parameters=None):
        return self.connection.execute(statement, parameters)

    def once(self, key, check: Callable[[Connection], None]) -> None:
        """Run ``check(connection)`` the first time ``key`` is seen in this batch (e.g. a
        lease check shared by every change of one stack in the batch)."""
        if key not in self._done_once:
            check(self.connection)
            self._done_once.add(key)

    def defer(self, statement, parameters: dict) -> None:
        """Run ``statement`` with ``parameters`` before this batch commits (together with
        every other parameter set deferred for the same statement object)."""
        self._deferred.setdefault(id(statement), (statement, []))[1].append(parameters)

    def defer_insert(self, table, parameters: dict, on_id: Callable[[int], None], identity: tuple[str, ...]) -> None:
        """Insert a row into ``table`` before this batch commits, together with every other
        row deferred for it (one multi-row INSERT); ``on_id`` receives the row's generated
        ``id``. ``identity`` names columns whose values tell the batch's rows apart: the
        returned rows are matched to the callers by them (a database need not return rows
        in the order given). Inserts run before the other deferred statements."""
        key = (table, identity, tuple(parameters))
        rows_and_callbacks = self._inserts.setdefault(key, ([], []))
        rows_and_callbacks[0].append(parameters)
        rows_and_callbacks[1].append(on_id)

    def defer_rows(self, table, parameters: dict) -> None:
        """Insert a row into ``table`` before this batch commits, together with every other
        row deferred for it (one driver-level executemany, see ``driver_sql``)."""
        self._rows.setdefault((table, tuple(parameters)), []).append(parameters)

    def _insert_rows(self, table, identity: tuple[str, ...], rows: list[dict], callbacks: list) -> None:
        keys = [tuple(row[name] for name in identity) for row in rows]
        if len(set(keys)) < len(keys):  # not told apart: one statement each
            for row, on_id in zip(rows, callbacks):
                on_id(insert_returning(self.connection, table, [row], ("id",))[0][0])
            return
        returned = insert_returning(self.connection, table, rows, ("id", *identity))
        ids = {tuple(found[1:]): found[0] for found in returned}
        for key, on_id in zip(keys, callbacks):
            on_id(ids[key])

    def flush(self) -> None:
        for (table, identity, _), (rows, callbacks) in self._inserts.items():
            self._insert_rows(table, identity, rows, callbacks)
        self._inserts.clear()
        for statement, rows in self._deferred.values():
            self.connection.execute(statement, rows)
        self._deferred.clear()
        for (table, _), rows in self._rows.items():
            insert_many(self.connection, table, rows)
        self._rows.clear()


Work = Callable[[Batch], None]


@dataclass(eq=False)
class _Pending:
    work: Work
    undo: Callable[[], None]  # restores in-memory state the work changed, before a retry
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # set when this waiter must take over as leader
    error: BaseException | None = None


class GroupCommitter:
    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._leading = False
        self._connection: Connection | None = None  # the leader's; see _leader_connection

    def run(self, work: Work, undo: Callable[[], None] = lambda: None) -> None:
        """Run ``work(batch)`` in a transaction; returns once it is committed."""
        mine = _Pending(work, undo)
        with self._lock:
            self._queue.append(mine)
            lead = not self._leading
            self._leading = True
        if not lead:
            mine.done.wait()
            lead = mine.lead
            if lead:  # handed the lead; our own work is still queued
                mine.lead, mine.done = False, threading.Event()
        if lead:
            self._lead(mine)
        if mine.error is not None:
            raise mine.error

    def _lead(self, mine: _Pending) -> None:
        """Commit batches until this caller's own work is done, then hand over."""
        while not mine.done.is_set():
            with self._lock:
                batch, self._queue = self._queue, []
            self._commit(batch)
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.done.set()
            else:
                self._leading = False

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with self.db.transaction_on(self._leader_connection()) as connection:
                shared = Batch(connection)
                for pending in batch:
                    pending.work(shared)
                shared.flush()
        except BaseException:
            self._drop_leader_connection()  # it may be broken; the retries take fresh ones
            for pending in batch:
                pending.undo()
                self._commit_alone(pending)
            return
        for pending in batch:
            pending.done.set()

    def _leader_connection(self) -> Connection:
        """The connection batches are committed on, kept from one batch to the next (only
        the leader uses it, one leader at a time): checking a connection out of the pool
        and resetting it on return cost about a fifth of a lone status change."""
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = self.db.engine.connect()
        return self._connection

    def _drop_leader_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

    def _commit_alone(self, pending: _Pending) -> None:
        try:
            with self.db.core_transaction() as connection:
                alone = Batch(connection)
                pending.work(alone)
                alone.flush()
        except BaseException as error:  # delivered to the caller
            pending.undo()
            pending.error = error
        pending.done.set()


_COMMITTERS: weakref.WeakKeyDictionary[Database, GroupCommitter] = weakref.WeakKeyDictionary()
_COMMITTERS_LOCK = threading.Lock()


def committer_for(db: Database) -> GroupCommitter:
    with _COMMITTERS_LOCK:
        committer = _COMMITTERS.get(db)
        if committer is None:
            committer = _COMMITTERS[db] = GroupCommitter(db)
        return committer
