"""Where a resource action runs.

Most resource actions run in the runtime's bounded resource pool. A nested
stack's action is different: it waits for a child stack whose own resources
need that pool. Were the waiting actions pool threads too, enough nested stacks
created at once (32 with the default pool) would hold every thread while their
children's resources queued behind them — a deadlock. So actions of types that
wait on a stack get a thread of their own; they cost a mostly-sleeping thread
each and never delay anything else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future


class ThreadPerTask(Executor):
    """An executor that starts a daemon thread for every task (nothing queues)."""

    def __init__(self, thread_name: str):
        self.thread_name = thread_name

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to whoever waits on the future
                future.set_exception(error)
            else:
                future.set_result(result)

        threading.Thread(target=run, name=self.thread_name, daemon=True).start()
        return future


class RoutedPool(Executor):
    """Submits ``fn(node, …)`` to ``waiting`` when ``waits(node)``, else to ``bounded``
    (``run_graph`` submits its action with the node as the first argument)."""

    def __init__(self, bounded: Executor, waiting: Executor, waits: Callable[[str], bool]):
        self.bounded, self.waiting, self.waits = bounded, waiting, waits

    def submit(self, fn, /, *args, **kwargs) -> Future:
        pool = self.waiting if args and self.waits(args[0]) else self.bounded
        return pool.submit(fn, *args, **kwargs)
