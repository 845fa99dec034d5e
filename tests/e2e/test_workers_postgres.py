"""``cfnapi api`` and two ``cfnapi worker`` processes on one PostgreSQL database.

Stacks are claimed through row leases; one worker is killed with -9 in the
middle of its creates; the other takes its stacks over once the (shortened)
lease expires and finishes them (the creates are resumed). That no two workers ever ran one stack at the
same time is read from the workers' logs and the stacks' events.
"""

from __future__ import annotations

import re

import pytest

from cfnapi.engine import statuses as st
from cfnapi.testing.clients import client
from cfnapi.testing.server import start_server, start_worker
from tests.e2e.test_crash import events, instance, resource, slow_cloud_config, stack_status, template, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LEASE_SECONDS = 3
STACKS = ("pg-a", "pg-b", "pg-c", "pg-d")
ALARMS = 5


def stacks_run_by(log: str) -> set[str]:
    """Stack ids a worker's log says it ran a phase of."""
    return set(re.findall(r"stack (\S+): worker \S+ runs ", log))


def alarms_evaluated_by(log: str) -> int:
    return sum(int(n) for n in re.findall(r"evaluated (\d+) alarm\(s\)", log))


def test_the_surviving_worker_takes_over_a_killed_workers_stacks(tmp_path, postgres_url):
    cloud_config = tmp_path / "slow-cloud.yaml"
    slow_cloud_config(cloud_config)
    common = ["--database-url", postgres_url, "--cloud-config", str(cloud_config)]
    # Two stacks at a time per worker: the four stacks are split between the two workers.
    worker_args = [*common, "--lease-seconds", str(LEASE_SECONDS), "--stack-threads", "2"]
    api = start_server(tmp_path / "api", command="api", extra_args=common)
    workers = {name: start_worker(tmp_path / name, name, extra_args=worker_args) for name in ("w1", "w2")}
    try:
        cw = client("cloudwatch", api.endpoint)
        for number in range(ALARMS):
            cw.put_metric_alarm(AlarmName=f"alarm-{number}", Namespace="Workers", MetricName="Load",
                                Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1.0,
                                ComparisonOperator="GreaterThanThreshold")
        # Both workers run an alarm evaluator, each cycling every second; an alarm is due again only
        # a minute after it was evaluated. So right now each was evaluated once, by one of them.
        def evaluated() -> int:
            return sum(alarms_evaluated_by(w.log_tail(5000)) for w in workers.values())

        wait_for("alarms evaluated", lambda: evaluated() >= ALARMS)
        assert evaluated() == ALARMS
        cfn = client("cloudformation", api.endpoint)
        ids = {name: cfn.create_stack(StackName=name, TemplateBody=template(Server=instance()))["StackId"]
               for name in STACKS}
        wait_for("every server being built", lambda: all(
            resource(cfn, stack_id, "Server").get("PhysicalResourceId") for stack_id in ids.values()))
        owned = {name: stacks_run_by(w.log_tail(5000)) for name, w in workers.items()}
        assert not owned["w1"] & owned["w2"]  # while both live, no stack is run by both
        assert owned["w1"] | owned["w2"] == set(ids.values())
        assert len(owned["w1"]) == len(owned["w2"]) == 2
        victim, survivor = "w1", "w2"
        workers[victim].kill()

        wait_for("every stack terminal", lambda: all(
            stack_status(cfn, stack_id) not in st.IN_PROGRESS for stack_id in ids.values()), timeout=120)

        survivor_log = workers[survivor].log_tail(5000)
        for name, stack_id in ids.items():
            stack_events = events(cfn, stack_id)
            initiated = [e for e in stack_events if e[0] == "Server" and e[2] == st.CREATE_INITIATED]
            assert len(initiated) == 1, stack_events  # one worker created it, once
            assert stack_status(cfn, stack_id) == "CREATE_COMPLETE"
            if stack_id in owned[victim]:
                # Interrupted with the victim: resumed by the survivor, which touched the stack only
                # after the victim's lease had expired.
                assert ("Server", "CREATE_IN_PROGRESS", st.CREATE_RESUMED) in stack_events
                takeover = next(line for line in survivor_log.splitlines() if stack_id in line)
                assert "lease of worker" in takeover and "takes over" in takeover, takeover
        assert owned[victim] <= stacks_run_by(survivor_log)
    finally:
        for worker in workers.values():
            worker.stop()
        api.stop()
