"""Prints docs/resource-types.md from the registry:
``python -m cfnapi.translate.doc_table > docs/resource-types.md``."""

from __future__ import annotations

from cfnapi.translate.registry import builtin_resource_types

HEADER = """# Supported resource types

Generated from `cfnapi.translate.registry` by `python -m cfnapi.translate.doc_table`; do not edit.
Properties marked *(replace)* replace the resource when changed (AWS's createOnlyProperties,
or a change this cloud cannot make in place). Properties not listed are accepted and ignored.
For types with nothing underneath to enforce them, the last column is the sentence their
CREATE_COMPLETE and UPDATE_COMPLETE events give as the reason: what is only recorded, what is checked.

| Type | OpenStack mapping | Properties honoured | Not honoured |
|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [HEADER]
    for type_name, cls in sorted(builtin_resource_types().items()):
        props = ", ".join(
            f"{spec.name}{' *(replace)*' if cls.update_behaviour(spec.name) == 'replace' else ''}"
            for spec in cls.properties
        ) or "—"
        mapping = getattr(cls, "openstack_mapping", "") or "owned by the engine (no cloud resource)"
        missing = " ".join(text for text in (getattr(cls, "not_honoured", ""), cls.recorded_note) if text) or "—"
        lines.append(f"| `{type_name}` | {_cell(mapping)} | {_cell(props)} | {_cell(missing)} |\n")
    return "".join(lines)


if __name__ == "__main__":
    print(render(), end="")
