"""The engine's ``DefinitionCompiler`` over the template language (``cfnapi.template``).

Compiling does everything that can be checked before a stack changes: parse,
known resource types, a sane dependency graph, parameter values (supplied,
previous, default; types, constraints, SSM), conditions. What is left for the
engine is resolving properties, metadata and outputs against live resources,
which ``TemplateDefinition`` does through the engine's ``ResolutionEnv``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from cfnapi.engine.definition import Identity, OutputValue, ResourceDecl
from cfnapi.template import (
    CloudLookup,
    ParameterStore,
    ResolvedParameters,
    StackIdentity,
    Template,
    TemplateError,
    active_resources,
    check_against_types,
    evaluate_conditions,
    parse_template,
    processed_template_body,
    required_capabilities,
    resolve,
    resolve_outputs,
    resolve_parameters,
)
from cfnapi.template.change_sources import CausingEntity, causing_entities
from cfnapi.template.dynamic_references import resolve_dynamic_references
from cfnapi.template.expr import iter_intrinsics
from cfnapi.template.functions import ImportValue


def stack_identity(identity: Identity) -> StackIdentity:
    return StackIdentity(
        account_id=identity.account_id,
        region=identity.region,
        stack_id=identity.stack_id,
        stack_name=identity.stack_name,
        notification_arns=tuple(identity.notification_arns),
    )


class TemplateDefinition:
    """A template bound to one stack's parameter values (a ``StackDefinition``)."""

    def __init__(self, template: Template, params: ResolvedParameters, identity: StackIdentity,
                 ssm: ParameterStore | None = None):
        self.template = template
        self.ssm = ssm  # for {{resolve:ssm:...}} in properties
        self.params = params
        self.identity = identity
        self.conditions = evaluate_conditions(template, params, identity)
        self._active = active_resources(template, self.conditions)
        self.description = template.description
        self.parameter_values = dict(params.raw)
        self.parameters_response = params.for_response()
        self.no_echo_parameters = frozenset(params.no_echo)
        self.required_capabilities = required_capabilities(template)
        self.resources = {lid: self._decl(lid) for lid in self._active}
        self.imports = self._imported_export_names()

    def _static(self, expr: Any) -> Any:
        """Resolve without live resources (parameters, conditions, pseudo parameters, mappings)."""
        return resolve(expr, None, self.params, self.conditions, self.identity)

    def _decl(self, logical_id: str) -> ResourceDecl:
        resource = self._active[logical_id]
        # A reference to a resource whose Condition is false is AWS::NoValue-like at
        # resolution time; it cannot order anything, so it is not a dependency.
        dependencies = frozenset(resource.dependencies()) & frozenset(self._active)
        creation_policy = None if resource.creation_policy is None else self._static(resource.creation_policy)
        update_policy = None if resource.update_policy is None else self._static(resource.update_policy)
        return ResourceDecl(
            logical_id,
            resource.type,
            dependencies,
            resource.deletion_policy,
            resource.update_replace_policy,
            creation_policy,
            update_policy,
        )

    def _imported_export_names(self) -> frozenset[str]:
        """Export names used by Fn::ImportValue in active resources and outputs.
        AWS forbids them from depending on resources, so they resolve statically."""
        exprs = [r.properties for r in self._active.values()] + [r.metadata for r in self._active.values()]
        for output in self.template.outputs.values():
            if output.condition is None or self.conditions[output.condition]:
                exprs.append(output.value)
        names: set[str] = set()
        for expr in exprs:
            for function in iter_intrinsics(expr):
                if isinstance(function, ImportValue):
                    name = self._static(function.export_name)
                    if isinstance(name, str):
                        names.add(name)
        return frozenset(names)

    def resolve_properties(self, logical_id: str, env) -> dict[str, Any]:
        resolved = resolve(self._active[logical_id].properties, env, self.params, self.conditions, self.identity)
        return resolve_dynamic_references(resolved, self.ssm) if isinstance(resolved, dict) else {}

    def property_expressions(self, logical_id: str) -> dict[str, Any]:
        """The resource's top-level properties as written (parsed, unresolved)."""
        properties = self._active[logical_id].properties
        return dict(properties) if isinstance(properties, dict) else {}

    def property_causes(self, logical_id: str) -> dict[str, tuple[CausingEntity, ...]]:
        """Per top-level property, the parameters, resources and attributes it refers to."""
        parameters, resources = self.template.parameters, self._active
        return {
            name: causing_entities(expr, parameters, resources)
            for name, expr in self.property_expressions(logical_id).items()
        }

    def resolve_metadata(self, logical_id: str, env) -> Any:
        metadata = self._active[logical_id].metadata
        if metadata is None:
            return None
        return resolve(metadata, env, self.params, self.conditions, self.identity)

    def resolve_outputs(self, env) -> list[OutputValue]:
        return [
            OutputValue(o.key, o.value, o.description, o.export_name)
            for o in resolve_outputs(self.template, env, self.params, self.conditions, self.identity)
        ]


class TemplateCompiler:
    """Implements ``DefinitionCompiler``. ``supported_types`` is the type registry's
    ``supported()`` set: a template using anything else fails before work starts."""

    def __init__(
        self,
        supported_types: Collection[str],
        *,
        lookup_for: Callable[[Identity], CloudLookup] | None = None,
        parameter_store_for: Callable[[Identity], ParameterStore] | None = None,
        include_fetcher: Callable[[str], str] | None = None,
        attributes_for: Callable[[str], Collection[str]] | None = None,
    ):
        # Lookups and the SSM store are per account and region, so they are
        # made for each stack's identity rather than once per process.
        self.supported_types = frozenset(supported_types)
        self.lookup_for = lookup_for
        self.parameter_store_for = parameter_store_for
        self.include_fetcher = include_fetcher
        self.attributes_for = attributes_for  # the registry's own GetAtt attributes, beside AWS's

    def parse(self, body: str, parameter_values: Mapping[str, str] | None = None) -> Template:
        """Parse and check types and dependencies. ``parameter_values`` (raw strings)
        matter only to Fn::ForEach loops over a parameter; without them the Defaults serve."""
        template = parse_template(body, include_fetcher=self.include_fetcher, parameter_values=parameter_values)
        check_against_types(template, self.supported_types, self.attributes_for)
        return template

    def compile(
        self,
        body: str,
        parameters: Mapping[str, str],
        identity: Identity,
        *,
        use_previous: Mapping[str, str] | None = None,
    ) -> TemplateDefinition:
        # The stack's values (supplied, then previous) drive the transforms;
        # resolve_parameters below fills Defaults and checks every value.
        template = self.parse(body, parameters)
        ssm = self.parameter_store_for(identity) if self.parameter_store_for else None
        params = resolve_parameters(
            template,
            parameters,
            use_previous=use_previous or {},
            lookup=self.lookup_for(identity) if self.lookup_for else None,
            ssm=ssm,
        )
        return TemplateDefinition(template, params, stack_identity(identity), ssm)

    def processed_body(self, body: str, parameters: Mapping[str, str]) -> str:
        """GetTemplate's Processed stage for a stack or change set with these values."""
        return processed_template_body(self.parse(body, parameters))


__all__ = ["TemplateCompiler", "TemplateDefinition", "TemplateError", "stack_identity"]
