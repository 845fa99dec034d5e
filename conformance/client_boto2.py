"""boto 2.49, as heat-cfntools' agents use it: query protocol, host-derived SigV4 scope, ContentType=JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY, RunningServer, client_environment
from conformance.report import Report
from conformance.templates import HANDLE_TEMPLATE


BOTO2_SCRIPT = r"""
import json, sys, time
from boto.cloudformation.connection import CloudFormationConnection
from boto.ec2.cloudwatch import CloudWatchConnection
from boto.regioninfo import RegionInfo
step, port, key, secret, template = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
common = dict(aws_access_key_id=key, aws_secret_access_key=secret, is_secure=False, port=port)
# As heat-cfntools builds them: region "heat", the endpoint a bare host, so boto 2
# derives its SigV4 scope from the host name.
cfn = CloudFormationConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1/", **common)
cw = CloudWatchConnection(region=RegionInfo(name="heat", endpoint="127.0.0.1"), path="/v1", **common)
if step == "validate":
    out = {"description": cfn.validate_template(template_body=template).description}
elif step == "stack":
    cfn.create_stack("boto2-stack", template_body=template)
    for _ in range(300):
        status = cfn.describe_stacks("boto2-stack")[0].stack_status
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.2)
    # cfn-init and cfn-get-metadata read metadata this way (ContentType=JSON under the hood).
    detail = cfn.describe_stack_resource("boto2-stack", "Handle")
    resource = detail["DescribeStackResourceResponse"]["DescribeStackResourceResult"]["StackResourceDetail"]
    cfn.delete_stack("boto2-stack")
    out = {"status": status, "type": resource["ResourceType"], "metadata": json.loads(resource["Metadata"])}
elif step == "metrics":
    # cfn-push-stats' call: one datum with the AlarmName dimension.
    cw.put_metric_data("Conformance/boto2", "CPUUtilization", value=12.5, unit="Percent", dimensions={"AlarmName": "a"})
    out = {"metrics": [m.name for m in cw.list_metrics(namespace="Conformance/boto2")]}
elif step == "alarms":
    from boto.ec2.cloudwatch.alarm import MetricAlarm
    cw.put_metric_alarm(MetricAlarm(name="boto2-alarm", metric="CPUUtilization", namespace="Conformance/boto2",
                                    statistic="Average", comparison=">", threshold=90, period=60, evaluation_periods=1))
    alarms = cw.describe_alarms(alarm_names=["boto2-alarm"])
    cw.delete_alarms(["boto2-alarm"])
    out = {"alarms": [(a.name, a.threshold) for a in alarms]}
print(json.dumps(out))
"""

BOTO2_STACK_TEMPLATE = json.dumps({
    "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle",
                             "Metadata": {"AWS::CloudFormation::Init": {"config": {"files": {}}}}}},
})


def boto2(report: Report, server: RunningServer) -> None:
    def run(step: str, template: str = HANDLE_TEMPLATE) -> dict:
        result = subprocess.run(
            [sys.executable, "-c", BOTO2_SCRIPT, step, str(server.port), TEST_ACCESS_KEY, TEST_SECRET_KEY, template],
            capture_output=True, text=True, env=client_environment(), timeout=120)
        assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def validate():
        assert run("validate") == {"description": "conformance handle"}

    def stack():
        output = run("stack", BOTO2_STACK_TEMPLATE)
        assert output == {"status": "CREATE_COMPLETE", "type": "AWS::CloudFormation::WaitConditionHandle",
                          "metadata": {"AWS::CloudFormation::Init": {"config": {"files": {}}}}}, output

    def metrics():
        assert run("metrics") == {"metrics": ["CPUUtilization"]}

    def alarms():
        assert run("alarms") == {"alarms": [["boto2-alarm", 90.0]]}

    report.run("boto 2.49", "cloudformation validate-template (host-derived SigV4 scope)", validate)
    report.run("boto 2.49", "create-stack + describe-stack-resource metadata (ContentType=JSON)", stack)
    report.run("boto 2.49", "cloudwatch put-metric-data + list-metrics (as cfn-push-stats)", metrics)
    report.run("boto 2.49", "cloudwatch put-metric-alarm + describe-alarms", alarms)
