"""Scenarios driven by each real client: boto3, the AWS CLI, boto 2, curl (one module each)."""

from __future__ import annotations

from cfnapi.testing.clients import CLOUDWATCH_PROTOCOLS
from cfnapi.testing.server import RunningServer
from conformance.client_aws_cli import aws_cli
from conformance.client_boto2 import boto2
from conformance.client_boto3 import boto3_cloudformation, boto3_cloudwatch
from conformance.client_curl import curl
from conformance.report import Report


def run_all(report: Report, server: RunningServer) -> None:
    boto3_cloudformation(report, server)
    for protocol in CLOUDWATCH_PROTOCOLS:
        boto3_cloudwatch(report, server, protocol)
    aws_cli(report, server)
    boto2(report, server)
    curl(report, server)
