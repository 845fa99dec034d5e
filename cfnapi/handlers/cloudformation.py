"""CloudFormation operations.

Template-only operations (ValidateTemplate, GetTemplateSummary of a body) are
methods here over ``cfnapi.template``; every stack operation is the function
of the same snake_case name in ``cfnapi.engine.api``, called with the
engine runtime (which wakes its worker when an operation queues work).
"""

from __future__ import annotations

from typing import Any

from botocore import xform_name

from cfnapi.errors import validation_error
from cfnapi.handlers.base import Handler, RequestContext, ServiceHandlers
from cfnapi.template import Template, check_against_types, parse_template, template_summary, validate_template_result
from cfnapi.template_url import TemplateUrlPolicy, fetch_template


def template_text(params: dict[str, Any], policy: TemplateUrlPolicy) -> str:
    """The template a request names: exactly one of TemplateBody or TemplateURL."""
    body, url = params.get("TemplateBody"), params.get("TemplateURL")
    if body is not None and url is not None:
        raise validation_error("Specify exactly one of TemplateBody or TemplateUrl.")
    if body is not None:
        return body
    if url is not None:
        return fetch_template(url, policy)
    raise validation_error("Either Template URL or Template Body must be specified.")


class CloudFormationHandlers(ServiceHandlers):
    service_name = "CloudFormation"

    def __init__(self, supported_types: frozenset[str], url_policy: TemplateUrlPolicy,
                 engine_api: Any = None, runtime: Any = None):
        self.supported_types = supported_types
        self.url_policy = url_policy
        self.engine_api = engine_api  # the cfnapi.engine.api module
        self.runtime = runtime

    def handler_for(self, operation_name: str) -> Handler:
        own = getattr(self, xform_name(operation_name), None)
        if own is not None:
            return own
        engine_function = getattr(self.engine_api, xform_name(operation_name), None)
        if engine_function is None:
            return super().handler_for(operation_name)

        def call_engine(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            return engine_function(self.runtime, ctx, params)

        return call_engine

    def _parse(self, params: dict[str, Any]) -> Template:
        template = parse_template(template_text(params, self.url_policy))
        check_against_types(template, self.supported_types, self._attributes_for())
        return template

    def _attributes_for(self):
        registry = getattr(self.runtime, "registry", None)
        return None if registry is None else registry.attribute_names

    def validate_template(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return validate_template_result(self._parse(params))

    def get_template_summary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("StackName") is not None and self.engine_api is not None:
            body, values = self.engine_api.stack_template(self.runtime, ctx, params["StackName"])
            template = parse_template(body, parameter_values=values)
        else:
            template = self._parse(params)
        return template_summary(template, supported_types=self.supported_types)
