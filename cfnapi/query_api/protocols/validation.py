"""The errors bad input earns, worded the way each service words them.

CloudFormation answers like every modern AWS (Coral) service:
``ValidationError`` with "1 validation error detected: Value null at
'stackName' failed to satisfy constraint: Member must not be null" — member
paths in camelCase, list elements as ``tags.1.member``.

CloudWatch keeps its query-era codes, which its model declares as error
shapes: ``MissingParameter`` ("The parameter Namespace is required.") and
``InvalidParameterValue``, with parameter paths written as the query protocol
spells them (``MetricData.member.1.MetricName``) whatever protocol was used.
Its model's length/range/pattern constraints are left to its handlers, which
word each one as CloudWatch does ("The collection MetricData must not have a
size greater than 1000."); CloudFormation's are checked here
(``constraints.py``) with Coral's wording.

A JSON or CBOR value of the wrong *type* (a string where a number belongs) is
not a validation problem but an unreadable document; AWS's JSON front ends
answer those with ``SerializationException`` and so do we.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cfnapi.errors import ServiceError


@dataclass(frozen=True)
class Step:
    """One step from the input root to a value: a member, list position or map key."""

    kind: str  # "member" | "index" | "key"
    name: str  # member name as modelled, 1-based position, or map key


Path = tuple[Step, ...]


def member(path: Path, name: str) -> Path:
    return (*path, Step("member", name))


def index(path: Path, position: int) -> Path:
    return (*path, Step("index", str(position)))


def key(path: Path, name: str) -> Path:
    return (*path, Step("key", name))


def _quote(value: object, limit: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class ValidationStyle:
    """How a service reports missing members and unusable values."""

    # Whether ``constraint_error`` can answer anything but None: if not, the walk that
    # collects violations is skipped (CloudWatch: PutMetricData's thousands of values).
    checks_constraints = False

    def missing(self, paths: Sequence[Path]) -> ServiceError:
        raise NotImplementedError

    def bad_value(self, path: Path, value: object, expected: str) -> ServiceError:
        raise NotImplementedError

    def constraint_error(self, violations: Sequence["Violation"]) -> ServiceError | None:  # noqa: F821
        """The error for model constraints (length, range, enum, pattern) the
        request breaks; None where the service's front end does not check them."""
        return None


class CoralValidationStyle(ValidationStyle):
    """``ValidationError`` with AWS's "N validation errors detected" wording."""

    checks_constraints = True

    @staticmethod
    def render(path: Path) -> str:
        parts: list[str] = []
        for step in path:
            if step.kind == "member":
                parts.append(step.name[:1].lower() + step.name[1:])
            elif step.kind == "index":
                parts.append(f"{step.name}.member")
            else:
                parts.append(step.name)
        return ".".join(parts)

    @staticmethod
    def _summary(problems: Sequence[str]) -> str:
        noun = "error" if len(problems) == 1 else "errors"
        return f"{len(problems)} validation {noun} detected: " + "; ".join(problems)

    def missing(self, paths: Sequence[Path]) -> ServiceError:
        problems = [
            f"Value null at '{self.render(path)}' failed to satisfy constraint: Member must not be null"
            for path in paths
        ]
        return ServiceError("ValidationError", self._summary(problems), 400)

    def bad_value(self, path: Path, value: object, expected: str) -> ServiceError:
        problem = (
            f"Value '{_quote(value)}' at '{self.render(path)}' failed to satisfy constraint: "
            f"Member must be {expected}"
        )
        return ServiceError("ValidationError", self._summary([problem]), 400)

    def constraint_error(self, violations) -> ServiceError | None:
        if not violations:
            return None
        problems = [
            f"Value {_constraint_value(v.value)} at '{self.render(v.path)}' "
            f"failed to satisfy constraint: {v.constraint}"
            for v in violations
        ]
        return ServiceError("ValidationError", self._summary(problems), 400)


def _constraint_value(value: object) -> str:
    """A value as AWS's (Java) front end prints it: 'text', '5', '[a, b]'."""
    if isinstance(value, list):
        return "'[" + ", ".join(_quote(item) if isinstance(item, str) else str(item) for item in value) + "]'"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return f"'{_quote(value) if isinstance(value, str) else value}'"


class QueryEraValidationStyle(ValidationStyle):
    """CloudWatch's ``MissingParameter`` / ``InvalidParameterValue``."""

    @staticmethod
    def render(path: Path) -> str:
        parts: list[str] = []
        for step in path:
            if step.kind == "member":
                parts.append(step.name)
            elif step.kind == "index":
                parts.append(f"member.{step.name}")
            else:
                parts.append(f"entry.{step.name}")
        return ".".join(parts)

    def missing(self, paths: Sequence[Path]) -> ServiceError:
        # AWS names only the first missing parameter.
        return ServiceError("MissingParameter", f"The parameter {self.render(paths[0])} is required.", 400)

    def bad_value(self, path: Path, value: object, expected: str) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"The value {_quote(value)} for parameter {self.render(path)} is invalid: it must be {expected}.",
            400,
        )


CORAL = CoralValidationStyle()
QUERY_ERA = QueryEraValidationStyle()

# Services that keep their query-era error codes; every other service gets Coral's.
_STYLE_BY_SERVICE = {"cloudwatch": QUERY_ERA}


def validation_style(service_model) -> ValidationStyle:
    return _STYLE_BY_SERVICE.get(service_model.service_name, CORAL)


def serialization_error(message: str) -> ServiceError:
    """The body could not be read as the protocol's document format."""
    return ServiceError("SerializationException", message, 400)


class MissingMembers:
    """Collects required members found absent while a request is read."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def check(self, shape, present: dict, path: Path) -> None:
        for name in shape.required_members:
            if present.get(name) is None:
                self.paths.append(member(path, name))

    def raise_if_any(self, style: ValidationStyle) -> None:
        if self.paths:
            # Members are checked as each structure is finished, innermost first;
            # report outer members first, as AWS does.
            raise style.missing(sorted(self.paths, key=len))
