"""The model's length, range, enum and pattern constraints, checked on the server.

A real botocore client with parameter validation off sends the bad values;
our protocol parses them, ``check_constraints`` judges them, and botocore
parses our error. Where botocore's own (client-side, min-only) validator
knows the constraint it is the oracle for which member is wrong.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from cfnapi.errors import ServiceError
from cfnapi.query_api.protocols import check_constraints, protocol_for

from .oracle import service_model
from .test_clients import FakeServer, _client

CAPABILITIES = "[CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND]"
TAG = {"Key": "k", "Value": "v"}


class ConstraintCheckingServer(FakeServer):
    """The WSGI app's order: parse, then check constraints, then the handler."""

    def handle(self, request, **kwargs):
        def parse_and_check(operation_model, wire):
            params = original_parse(operation_model, wire)
            check_constraints(operation_model, params)
            return params

        protocol = protocol_for("query")
        original_parse = protocol.parse
        protocol.parse = parse_and_check
        try:
            return super().handle(request, **kwargs)
        finally:
            del protocol.parse


CASES = [
    ("create_change_set", dict(StackName="s", ChangeSetName="1st", TemplateBody="x"),
     "Value '1st' at 'changeSetName' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"),
    ("create_change_set", dict(StackName="s", ChangeSetName="c" * 129, TemplateBody="x"),
     f"Value '{'c' * 100}...' at 'changeSetName' failed to satisfy constraint: "
     "Member must have length less than or equal to 128"),
    ("signal_resource", dict(StackName="9lives", LogicalResourceId="R", UniqueId="i", Status="SUCCESS"),
     "Value '9lives' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
     "([a-zA-Z][-a-zA-Z0-9]*)|(arn:\\b(aws|aws-us-gov|aws-cn)\\b:[-a-zA-Z0-9:/._+]*)"),
    ("signal_resource", dict(StackName="s", LogicalResourceId="R", UniqueId="i", Status="MAYBE"),
     "Value 'MAYBE' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]"),
    ("create_stack", dict(StackName="s", TemplateBody="x", Capabilities=["CAPABILITY_IAM", "CAPABILITY_FOO"]),
     "Value '[CAPABILITY_IAM, CAPABILITY_FOO]' at 'capabilities' failed to satisfy constraint: "
     f"Member must satisfy constraint: [Member must satisfy enum value set: {CAPABILITIES}]"),
    ("create_stack", dict(StackName="s", TemplateBody="x", TimeoutInMinutes=0),
     "Value '0' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value greater than or equal to 1"),
    ("create_stack", dict(StackName="s", TemplateBody=""),
     "Value '' at 'templateBody' failed to satisfy constraint: Member must have length greater than or equal to 1"),
    ("create_stack", dict(StackName="s", TemplateBody="x", Tags=[TAG] * 51),
     "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ("create_stack", dict(StackName="s", TemplateBody="x", Tags=[TAG, {"Key": "k" * 129, "Value": "v"}]),
     f"Value '{'k' * 100}...' at 'tags.2.member.key' failed to satisfy constraint: "
     "Member must have length less than or equal to 128"),
    ("list_stacks", dict(NextToken="t" * 1025),
     "at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024"),
]


@pytest.mark.parametrize(("operation", "params", "problem"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_constraint_violations_get_awss_validation_error(operation: str, params: dict, problem: str) -> None:
    client = _client("cloudformation", ConstraintCheckingServer("cloudformation", {}), validate=False)
    with pytest.raises(ClientError) as caught:
        getattr(client, operation)(**params)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError" and caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Message"].startswith("1 validation error detected: ")
    assert problem in error["Message"]


def test_several_violations_are_counted_and_listed_in_member_order() -> None:
    client = _client("cloudformation", ConstraintCheckingServer("cloudformation", {}), validate=False)
    with pytest.raises(ClientError) as caught:
        client.create_stack(StackName="s", TemplateBody="x", TimeoutInMinutes=0, OnFailure="EXPLODE")
    assert caught.value.response["Error"]["Message"] == (
        "2 validation errors detected: "
        "Value '0' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value 'EXPLODE' at 'onFailure' failed to satisfy constraint: "
        "Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]"
    )


def test_valid_requests_pass_untouched() -> None:
    server = ConstraintCheckingServer("cloudformation", {"CreateStack": {"StackId": "id"}})
    client = _client("cloudformation", server, validate=False)
    params = dict(StackName="s", TemplateBody="x", Capabilities=["CAPABILITY_IAM"], Tags=[TAG] * 50,
                  TimeoutInMinutes=1, OnFailure="DELETE", ClientRequestToken="tok-1")
    assert client.create_stack(**params)["StackId"] == "id"
    assert server.calls[0][2] == params


@pytest.mark.parametrize("operation, params", [(op, p) for op, p, _ in CASES if op == "create_stack"])
def test_botocore_validator_agrees_where_it_checks(operation: str, params: dict) -> None:
    """botocore checks min (lengths, values) client-side: where it objects, so do we, about the same member."""
    model = service_model("cloudformation")
    operation_model = model.operation_model("".join(part.title() for part in operation.split("_")))
    report = ParamValidator().validate(params, operation_model.input_shape)
    with pytest.raises(ServiceError) as caught:
        check_constraints(operation_model, params)
    if report.has_errors():
        botocore_says = report.generate_report()
        for name in ("TimeoutInMinutes", "TemplateBody"):
            if name in botocore_says:
                lower_camel = name[0].lower() + name[1:]
                assert f"at '{lower_camel}'" in caught.value.message


def test_cloudwatch_leaves_model_constraints_to_its_handlers() -> None:
    model = service_model("cloudwatch")
    check_constraints(model.operation_model("PutMetricData"), {"Namespace": "", "MetricData": []})


def test_document_members_and_unknown_patterns_are_not_judged() -> None:
    # CloudWatch's DefinitionPath pattern uses \p{L}, which Python's re lacks: skipped, not a crash.
    from cfnapi.query_api.protocols.constraints import _compiled

    assert _compiled(r"[\p{L}\p{M}]+") is None
    assert _compiled("[a-z]+").fullmatch("abc")

