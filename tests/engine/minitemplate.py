"""A deliberately tiny DefinitionCompiler for engine tests: JSON templates with
Parameters (Default), Resources (Type, Properties, DependsOn, DeletionPolicy,
UpdateReplacePolicy, CreationPolicy) and Outputs, and only Ref / Fn::GetAtt.
It keeps the engine's tests independent of the full template language."""

from __future__ import annotations

import json

from cfnapi.engine.definition import OutputValue, ResourceDecl, SimpleDefinition
from cfnapi.errors import validation_error


def _refs(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if "Ref" in node:
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


class MiniCompiler:
    def compile(self, body, parameters, identity, *, use_previous=None):
        try:
            template = json.loads(body)
        except ValueError as error:
            raise validation_error(f"Template format error: {error}") from None
        declared = template.get("Parameters", {})
        unknown = set(parameters) - set(declared)
        if unknown:
            raise validation_error(f"Parameters: [{', '.join(sorted(unknown))}] do not exist in the template")
        values = {k: parameters.get(k, spec.get("Default")) for k, spec in declared.items()}
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise validation_error(f"Parameters: [{', '.join(missing)}] must have values")
        resources = template.get("Resources", {})
        decls = {}
        for lid, res in resources.items():
            depends = res.get("DependsOn", [])
            deps = _refs(res.get("Properties", {}), set()) | set([depends] if isinstance(depends, str) else depends)
            decls[lid] = ResourceDecl(
                lid,
                res["Type"],
                frozenset(d for d in deps if d in resources),
                res.get("DeletionPolicy"),
                res.get("UpdateReplacePolicy"),
                res.get("CreationPolicy"),
            )

        def resolve(node, env):
            if isinstance(node, dict):
                if "Ref" in node:
                    name = node["Ref"]
                    if name in values:
                        return values[name]
                    if name == "AWS::StackName":
                        return identity.stack_name
                    return env.ref_resource(name)
                if "Fn::GetAtt" in node:
                    return env.get_att(*node["Fn::GetAtt"])
                return {k: resolve(v, env) for k, v in node.items()}
            if isinstance(node, list):
                return [resolve(v, env) for v in node]
            return node

        def outputs(env):
            return [
                OutputValue(k, str(resolve(o["Value"], env)), o.get("Description"), (o.get("Export") or {}).get("Name"))
                for k, o in template.get("Outputs", {}).items()
            ]

        iam = any(r["Type"].startswith("AWS::IAM::") for r in resources.values())
        return SimpleDefinition(
            resources=decls,
            properties_resolver=lambda lid, env: resolve(resources[lid].get("Properties", {}), env),
            outputs_resolver=outputs,
            metadata_resolver=lambda lid, env: resources[lid].get("Metadata"),
            description=template.get("Description"),
            parameter_values=values,
            parameters_response=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
            required_capabilities=(["CAPABILITY_IAM"], "IAM") if iam else ([], ""),
        )
