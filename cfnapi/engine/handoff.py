"""Definitions CreateStack compiled, handed to this process's worker for the create.

CreateStack compiles the template to validate it; the worker that then runs the
create needs the same definition (same body, parameter values and identity).
Compiling a 500-resource template again cost about a tenth of the create's CPU,
so the API leaves its definition here and the worker takes it. Anything that does
not match exactly (another stack state, an edited body, a worker in another
process, a resumed create) compiles as before; entries nobody takes are dropped,
oldest first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from cfnapi.engine.definition import StackDefinition

_KEPT = 4  # creates whose worker has not started yet; a worker takes its entry within milliseconds


class DefinitionHandOff:
    def __init__(self, kept: int = _KEPT):
        self._kept = kept
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[str, dict[str, Any], StackDefinition]] = OrderedDict()

    def keep(self, stack_id: str, body: str, definition: StackDefinition) -> None:
        with self._lock:
            self._entries[stack_id] = (body, dict(definition.parameter_values), definition)
            while len(self._entries) > self._kept:
                self._entries.popitem(last=False)

    def take(self, stack_id: str, body: str, parameters: Mapping[str, Any] | None) -> StackDefinition | None:
        """The definition kept for ``stack_id`` if it was compiled from ``body`` and ``parameters``."""
        with self._lock:
            entry = self._entries.pop(stack_id, None)
        if entry is None:
            return None
        kept_body, kept_parameters, definition = entry
        return definition if kept_body == body and kept_parameters == dict(parameters or {}) else None
