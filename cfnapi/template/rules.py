"""Rules: each rule's Assertions must hold when its RuleCondition does."""

from __future__ import annotations

from cfnapi.template.condition_functions import resolve_boolean
from cfnapi.template.errors import TemplateError
from cfnapi.template.expr import ResolveContext
from cfnapi.template.model import Template
from cfnapi.template.rule_functions import PARAMETER_TYPES_KEY


def check_rules(template: Template, params: "ResolvedParameters") -> None:  # noqa: F821
    parameters = {**params.values, PARAMETER_TYPES_KEY: params.types}
    ctx = ResolveContext(parameters=parameters, conditions={}, identity=None, mappings=template.mappings)
    for rule in template.rules.values():
        if rule.rule_condition is not None and not resolve_boolean(rule.rule_condition, ctx, "RuleCondition"):
            continue
        for assertion in rule.assertions:
            if not resolve_boolean(assertion.condition, ctx, "Assert"):
                raise TemplateError(assertion.description or f"Template error: rule {rule.name} assertion failed")
