"""The scoreboard: rows of (subject, step, outcome, detail)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

PASS, FAIL, SKIP = "pass", "FAIL", "skip"


class Skip(Exception):
    """A step that cannot run here, with the reason shown in the table."""


@dataclass
class Row:
    subject: str
    step: str
    outcome: str
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def run(self, subject: str, step: str, action: Callable[[], str | None]) -> bool:
        started = time.monotonic()
        try:
            detail = action() or ""
            outcome = PASS
        except Skip as skip:
            outcome, detail = SKIP, str(skip)
        except Exception as exc:  # a failed step is a row, never a crash of the suite
            outcome = FAIL
            detail = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, AssertionError):
                detail += " | " + traceback.format_exc(limit=3).strip().splitlines()[-1]
        self.rows.append(Row(subject, step, outcome, detail.replace("\n", " ")[:300], time.monotonic() - started))
        return outcome == PASS

    def skip(self, subject: str, step: str, reason: str) -> None:
        self.rows.append(Row(subject, step, SKIP, reason))

    def counts(self) -> tuple[int, int, int]:
        outcomes = [row.outcome for row in self.rows]
        return outcomes.count(PASS), outcomes.count(FAIL), outcomes.count(SKIP)

    def render(self) -> str:
        width_subject = max([len(r.subject) for r in self.rows] + [7])
        width_step = max([len(r.step) for r in self.rows] + [4])
        lines = [f"{'subject':<{width_subject}}  {'step':<{width_step}}  outcome  seconds  detail"]
        for row in self.rows:
            lines.append(
                f"{row.subject:<{width_subject}}  {row.step:<{width_step}}  {row.outcome:<7}  "
                f"{row.seconds:7.2f}  {row.detail}"
            )
        passed, failed, skipped = self.counts()
        lines.append(f"{passed} passed, {failed} failed, {skipped} skipped")
        return "\n".join(lines)
