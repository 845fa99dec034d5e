"""The CloudFormation template language: loading, parameters, conditions, functions, outputs.

Pure: no database, no cloud, no HTTP. ``parse_template`` turns text into a
``Template`` (every intrinsic function parsed into an object once); the
engine resolves its pieces against a running stack through ``resolve``.
"""

from cfnapi.template.attributes import check_against_types, check_get_att_attributes
from cfnapi.template.capabilities import required_capabilities
from cfnapi.template.conditions import active_resources, evaluate_conditions
from cfnapi.template.dependencies import dependency_graph, dependency_order_check
from cfnapi.template.errors import TemplateError
from cfnapi.template.expr import Expr, Intrinsic, ResolutionEnv, to_data
from cfnapi.template.loader import TEMPLATE_BODY_MAX_BYTES, TEMPLATE_URL_MAX_BYTES
from cfnapi.template.model import (
    OutputDefinition, ParameterDefinition, ResourceDefinition, RuleDefinition, Template,
)
from cfnapi.template.parameters import CloudLookup, ParameterStore, ResolvedParameters, resolve_parameters
from cfnapi.template.parser import parse_template
from cfnapi.template.pseudo import NO_VALUE, PSEUDO_PARAMETERS, StackIdentity
from cfnapi.template.registry import FUNCTIONS
from cfnapi.template.resolution import ResolvedOutput, resolve, resolve_outputs
from cfnapi.template.summary import (
    check_resource_types, processed_template_body, template_summary, validate_template_result,
)

__all__ = [
    "FUNCTIONS", "NO_VALUE", "PSEUDO_PARAMETERS", "TEMPLATE_BODY_MAX_BYTES", "TEMPLATE_URL_MAX_BYTES",
    "CloudLookup", "Expr", "Intrinsic", "OutputDefinition", "ParameterDefinition", "ParameterStore",
    "ResolutionEnv", "ResolvedOutput", "ResolvedParameters", "ResourceDefinition", "RuleDefinition",
    "StackIdentity", "Template", "TemplateError",
    "active_resources", "check_against_types", "check_get_att_attributes", "check_resource_types",
    "dependency_graph", "dependency_order_check", "evaluate_conditions", "parse_template",
    "processed_template_body", "required_capabilities", "resolve", "resolve_outputs", "resolve_parameters", "template_summary", "to_data", "validate_template_result",
]
