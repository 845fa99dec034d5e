"""The in-process worker: claims stacks that need work and runs their phases.

Claiming goes through a lease in the stack row, so several processes can share
one database: on PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``; SQLite
serialises writers anyway. A stack whose lease expired while it still needed
work belonged to a dead worker: it is taken over, with events saying so: an
unfinished update is failed (and rolled back), anything else is resumed
(phases.py says how).

SQLite is single-process by rule (docs/operations.md), so a worker starting on
SQLite knows every lease it finds belongs to a dead process and takes those
stacks over at once instead of waiting for the leases to expire.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import or_, select, update

from cfnapi.engine.models import StackRow, utcnow
from cfnapi.engine.phases import PHASES, USES_PREVIOUS_TEMPLATE
from cfnapi.engine.records import LeaseLost
from cfnapi.engine.run import OperationRun
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import ServiceError

log = logging.getLogger(__name__)

# Where a stack goes when its template cannot even be compiled by the worker.
_COMPILE_FAILURE_STATUS = {
    "CREATE_IN_PROGRESS": "CREATE_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_IN_PROGRESS",
}


class StackWorker:
    def __init__(self, runtime: EngineRuntime):
        self.runtime = runtime
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._active: set[str] = set()
        self._active_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self.runtime.db.is_sqlite:
            self.expire_leases_of_dead_processes()
        self._pool = ThreadPoolExecutor(self.runtime.settings.stack_threads, thread_name_prefix="cfn-stack")
        self._thread = threading.Thread(target=self._loop, name="cfn-worker", daemon=True)
        self._thread.start()
        log.info("stack worker %s started", self.runtime.worker_id)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def wake(self) -> None:
        """Called by the API after it queued work, so it starts without waiting for the next poll."""
        self._wake.set()

    def lease_new_stack(self) -> dt.datetime | None:
        """When this worker runs and has a stack thread free: the lease expiry a new stack's
        row is to be written with, owned by this worker (then call ``start_leased``)."""
        if self._thread is None or self._stopping.is_set():
            return None
        with self._active_lock:
            if len(self._active) >= self.runtime.settings.stack_threads:
                return None
        return utcnow() + dt.timedelta(seconds=self.runtime.settings.lease_seconds)

    def start_leased(self, stack_id: str) -> None:
        """Run a stack whose row was committed already leased to this worker (CreateStack)."""
        with self._active_lock:
            self._active.add(stack_id)
        self._pool.submit(self._process_and_release, stack_id, False)

    def _loop(self) -> None:
        poll = min(1.0, self.runtime.settings.lease_seconds / 4)
        while not self._stopping.is_set():
            try:
                for stack_id, interrupted in self.claim(self.runtime.settings.stack_threads - len(self._active)):
                    with self._active_lock:
                        self._active.add(stack_id)
                    self._pool.submit(self._process_and_release, stack_id, interrupted)
            except Exception:  # the loop must survive a database hiccup
                log.exception("claiming stacks failed")
            self._wake.wait(poll)
            self._wake.clear()

    def _process_and_release(self, stack_id: str, interrupted: bool) -> None:
        try:
            self.process(stack_id, interrupted)
        except Exception:
            log.exception("stack %s: phase failed unexpectedly", stack_id)
        finally:
            with self._active_lock:
                self._active.discard(stack_id)
            self._wake.set()

    def run_until_idle(self) -> None:
        """Synchronously claim and finish all work (tests, `cfnapi` one-shot use)."""
        while claimed := self.claim(100):
            for stack_id, interrupted in claimed:
                self.process(stack_id, interrupted)

    # --- claiming --------------------------------------------------------------------

    def claim(self, limit: int) -> list[tuple[str, bool]]:
        if limit <= 0:
            return []
        db, now = self.runtime.db, utcnow()
        expires = now + dt.timedelta(seconds=self.runtime.settings.lease_seconds)
        with db.transaction() as session:
            query = (
                select(StackRow.stack_id, StackRow.lease_owner)
                .where(
                    StackRow.needs_work.is_(True),
                    or_(StackRow.lease_owner.is_(None), StackRow.lease_expires_at < now),
                )
                .order_by(StackRow.created_at)
                .limit(limit)
            )
            if not db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            with self._active_lock:
                rows = [(sid, owner) for sid, owner in session.execute(query).all() if sid not in self._active]
            for stack_id, _ in rows:
                session.execute(
                    update(StackRow)
                    .where(StackRow.stack_id == stack_id)
                    .values(lease_owner=self.runtime.worker_id, lease_expires_at=expires)
                )
        for stack_id, owner in rows:
            if owner is not None and owner != self.runtime.worker_id:
                log.warning("stack %s: lease of worker %s expired; worker %s takes over", stack_id, owner,
                            self.runtime.worker_id)
        # A previous owner means a worker died holding the stack.
        return [(stack_id, owner is not None and owner != self.runtime.worker_id) for stack_id, owner in rows]

    def expire_leases_of_dead_processes(self) -> int:
        """SQLite only: any lease not ours was held by a process that is gone. Expiring it
        (keeping the owner) makes ``claim`` treat the stack as interrupted."""
        past = utcnow() - dt.timedelta(seconds=1)
        with self.runtime.db.transaction() as session:
            result = session.execute(
                update(StackRow)
                .where(StackRow.lease_owner.is_not(None), StackRow.lease_owner != self.runtime.worker_id)
                .values(lease_expires_at=past)
            )
        if result.rowcount:
            log.warning("took over %d stack(s) left in progress by a process that stopped", result.rowcount)
        return result.rowcount

    def _release(self, stack_id: str) -> None:
        with self.runtime.db.transaction() as session:
            session.execute(
                update(StackRow)
                .where(StackRow.stack_id == stack_id, StackRow.lease_owner == self.runtime.worker_id)
                .values(lease_owner=None, lease_expires_at=None)
            )

    # --- running phases --------------------------------------------------------------

    def process(self, stack_id: str, interrupted: bool = False) -> None:
        """Run phases until the stack needs no more work (or the lease is lost)."""
        try:
            while True:
                with self.runtime.db.transaction() as session:
                    stack = session.get(StackRow, stack_id)
                    if stack is None or stack.lease_owner != self.runtime.worker_id:
                        return
                    session.expunge(stack)
                phase = PHASES.get(stack.status)
                if not stack.needs_work or phase is None:
                    return
                run = self._open_run(stack)
                if run is None:
                    continue  # the stack moved on (compile failure recorded)
                log.info("stack %s: worker %s runs %s", stack_id, self.runtime.worker_id, stack.status)
                try:
                    with self._watchdog(run):
                        phase(run, interrupted)
                except LeaseLost:
                    # Paused past the lease: the new owner redoes what this phase was doing.
                    log.warning("stack %s: worker %s lost its lease; stops", stack_id, self.runtime.worker_id)
                    return
                log.info("stack %s: worker %s finished %s", stack_id, self.runtime.worker_id, stack.status)
                if run.stop_reason == "lease":
                    return
                interrupted = False
        finally:
            self._release(stack_id)

    def _open_run(self, stack: StackRow) -> OperationRun | None:
        body, params = stack.template_body, stack.parameters
        if stack.status in USES_PREVIOUS_TEMPLATE and stack.previous_template_body is not None:
            body, params = stack.previous_template_body, stack.previous_parameters or {}
        run = OperationRun(self.runtime, stack, None, lease_owner=self.runtime.worker_id)
        handed = self.runtime.compiled.take(stack.stack_id, body, params) if stack.status == "CREATE_IN_PROGRESS" else None
        try:
            run.definition = handed or self.runtime.compiler.compile(body, params, run.identity)
            if stack.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" and stack.previous_template_body:
                run.previous_definition = self.runtime.compiler.compile(
                    stack.previous_template_body, stack.previous_parameters or {}, run.identity
                )
        except ServiceError as error:
            next_status = _COMPILE_FAILURE_STATUS.get(stack.status)
            if next_status is None:
                raise
            run.recorder.stack_status(
                next_status, error.message, needs_work=next_status.endswith("IN_PROGRESS")
            )
            return None
        return run

    @contextlib.contextmanager
    def _watchdog(self, run: OperationRun):
        """While a phase runs: enforce the deadline, notice CancelUpdateStack, renew the lease."""
        finished = threading.Event()
        settings = self.runtime.settings

        def watch() -> None:
            while not finished.wait(settings.watchdog_seconds):
                try:
                    check()
                except Exception:  # a database hiccup must not end the watch
                    log.exception("stack %s: watchdog check failed", run.stack.name)

        def check() -> None:
            now = utcnow()
            if run.stack.operation_deadline is not None and now >= run.stack.operation_deadline:
                run.halt("timeout")
            with self.runtime.db.transaction() as session:
                renewed = session.execute(
                    update(StackRow)
                    .where(StackRow.stack_id == run.stack.stack_id, StackRow.lease_owner == self.runtime.worker_id)
                    .values(lease_expires_at=now + dt.timedelta(seconds=settings.lease_seconds))
                    .returning(StackRow.cancel_requested)
                ).first()
            if renewed is None:
                run.halt("lease")
            elif renewed.cancel_requested:
                run.halt("cancel")

        thread = threading.Thread(target=watch, name=f"cfn-watch-{run.stack.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            finished.set()
            thread.join()
