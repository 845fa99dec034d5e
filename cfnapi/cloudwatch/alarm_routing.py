"""The ``AlarmName`` dimension: heat-cfntools' way of addressing a sample to one alarm.

``cfn-push-stats --watch NAME`` adds the dimension ``AlarmName=NAME`` to every
sample, beside ``InstanceId`` and the server's metadata tags. On AWS a metric
is identified by its exact dimension set, so such a sample would never match
an alarm defined on, say, ``AutoScalingGroupName=g`` or on no dimension at
all. OpenStack Heat's CloudWatch API (``heat/engine/watchrule.py``) instead
attached a sample carrying ``AlarmName`` to the watch rule of that name,
whatever the rule's dimensions, as long as the metric name matched.

cfnapi keeps both: the sample is stored under its own dimensions (so
GetMetricStatistics and any alarm on that exact dimension set see it, as on
AWS), and when it names an existing metric alarm of the caller's whose
``MetricName`` is the sample's, a copy is also stored under that alarm's own
metric (its namespace and dimensions), which is what the alarm evaluates.
Samples naming no alarm, an unknown alarm, a metric-math alarm or an alarm
on another metric name are stored only as sent.

The copy is kept at the resolution the alarm needs. heat-cfntools sends
through boto 2, whose PutMetricData has no ``StorageResolution``, so every
agent sample is standard resolution and, as on AWS, invisible to an alarm
whose Period is below a minute. A sample addressed by name to such a
high-resolution alarm is therefore copied as high-resolution data (the
server stamps it to the second on arrival, so nothing is invented): the
copy is cfnapi's extension already, and this lets a 10-second alarm judge
the agent's samples instead of waiting for whole minutes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select

from cfnapi.cloudwatch.alarms import METRIC_ALARM
from cfnapi.cloudwatch.models import Alarm
from cfnapi.cloudwatch.store import MetricKey, Sample, canonical_dimensions

HIGH_RESOLUTION_BELOW = 60  # seconds: AWS's alarms with a shorter Period need high-resolution data
from cfnapi.db import Database

ALARM_NAME_DIMENSION = "AlarmName"


def addressed_alarm(sample: Sample) -> str | None:
    for name, value in sample.key.dimensions:
        if name == ALARM_NAME_DIMENSION:
            return value
    return None


def alarm_metric_keys(db: Database, account_id: str, region: str,
                      names: Iterable[str]) -> dict[str, tuple[MetricKey, int]]:
    """The single metric each named metric alarm watches, and its Period; math alarms and unknown names
    are left out."""
    names = set(names)
    if not names:
        return {}
    with db.transaction() as session:
        rows = session.execute(select(Alarm.name, Alarm.definition).where(
            Alarm.account_id == account_id, Alarm.region == region, Alarm.alarm_type == METRIC_ALARM,
            Alarm.name.in_(names)))
        definitions = {name: json.loads(definition) for name, definition in rows}
    keys = {}
    for name, d in definitions.items():
        if d.get("MetricName") and d.get("Namespace"):
            keys[name] = (MetricKey(d["Namespace"], d["MetricName"], canonical_dimensions(
                (x["Name"], x["Value"]) for x in d.get("Dimensions") or [])), int(d.get("Period") or 60))
    return keys


def with_alarm_copies(db: Database, account_id: str, region: str, samples: list[Sample]) -> list[Sample]:
    """``samples`` plus, for each one addressed to an alarm by ``AlarmName``, a copy under the alarm's metric."""
    addressed = [(sample, name) for sample in samples if (name := addressed_alarm(sample)) is not None]
    keys = alarm_metric_keys(db, account_id, region, (name for _, name in addressed))
    copies = []
    for sample, name in addressed:
        key, period = keys.get(name, (None, 60))
        if key is None or key.metric_name != sample.key.metric_name or key == sample.key:
            continue
        high_resolution = sample.high_resolution or period < HIGH_RESOLUTION_BELOW
        copies.append(Sample(key, sample.timestamp, sample.unit, sample.aggregate, high_resolution))
    return samples + copies
