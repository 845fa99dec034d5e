"""boto3: CloudFormation, and CloudWatch in each of its three protocols."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from cfnapi.testing.clients import client
from cfnapi.testing.server import RunningServer
from conformance.report import Report
from conformance.templates import DEPLOY_TEMPLATE, HANDLE_TEMPLATE


def boto3_cloudformation(report: Report, server: RunningServer) -> None:
    cfn = client("cloudformation", server.endpoint)
    subject = "boto3 cloudformation"

    def validate():
        result = cfn.validate_template(TemplateBody=HANDLE_TEMPLATE)
        assert result["Description"] == "conformance handle", result

    def template_summary():
        summary = cfn.get_template_summary(TemplateBody=DEPLOY_TEMPLATE)
        assert summary["ResourceTypes"] == ["AWS::CloudFormation::WaitConditionHandle", "AWS::SSM::Parameter"], summary
        assert [p["ParameterKey"] for p in summary["Parameters"]] == ["Tier"], summary

    def change_sets():
        cfn.create_change_set(StackName="boto3-cs", ChangeSetName="first", ChangeSetType="CREATE",
                              TemplateBody=DEPLOY_TEMPLATE)
        cfn.get_waiter("change_set_create_complete").wait(StackName="boto3-cs", ChangeSetName="first",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        changes = cfn.describe_change_set(StackName="boto3-cs", ChangeSetName="first")["Changes"]
        assert sorted(c["ResourceChange"]["Action"] for c in changes) == ["Add", "Add"], changes
        cfn.execute_change_set(StackName="boto3-cs", ChangeSetName="first")
        cfn.get_waiter("stack_create_complete").wait(StackName="boto3-cs", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        cfn.create_change_set(StackName="boto3-cs", ChangeSetName="second", TemplateBody=DEPLOY_TEMPLATE,
                              Parameters=[{"ParameterKey": "Tier", "ParameterValue": "green"}])
        cfn.get_waiter("change_set_create_complete").wait(StackName="boto3-cs", ChangeSetName="second",
                                                          WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        [change] = cfn.describe_change_set(StackName="boto3-cs", ChangeSetName="second")["Changes"]
        assert (change["ResourceChange"]["LogicalResourceId"], change["ResourceChange"]["Action"]) == ("Setting", "Modify")
        # SSM Parameter Value updates in place; the detail names the parameter that changed it.
        assert change["ResourceChange"].get("Replacement") == "False", change
        causes = [(d["ChangeSource"], d.get("CausingEntity")) for d in change["ResourceChange"]["Details"]]
        assert ("ParameterReference", "Tier") in causes, change
        return f"Setting: Modify, Replacement={change['ResourceChange']['Replacement']}, caused by Tier"

    def events_pages():
        cfn.delete_stack(StackName="boto3-cs")
        cfn.get_waiter("stack_delete_complete").wait(StackName="boto3-cs", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        # 60 handles make well over AWS's page of 100 events, so NextToken must carry the rest.
        many = json.dumps({"Resources": {f"Handle{i}": {"Type": "AWS::CloudFormation::WaitConditionHandle"}
                                         for i in range(60)}})
        cfn.create_stack(StackName="boto3-events", TemplateBody=many)
        cfn.get_waiter("stack_create_complete").wait(StackName="boto3-events", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        pages = list(cfn.get_paginator("describe_stack_events").paginate(StackName="boto3-events"))
        events = [e for page in pages for e in page["StackEvents"]]
        assert len(pages) >= 2 and len(events) > 100 and len({e["EventId"] for e in events}) == len(events), \
            (len(pages), len(events))
        assert events[-1]["ResourceStatusReason"] == "User Initiated" and events[0]["ResourceStatus"] == "CREATE_COMPLETE"
        cfn.delete_stack(StackName="boto3-events")
        cfn.get_waiter("stack_delete_complete").wait(StackName="boto3-events", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return f"{len(events)} events in {len(pages)} pages"

    report.run(subject, "validate-template", validate)
    report.run(subject, "get-template-summary", template_summary)
    report.run(subject, "change sets: create, describe, execute, modify", change_sets)
    report.run(subject, "describe-stack-events paginated (NextToken)", events_pages)


def boto3_cloudwatch(report: Report, server: RunningServer, protocol: str) -> None:
    cw = client("cloudwatch", server.endpoint, protocol=protocol)
    subject = f"boto3 cloudwatch {protocol}"
    namespace = f"Conformance/{protocol}"
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    def put():
        cw.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": "Latency", "Timestamp": now - timedelta(minutes=2), "Values": [1.0, 2.0, 3.0, 4.0], "Unit": "Milliseconds"},
        ])

    def statistics():
        result = cw.get_metric_statistics(
            Namespace=namespace, MetricName="Latency", StartTime=now - timedelta(minutes=10), EndTime=now,
            Period=60, Statistics=["Sum", "Average"], ExtendedStatistics=["p50"])
        [point] = result["Datapoints"]
        assert point["Sum"] == 10.0 and point["Average"] == 2.5, point
        assert 1.9 <= point["ExtendedStatistics"]["p50"] <= 3.1, point

    def alarms():
        name = f"conformance-{protocol}"
        cw.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName="Latency", Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold")
        [alarm] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        assert alarm["StateValue"] == "INSUFFICIENT_DATA", alarm
        cw.delete_alarms(AlarmNames=[name])
        assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []

    report.run(subject, "put-metric-data", put)
    report.run(subject, "get-metric-statistics", statistics)
    report.run(subject, "alarm lifecycle", alarms)
