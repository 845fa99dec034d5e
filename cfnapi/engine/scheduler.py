"""Runs a dependency graph of resource actions in parallel.

Every node whose dependencies have succeeded is submitted to the pool at once.
When one fails, or ``stop`` is set (cancel, timeout), nothing new starts and
the nodes in flight are left to notice ``stop`` and end as cancelled.
"""

from __future__ import annotations

import graphlib
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Protocol


log = logging.getLogger(__name__)


class ActionFailed(Exception):
    """A node failed; its failure is already recorded (event written)."""


class ActionCancelled(Exception):
    """A node stopped because ``stop`` was set; already recorded."""


@dataclass
class GraphOutcome:
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    not_started: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.cancelled or self.not_started)


def reverse_graph(graph: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Edges flipped: a node then waits for everything that depended on it
    (deletion order)."""
    reversed_: dict[str, set[str]] = {node: set() for node in graph}
    for node, deps in graph.items():
        for dep in deps:
            if dep in reversed_:
                reversed_[dep].add(node)
    return reversed_


class AtOnce(Protocol):
    """Nodes the scheduler runs itself, a ready wave at a time, instead of handing each to
    the pool (resources complete as soon as they exist: no thread hand-off). What a wave
    does is kept in memory until ``commit``, so the waves that follow it at once (a
    DependsOn chain) share its transaction; nothing the pool runs starts before that."""

    def takes(self, node: str) -> bool: ...

    def run(self, nodes: list[str]) -> list[str]:
        """Run ``nodes`` together, in memory; returns those it left for the pool (``action``
        runs them as usual). Raises when the wave failed: then every node it did not leave failed."""
        ...

    def commit(self) -> None:
        """Write what the waves since the last commit did, in one transaction (raises if not)."""
        ...


def run_graph(
    graph: Mapping[str, Iterable[str]],
    action: Callable[[str], None],
    pool: Executor,
    stop: threading.Event,
    *,
    halt_on_failure: bool = True,
    at_once: AtOnce | None = None,
) -> GraphOutcome:
    """Run ``action(node)`` for every node after its dependencies (edges to
    nodes outside ``graph`` are ignored). Returns what happened to each node.

    With ``halt_on_failure`` false (deletion), a failure only holds back the
    nodes that wait for the failed one; independent branches carry on. Nodes
    ``at_once`` takes are run by it in this thread, each ready wave together; the waves
    that follow one another without anything else in between share one commit."""
    nodes = set(graph)
    sorter = graphlib.TopologicalSorter({n: {d for d in deps if d in nodes} for n, deps in graph.items()})
    sorter.prepare()  # raises graphlib.CycleError; templates are checked for cycles before this
    outcome = GraphOutcome()
    in_flight: dict[Future, str] = {}
    # Finished futures arrive here. (``concurrent.futures.wait`` would install a waiter
    # on every future in flight at each call: quadratic for 500 parallel resources.)
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
    halted = False

    def settle(node: str, error: BaseException | None) -> None:
        if error is None:
            outcome.succeeded.append(node)
            sorter.done(node)
        else:
            # ActionFailed, ActionCancelled, or a bug in the action.
            settle_failure(node, error)

    def submit(node: str) -> None:
        future = pool.submit(action, node)
        in_flight[future] = node
        future.add_done_callback(finished.put)

    uncommitted: list[str] = []  # done by ``at_once`` in memory; their dependants may run at once too

    def commit_at_once() -> None:
        """Write what ``at_once`` did: before anything the pool runs (which may depend on it)
        starts, and before waiting or returning."""
        nonlocal halted
        if not uncommitted:
            return
        nodes = list(uncommitted)
        uncommitted.clear()
        try:
            at_once.commit()
        except BaseException as error:  # noqa: BLE001 - these nodes failed, as pool nodes' would
            log.exception("%d nodes run together failed to be written", len(nodes))
            for node in nodes:
                settle_failure(node, error)
            halted = True  # their dependants may have run on what was not written
            return
        outcome.succeeded.extend(nodes)

    def settle_failure(node: str, error: BaseException) -> None:
        nonlocal halted
        if isinstance(error, ActionCancelled):
            outcome.cancelled.append(node)
            halted = True
        else:
            outcome.failed.append(node)
            if halt_on_failure:
                halted = True
                stop.set()

    def start_ready() -> bool:
        """Start every ready node; True when some finished here and then (more may be ready)."""
        wave, for_pool = [], []
        for node in sorter.get_ready():
            if halted or stop.is_set():
                outcome.not_started.append(node)
            elif at_once is not None and at_once.takes(node):
                wave.append(node)
            else:
                for_pool.append(node)
        submit_all(for_pool)
        if not wave:
            return False
        try:
            left = set(at_once.run(wave))
        except BaseException as error:  # noqa: BLE001 - the wave's nodes failed, as a pool node's would
            log.exception("%d nodes run together failed", len(wave))
            for node in wave:
                settle_failure(node, error)
            return False
        done = [node for node in wave if node not in left]
        uncommitted.extend(done)
        submit_all([node for node in wave if node in left])
        for node in done:
            sorter.done(node)
        return bool(done)

    def submit_all(for_pool: list[str]) -> None:
        if for_pool:
            commit_at_once()  # what they may depend on is written before they start
        for node in for_pool:
            if halted:
                outcome.not_started.append(node)
            else:
                submit(node)

    while True:
        if not halted and start_ready():
            continue
        commit_at_once()
        if not in_flight:
            break
        done = [finished.get()]
        while not finished.empty():
            done.append(finished.get())
        for future in done:
            settle(in_flight.pop(future), future.exception())
    # Whatever never became ready (downstream of a failure) was not started either.
    started = set(outcome.succeeded) | set(outcome.failed) | set(outcome.cancelled) | set(outcome.not_started)
    outcome.not_started.extend(n for n in graph if n not in started)
    return outcome
