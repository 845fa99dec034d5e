"""The AWS CLI (``awscli``): stack lifecycle, ``deploy`` and CloudWatch commands."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cfnapi.testing.server import RunningServer, client_environment
from conformance.report import Report
from conformance.templates import DEPLOY_TEMPLATE, HANDLE_TEMPLATE


def aws_cli(report: Report, server: RunningServer) -> None:
    aws = str(Path(sys.executable).with_name("aws"))

    def run_raw(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", *args],
                              capture_output=True, text=True, env=client_environment(), timeout=180)

    def run(*args: str) -> dict:
        result = run_raw(*args)
        assert result.returncode == 0, result.stderr.strip()
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def validate():
        assert run("cloudformation", "validate-template", "--template-body", HANDLE_TEMPLATE)["Description"] == "conformance handle"

    def create_stack():
        stack_id = run("cloudformation", "create-stack", "--stack-name", "cli-stack",
                       "--template-body", HANDLE_TEMPLATE)["StackId"]
        assert stack_id.startswith("arn:aws:cloudformation:us-east-1:"), stack_id

    def wait_created():
        run("cloudformation", "wait", "stack-create-complete", "--stack-name", "cli-stack")
        [stack] = run("cloudformation", "describe-stacks", "--stack-name", "cli-stack")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"]

    def stack_events():
        events = run("cloudformation", "describe-stack-events", "--stack-name", "cli-stack")["StackEvents"]
        statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]
        assert statuses[0] == ("cli-stack", "CREATE_COMPLETE") and ("Handle", "CREATE_COMPLETE") in statuses, statuses
        return f"{len(events)} events"

    def delete_stack():
        run("cloudformation", "delete-stack", "--stack-name", "cli-stack")
        run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-stack")

    report.run("aws cli", "cloudformation validate-template", validate)
    report.run("aws cli", "cloudformation create-stack", create_stack)
    report.run("aws cli", "cloudformation wait stack-create-complete", wait_created)
    report.run("aws cli", "cloudformation describe-stack-events", stack_events)
    report.run("aws cli", "cloudformation delete-stack + wait stack-delete-complete", delete_stack)
    _aws_cli_deploy(report, run, run_raw)
    _aws_cli_cloudwatch(report, run)




def _aws_cli_deploy(report: Report, run, run_raw) -> None:
    """``aws cloudformation deploy``: change sets of type CREATE then UPDATE, and the empty one."""
    with tempfile.TemporaryDirectory(prefix="cfnapi-deploy-") as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(DEPLOY_TEMPLATE)
        deploy = ("cloudformation", "deploy", "--stack-name", "cli-deploy", "--template-file", str(template))

        def outputs() -> dict:
            [stack] = run("cloudformation", "describe-stacks", "--stack-name", "cli-deploy")["Stacks"]
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])} | {"status": stack["StackStatus"]}

        def create():
            run_raw_ok(run_raw, *deploy)
            result = outputs()
            assert result["status"] == "CREATE_COMPLETE" and result["Tier"] == "blue", result

        def update():
            run_raw_ok(run_raw, *deploy, "--parameter-overrides", "Tier=green")
            result = outputs()
            assert result["status"] == "UPDATE_COMPLETE" and result["Tier"] == "green", result

        def no_changes():
            result = run_raw(*deploy, "--parameter-overrides", "Tier=green")
            assert result.returncode != 0 and "No changes to deploy" in result.stderr, (result.returncode, result.stderr)
            # The CLI names its change set after the current second and the failed empty
            # one stays (as on AWS): a second deploy in the same second would collide.
            time.sleep(1.1)
            result = run_raw(*deploy, "--parameter-overrides", "Tier=green", "--no-fail-on-empty-changeset")
            assert result.returncode == 0, result.stderr.strip()
            assert outputs()["status"] == "UPDATE_COMPLETE"
            return "exit 255 'No changes to deploy'; 0 with --no-fail-on-empty-changeset"

        def delete():
            run("cloudformation", "delete-stack", "--stack-name", "cli-deploy")
            run("cloudformation", "wait", "stack-delete-complete", "--stack-name", "cli-deploy")

        report.run("aws cli", "cloudformation deploy (create via change set)", create)
        report.run("aws cli", "cloudformation deploy (update, changed parameter)", update)
        report.run("aws cli", "cloudformation deploy (no changes)", no_changes)
        report.run("aws cli", "cloudformation deploy stack deleted", delete)


def run_raw_ok(run_raw, *args: str) -> None:
    result = run_raw(*args)
    assert result.returncode == 0, (result.stdout + result.stderr).strip()[-300:]


def _aws_cli_cloudwatch(report: Report, run) -> None:
    def metrics():
        run("cloudwatch", "put-metric-data", "--namespace", "Conformance/CLI", "--metric-name", "Hits", "--value", "3")
        end = datetime.now(timezone.utc) + timedelta(minutes=1)
        stats = run("cloudwatch", "get-metric-statistics", "--namespace", "Conformance/CLI", "--metric-name", "Hits",
                    "--start-time", (end - timedelta(minutes=10)).isoformat(), "--end-time", end.isoformat(),
                    "--period", "600", "--statistics", "Sum")
        assert [p["Sum"] for p in stats["Datapoints"]] == [3.0], stats

    def alarms():
        run("cloudwatch", "put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "Conformance/CLI",
            "--metric-name", "Hits", "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1",
            "--threshold", "10", "--comparison-operator", "GreaterThanThreshold")
        [alarm] = run("cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")["MetricAlarms"]
        assert alarm["Threshold"] == 10.0 and alarm["StateValue"] == "INSUFFICIENT_DATA", alarm
        run("cloudwatch", "delete-alarms", "--alarm-names", "cli-alarm")
        assert run("cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")["MetricAlarms"] == []

    report.run("aws cli", "cloudwatch put-metric-data + get-metric-statistics", metrics)
    report.run("aws cli", "cloudwatch put-metric-alarm + describe-alarms", alarms)
