"""The engine's collaborators and knobs, built once per process."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from cfnapi.db import Database
from cfnapi.engine.definition import DefinitionCompiler
from cfnapi.engine.handoff import DefinitionHandOff
from cfnapi.template_url import TemplateUrlPolicy
from cfnapi.translate.registry import TypeRegistry


@dataclass(frozen=True)
class EngineSettings:
    poll_initial_seconds: float = 0.02  # first wait before re-checking a resource
    poll_max_seconds: float = 2.0
    poll_factor: float = 1.5
    transient_retries: int = 5
    # Resource operations in flight, all stacks together. Most of them wait (on the cloud,
    # or for their turn in a group commit), and the more wait together, the more status
    # changes share each commit: 128 instead of 32 cut the engine's CPU for 500 resources
    # by about a sixth. (An operation holds a database connection only while it writes.)
    resource_threads: int = 128
    stack_threads: int = 8  # stacks worked on at once by this process
    lease_seconds: float = 60.0  # a worker that stops renewing loses its stacks after this
    watchdog_seconds: float = 0.2  # how often a running operation checks cancel / timeout / lease
    # Length of one TimeoutInMinutes minute. Tests shrink it; nothing else should.
    seconds_per_timeout_minute: float = 60.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class EngineRuntime:
    db: Database
    registry: TypeRegistry
    compiler: DefinitionCompiler
    cloud: Any = None  # the provider handed to resource types
    presign_signal_url: Callable[[str, str], str] | None = None  # supplied by the API layer
    settings: EngineSettings = field(default_factory=EngineSettings)
    url_policy: TemplateUrlPolicy = field(default_factory=TemplateUrlPolicy)  # TemplateURL / StackPolicyURL
    # Called after an operation queued work (``StackWorker.wake``), so it starts at once.
    work_queued: Callable[[], None] | None = None
    # This process's worker taking a new stack directly (``StackWorker.lease_new_stack`` and
    # ``start_leased``): None where no worker runs here.
    lease_new_stack: Callable[[], dt.datetime | None] | None = None
    start_leased: Callable[[str], None] | None = None
    worker_id: str = field(default_factory=default_worker_id)
    # CreateStack's compiled definition, for this process's worker to run the create with.
    compiled: DefinitionHandOff = field(default_factory=DefinitionHandOff, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Short jobs an API call starts and does not wait for (computing a change set).
    _background: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _background_jobs: set[Future] = field(default_factory=set, init=False, repr=False)

    @property
    def resource_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.resource_threads, thread_name_prefix="cfn-resource")
            return self._pool

    def in_background(self, job: Callable[[], None]) -> None:
        with self._pool_lock:
            if self._background is None:
                self._background = ThreadPoolExecutor(2, thread_name_prefix="cfn-background")
            future = self._background.submit(job)
            self._background_jobs.add(future)
        future.add_done_callback(self._background_jobs.discard)

    def wait_for_background(self) -> None:
        """Until every background job started so far has finished (tests, shutdown)."""
        with self._pool_lock:
            jobs = list(self._background_jobs)
        wait(jobs)

    def notify_work(self) -> None:
        if self.work_queued is not None:
            self.work_queued()

    def shutdown(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            if self._background is not None:
                self._background.shutdown(wait=True)
                self._background = None
