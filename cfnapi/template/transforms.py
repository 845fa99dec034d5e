"""Transforms run on the plain template data before it is parsed.

* ``AWS::Include`` — replaces ``Fn::Transform`` (and a top-level
  ``Transform`` mapping) with a snippet fetched from its Location.
* ``AWS::LanguageExtensions`` — expands ``Fn::ForEach::<Loop>`` keys. A
  collection that is a Ref to a list parameter takes the value the stack was
  given (CreateStack / UpdateStack / change set), else the Default: that is
  why the engine processes a template again for each set of parameter values.
  Its other functions (Fn::Length, Fn::ToJsonString, Fn::FindInMap with
  DefaultValue) are ordinary intrinsic classes resolved at run time.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from cfnapi.template.errors import TemplateError, format_error, template_error

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
SUPPORTED_TRANSFORMS = (LANGUAGE_EXTENSIONS, INCLUDE)
FOR_EACH_PREFIX = "Fn::ForEach::"

IncludeFetcher = Callable[[str], str]


def declared_transforms(data: dict) -> tuple[str, ...]:
    """Transform names as declared (string, list, or an AWS::Include mapping)."""
    declared = data.get("Transform")
    if declared is None:
        return ()
    items = declared if isinstance(declared, list) else [declared]
    names = []
    for item in items:
        name = item.get("Name") if isinstance(item, dict) else item
        if not isinstance(name, str):
            raise format_error("Transform must be a string, a list of strings or a mapping with a Name")
        names.append(name)
    for name in names:
        if name not in SUPPORTED_TRANSFORMS:
            raise TemplateError(f"Template format error: Unsupported transform {name}: cfnapi runs "
                                f"{' and '.join(SUPPORTED_TRANSFORMS)} only")
    return tuple(names)


def apply_transforms(
    data: dict,
    fetch: IncludeFetcher | None,
    parse_snippet: Callable[[str], Any],
    parameter_values: Mapping[str, str] | None = None,
) -> dict:
    """The processed template: includes inserted, ForEach loops expanded, Transform removed.

    ``parameter_values`` are the stack's raw parameter strings; None when there
    is no stack (ValidateTemplate, GetTemplateSummary), where Defaults serve."""
    names = declared_transforms(data)
    processed = {key: value for key, value in data.items() if key != "Transform"}
    top_level_includes = [item for item in _as_list(data.get("Transform")) if isinstance(item, dict)]
    for include in top_level_includes:
        processed.update(_fetch_include(include, fetch, parse_snippet))
    processed = _expand_includes(processed, fetch, parse_snippet)
    if LANGUAGE_EXTENSIONS in names:
        collections = _ParameterCollections(processed.get("Parameters") or {}, parameter_values)
        processed = expand_for_each(processed, collections)
    return processed


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def _fetch_include(argument: Any, fetch: IncludeFetcher | None, parse_snippet: Callable[[str], Any]) -> Any:
    if not isinstance(argument, dict) or argument.get("Name") != INCLUDE:
        name = argument.get("Name") if isinstance(argument, dict) else argument
        raise template_error(f"Transform {name} is not supported: cfnapi runs AWS::Include macros only")
    location = (argument.get("Parameters") or {}).get("Location")
    if not isinstance(location, str) or not location.startswith(("s3://", "https://", "http://")):
        raise format_error("AWS::Include requires a Location parameter with an Amazon S3 URL")
    if fetch is None:
        raise TemplateError(f"Transform AWS::Include failed: the location {location} cannot be read here")
    return parse_snippet(fetch(location))


def _expand_includes(node: Any, fetch: IncludeFetcher | None, parse_snippet: Callable[[str], Any]) -> Any:
    if isinstance(node, list):
        return [_expand_includes(item, fetch, parse_snippet) for item in node]
    if not isinstance(node, dict):
        return node
    if "Fn::Transform" in node:
        snippet = _fetch_include(node["Fn::Transform"], fetch, parse_snippet)
        rest = {key: value for key, value in node.items() if key != "Fn::Transform"}
        if rest:  # a key-position include merges into its mapping
            if not isinstance(snippet, dict):
                raise template_error("an AWS::Include snippet merged into a mapping must be a mapping")
            node = {**rest, **snippet}
        else:
            return _expand_includes(snippet, fetch, parse_snippet)
    return {key: _expand_includes(value, fetch, parse_snippet) for key, value in node.items()}


class _ParameterCollections:
    """What a ``{"Ref": Parameter}`` collection of a loop iterates over."""

    def __init__(self, declared: Any, values: Mapping[str, str] | None):
        self.declared = declared if isinstance(declared, dict) else {}
        self.values = values

    def items(self, key: str, name: Any) -> list[str]:
        declared = self.declared.get(name) if isinstance(name, str) else None
        if not isinstance(declared, dict):
            raise template_error(f"{key} collection must be a list of strings or a Ref to a list parameter")
        if self.values is not None and name in self.values:
            return _split_list(str(self.values[name]))
        default = declared.get("Default")
        if isinstance(default, list):
            return [str(item) for item in default]
        if default is not None:
            return _split_list(str(default))
        if self.values is not None:
            raise TemplateError(f"Parameters: [{name}] must have values")
        # No stack, no value: ValidateTemplate cannot know what the loop makes.
        raise template_error(f"{key} collection parameter {name} must have a Default value to be validated")


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",")] if text.strip() else []


def expand_for_each(node: Any, parameters: _ParameterCollections) -> Any:
    """Replace every ``Fn::ForEach::<Loop>`` key by the entries it generates."""
    if isinstance(node, list):
        return [expand_for_each(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    expanded: dict = {}
    for key, value in node.items():
        if isinstance(key, str) and key.startswith(FOR_EACH_PREFIX):
            for generated_key, generated_value in _run_loop(key, value, parameters).items():
                if generated_key in expanded or generated_key in node:
                    raise format_error(f"Fn::ForEach loop {key} generates the duplicate key {generated_key}")
                expanded[generated_key] = generated_value
        else:
            expanded[key] = expand_for_each(value, parameters)
    return expanded


def _run_loop(key: str, value: Any, parameters: _ParameterCollections) -> dict:
    if (
        not isinstance(value, list) or len(value) != 3 or not isinstance(value[0], str)
        or not isinstance(value[2], dict)
    ):
        raise template_error(
            f"{key} requires a list of three parameters: an identifier, a collection and an output template"
        )
    identifier, collection, body = value
    items = _collection(key, collection, parameters)
    generated: dict = {}
    for item in items:
        substituted = _substitute(copy.deepcopy(body), identifier, item)
        for generated_key, generated_value in expand_for_each(substituted, parameters).items():
            if generated_key in generated:
                raise format_error(f"Fn::ForEach loop {key} generates the duplicate key {generated_key}")
            generated[generated_key] = generated_value
    return generated


def _collection(key: str, collection: Any, parameters: _ParameterCollections) -> list[str]:
    if isinstance(collection, list) and all(isinstance(item, (str, int, float)) for item in collection):
        return [str(item) for item in collection]
    if isinstance(collection, dict) and set(collection) == {"Ref"}:
        return parameters.items(key, collection["Ref"])
    raise template_error(f"{key} collection must be a list of strings or a Ref to a list parameter")


def _substitute(node: Any, identifier: str, item: str) -> Any:
    if isinstance(node, list):
        return [_substitute(element, identifier, item) for element in node]
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return node
    if len(node) == 1 and node.get("Ref") == identifier:
        return item
    if len(node) == 1 and "Fn::Sub" in node:
        argument = node["Fn::Sub"]
        if isinstance(argument, str):
            return {"Fn::Sub": _replace_placeholders(argument, identifier, item)}
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            return {"Fn::Sub": [_replace_placeholders(argument[0], identifier, item)]
                    + [_substitute(rest, identifier, item) for rest in argument[1:]]}
    return {
        (_replace_placeholders(key, identifier, item) if isinstance(key, str) else key):
            _substitute(value, identifier, item)
        for key, value in node.items()
    }


def _replace_placeholders(text: str, identifier: str, item: str) -> str:
    # ${Id} inserts the value; &{Id} inserts it with non-alphanumerics removed (for logical ids).
    text = text.replace("${" + identifier + "}", item)
    return text.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", item))
