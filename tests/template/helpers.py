"""Shared fixtures for the template tests: a fake engine environment and shortcuts."""

from __future__ import annotations

from typing import Any

from cfnapi.template import (
    StackIdentity, evaluate_conditions, parse_template, resolve, resolve_parameters,
)

IDENTITY = StackIdentity(
    account_id="123456789012",
    region="eu-west-1",
    stack_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/abc",
    stack_name="demo",
    notification_arns=("arn:aws:sns:eu-west-1:123456789012:topic",),
)


class FakeEnv:
    """Physical ids are "<id>-phys"; attributes are "<id>.<attr>"; exports come from a dict."""

    def __init__(self, exports: dict[str, str] | None = None):
        self.exports = exports or {"shared-vpc": "vpc-123"}

    def ref_resource(self, logical_id: str) -> str:
        return f"{logical_id}-phys"

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return f"{logical_id}.{attribute}"

    def import_value(self, export_name: str) -> str:
        return self.exports[export_name]

    def availability_zones(self) -> list[str]:
        return ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def resolve_property(body: str, supplied: dict[str, str] | None = None, resource: str = "R", prop: str = "P") -> Any:
    """Parse a template and resolve one property of one resource."""
    template = parse_template(body)
    params = resolve_parameters(template, supplied or {})
    conditions = evaluate_conditions(template, params, IDENTITY)
    properties = resolve(template.resources[resource].properties, FakeEnv(), params, conditions, IDENTITY)
    return properties.get(prop, "<removed>")
