"""Dynamic references: ``{{resolve:ssm:name[:version]}}`` inside property strings.

CloudFormation replaces them when a resource's properties are resolved for a
create or update, not at validation; the value never appears in the template
the stack stores. Only the SSM store exists here: ``ssm-secure`` reads the
same store (cfnapi keeps no separate key management), ``secretsmanager`` has
no backing service and fails with a plain message instead of passing the
literal reference on to the cloud.
"""

from __future__ import annotations

import re
from typing import Any

from cfnapi.template.errors import TemplateError
from cfnapi.template.parameters import ParameterStore

REFERENCE = re.compile(r"\{\{resolve:([a-z-]+):([^}]+)\}\}")
_VERSIONED = re.compile(r"^(?P<name>.+):(?P<version>\d+)$")


def resolve_dynamic_references(value: Any, ssm: ParameterStore | None) -> Any:
    """``value`` with every dynamic reference in its strings replaced (recursively)."""
    if isinstance(value, str):
        return REFERENCE.sub(lambda match: _lookup(match.group(1), match.group(2), ssm), value) \
            if "{{resolve:" in value else value
    if isinstance(value, dict):
        return {key: resolve_dynamic_references(item, ssm) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_dynamic_references(item, ssm) for item in value]
    return value


def _lookup(service: str, reference: str, ssm: ParameterStore | None) -> str:
    if service not in ("ssm", "ssm-secure"):
        raise TemplateError(f"Dynamic reference {{{{resolve:{service}:...}}}} is not supported: "
                            "this server has no such service (use resolve:ssm).")
    versioned = _VERSIONED.match(reference)
    # The store answers the current version; a pinned version is read as the current one.
    name = versioned.group("name") if versioned else reference
    value = ssm.get(name) if ssm is not None else None
    if value is None:
        raise TemplateError(f"Parameters: [{name}] cannot be found.")
    return value
