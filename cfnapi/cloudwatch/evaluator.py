"""The alarm evaluator: claims due alarms, evaluates them against the store, fires actions.

Runs beside the engine workers (``run`` in a thread). With several processes
on PostgreSQL each alarm is evaluated once per cycle: a batch is claimed by
pushing its ``next_evaluation_at`` forward under ``FOR UPDATE SKIP LOCKED``,
so a second evaluator skips it. Each transition and its history item are one
transaction; actions are handed to the dispatcher only after that commits.

Auto Scaling actions repeat: an evaluation that leaves a metric alarm in its
state re-invokes that state's ``arn:aws:autoscaling:`` actions (AWS: "once per
minute that the alarm remains in the new state"). The repetition follows the
evaluation interval -- 60 s, AWS's minute, unless CFNAPI_ALARM_INTERVAL
shortens it -- and, riding on the claim, happens once per alarm per interval
however many evaluators run.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update

from cfnapi.cloudwatch import composite
from cfnapi.cloudwatch.backfill import backfill_hour_rows
from cfnapi.cloudwatch.actions import ActionDispatcher
from cfnapi.cloudwatch.alarms import COMPOSITE_ALARM, METRIC_ALARM, AlarmStore, Transition
from cfnapi.cloudwatch.evaluation import ALARM, OK, AlarmRule, Outcome, Slot, evaluate, evaluation_range
from cfnapi.cloudwatch.models import Alarm, Metric
from cfnapi.cloudwatch.queries import MetricQueryRunner, series_for_alarm
from cfnapi.cloudwatch.statistics import is_percentile, percentile_of
from cfnapi.cloudwatch.store import MetricKey, MetricStore, canonical_dimensions
from cfnapi.cloudwatch.timeutil import as_utc, epoch, from_epoch
from cfnapi.db import Database

log = logging.getLogger(__name__)


class AlarmEvaluator:
    def __init__(self, db: Database, clock: Callable[[], datetime], dispatcher: ActionDispatcher,
                 interval: timedelta = timedelta(seconds=60), batch_size: int = 500):
        self.db = db
        self.clock = clock
        self.dispatcher = dispatcher
        self.interval = interval
        self.batch_size = batch_size
        self.store = MetricStore(db)
        self.alarms = AlarmStore(db)
        self.queries = MetricQueryRunner(self.store)
        self._last_compaction: datetime | None = None
        self._hour_rows_backfilled = False

    def evaluate_all(self, now: datetime | None = None) -> int:
        """Evaluate every due alarm once; returns how many were evaluated."""
        now = as_utc(now or self.clock())
        evaluated = 0
        # Metric alarms first, so composite alarms see this cycle's states.
        for alarm_type in (METRIC_ALARM, COMPOSITE_ALARM):
            while batch := self._claim(alarm_type, now):
                for transition in self._evaluate_batch(batch, now):
                    if transition.actions:
                        self.dispatcher.dispatch(transition)
                evaluated += len(batch)
        if evaluated:  # operators (and the several-workers test) see who evaluated what
            log.info("evaluated %d alarm(s)", evaluated)
        return evaluated

    def run(self, interval_seconds: float, stop_event: threading.Event) -> None:
        """Evaluate every ``interval_seconds`` until ``stop_event`` is set; also keeps the store (``maintain``)."""
        while not stop_event.is_set():
            now = as_utc(self.clock())
            try:
                self.maintain(now)
            except Exception:  # never in the way of evaluation; the next cycle retries
                log.exception("metric store upkeep failed")
            try:
                self.evaluate_all(now)
            except Exception:  # keep the loop alive; the next cycle retries
                log.exception("alarm evaluation cycle failed")
            stop_event.wait(interval_seconds)

    def maintain(self, now: datetime) -> None:
        """The store's upkeep: first (once) the hour rows of data stored before ingest wrote them
        (``backfill.py``; before retention drops the finer rows it reads), then retention hourly."""
        if not self._hour_rows_backfilled:
            backfill_hour_rows(self.store, now)
            self._hour_rows_backfilled = True
        if self._last_compaction is None or now - self._last_compaction >= timedelta(hours=1):
            self.store.compact(now)
            self.alarms.expire_history(now)
            self._last_compaction = now

    # -- claiming ------------------------------------------------------------
    def _claim(self, alarm_type: str, now: datetime) -> list[int]:
        with self.db.transaction() as session:
            query = (select(Alarm.id).where(Alarm.alarm_type == alarm_type, Alarm.next_evaluation_at <= now)
                     .order_by(Alarm.id).limit(self.batch_size))
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if ids:
                session.execute(update(Alarm).where(Alarm.id.in_(ids))
                                .values(next_evaluation_at=now + self.interval))
            return ids

    # -- evaluation ----------------------------------------------------------
    def _evaluate_batch(self, ids: list[int], now: datetime) -> list[Transition]:
        repeats: list[Transition] = []
        with self.db.transaction() as session:
            alarms = list(session.scalars(select(Alarm).where(Alarm.id.in_(ids))))
            metric_ids = self._metric_ids(session, alarms)
            prefetched = self._prefetch_statistics(session, alarms, metric_ids, now)
            outcomes = {}
            for alarm in alarms:
                try:
                    outcome = self._outcome(session, alarm, metric_ids, prefetched, now)
                except Exception:
                    log.exception("alarm %s could not be evaluated", alarm.name)
                    continue
                if not outcome.retained and outcome.state != alarm.state_value:
                    outcomes[alarm.id] = outcome
                elif alarm.alarm_type == METRIC_ALARM:
                    repeat = self.alarms.repeat(alarm, now, None if outcome.retained else outcome.reason_data)
                    if repeat is not None:
                        repeats.append(repeat)
        if not outcomes:
            return repeats
        try:
            return repeats + self._record_transitions(outcomes, now)
        except Exception:  # one bad row must not cost the others their transition
            log.exception("recording %d transitions together failed; recording them one by one", len(outcomes))
        transitions = repeats
        for alarm_id, outcome in outcomes.items():
            try:
                transitions.extend(self._record_transitions({alarm_id: outcome}, now))
            except Exception:
                log.exception("alarm %s: transition could not be recorded", alarm_id)
        return transitions

    def _record_transitions(self, outcomes: dict[int, Outcome], now: datetime) -> list[Transition]:
        """Each alarm's new state with its history item, the batch in one transaction
        (one commit instead of one per alarm; a transition is never without its history)."""
        transitions = []
        with self.db.transaction() as session:
            alarms = session.scalars(select(Alarm).where(Alarm.id.in_(list(outcomes))))
            for alarm in alarms:
                outcome = outcomes[alarm.id]
                if alarm.state_value == outcome.state:
                    continue  # changed meanwhile (SetAlarmState): nothing to record
                transition = self.alarms.transition(session, alarm, outcome.state, outcome.reason,
                                                    outcome.reason_data, now)
                if transition is not None:
                    transitions.append(transition)
        return transitions

    def _metric_ids(self, session, alarms: list[Alarm]) -> dict[tuple, int]:
        wanted: dict[str, tuple] = {}
        for alarm in alarms:
            d = json.loads(alarm.definition)
            if alarm.alarm_type == METRIC_ALARM and d.get("MetricName"):
                key = _metric_key(d)
                wanted[key.identity] = (alarm.account_id, alarm.region, key.identity)
        if not wanted:
            return {}
        rows = session.execute(select(Metric.account_id, Metric.region, Metric.identity, Metric.id)
                               .where(Metric.identity.in_(list(wanted))))
        return {(a, r, i): mid for a, r, i, mid in rows}

    def _prefetch_statistics(self, session, alarms: list[Alarm], metric_ids: dict, now: datetime) -> dict:
        """One grouped query per (period, range, unit) for the batch's plain-statistic alarms.

        Returns {(metric_id, period, range, unit): {(ts, unit): Aggregate}}; percentile
        and metric-math alarms are not prefetched and query on their own.
        """
        groups: dict[tuple, set[int]] = {}
        for alarm in alarms:
            d = json.loads(alarm.definition)
            if alarm.alarm_type != METRIC_ALARM or d.get("Metrics") or d.get("ExtendedStatistic"):
                continue
            key = _metric_key(d)
            metric_id = metric_ids.get((alarm.account_id, alarm.region, key.identity))
            if metric_id is not None:
                groups.setdefault((d["Period"], evaluation_range(d["EvaluationPeriods"]), d.get("Unit")),
                                  set()).add(metric_id)
        prefetched = {}
        for (period, span, unit), ids in groups.items():
            end = epoch(now) - epoch(now) % period
            found = self.store.statistics_for_ids(session, sorted(ids), from_epoch(end - span * period),
                                                  from_epoch(end), period, unit)
            for metric_id in ids:
                prefetched[(metric_id, period, span, unit)] = found.get(metric_id, {})
        return prefetched

    def _outcome(self, session, alarm: Alarm, metric_ids: dict, prefetched: dict, now: datetime) -> Outcome:
        d = json.loads(alarm.definition)
        if alarm.alarm_type == COMPOSITE_ALARM:
            return self._composite_outcome(session, alarm, d, now)
        return self._metric_outcome(session, alarm, d, metric_ids, prefetched, now)

    def _metric_outcome(self, session, alarm: Alarm, d: dict, metric_ids: dict, prefetched: dict,
                        now: datetime) -> Outcome:
        statistic = d.get("ExtendedStatistic") or d.get("Statistic") or "Average"
        period = d.get("Period") or _math_period(d)
        n = d["EvaluationPeriods"]
        rule = AlarmRule(d["Threshold"] if "Threshold" in d else 0.0, d["ComparisonOperator"], n,
                         d.get("DatapointsToAlarm") or n, d.get("TreatMissingData", "missing"), statistic, period)
        end = epoch(now) - epoch(now) % period
        start = end - evaluation_range(n) * period
        if d.get("Metrics"):
            values = series_for_alarm(self.queries, session, alarm.account_id, alarm.region, d["Metrics"],
                                      from_epoch(start), from_epoch(end), period)
            slots = [Slot(from_epoch(t), values.get(t), 1.0 if t in values else 0.0)
                     for t in range(start, end, period)]
        else:
            slots = self._single_metric_slots(session, alarm, d, statistic, metric_ids, prefetched, start, end,
                                              period)
            if slots is None:
                return Outcome(alarm.state_value, "", retained=True)
        return evaluate(rule, slots, alarm.state_value, now)

    def _single_metric_slots(self, session, alarm, d, statistic, metric_ids, prefetched, start, end, period):
        metric_id = metric_ids.get((alarm.account_id, alarm.region, _metric_key(d).identity))
        per_bucket = {}
        if metric_id is not None:
            stats = prefetched.get((metric_id, period, (end - start) // period, d.get("Unit")))
            if stats is None:
                stats = self.store.statistics_for_id(session, metric_id, from_epoch(start), from_epoch(end), period,
                                                     d.get("Unit"), with_sketches=is_percentile(statistic))
            for (ts, _unit), agg in stats.items():
                t = epoch(ts)
                if t in per_bucket:
                    per_bucket[t].merge(agg)
                else:
                    per_bucket[t] = agg
        low_sample_ignored = is_percentile(statistic) and d.get("EvaluateLowSampleCountPercentile") == "ignore"
        slots = []
        for t in range(start, end, period):
            agg = per_bucket.get(t)
            value = agg.statistic(statistic) if agg else None
            if value is not None and low_sample_ignored and agg.sample_count < _minimum_samples(statistic):
                return None  # AWS: keep the state until the sample is statistically significant
            slots.append(Slot(from_epoch(t), value, agg.sample_count if agg else 0.0))
        return slots

    def _composite_outcome(self, session, alarm: Alarm, d: dict, now: datetime) -> Outcome:
        tree = composite.parse_rule(d["AlarmRule"])
        names = composite.referenced_alarms(tree)
        children = {a.name: a for a in session.scalars(select(Alarm).where(
            Alarm.account_id == alarm.account_id, Alarm.region == alarm.region, Alarm.name.in_(names)))}
        fired = composite.evaluate_rule(tree, lambda n: children[n].state_value if n in children else None)
        state = ALARM if fired else OK
        triggering = [c for c in children.values() if c.state_value == state] or list(children.values())
        if triggering:
            child = max(triggering, key=lambda c: as_utc(c.state_transitioned_at))
            when = as_utc(child.state_transitioned_at)
            reason = f"{child.arn} transitioned to {child.state_value} at " \
                     f"{when.strftime('%A %d %B, %Y %H:%M:%S UTC')}"
            data = {"triggeringAlarms": [{"arn": c.arn, "state": {
                "value": c.state_value, "timestamp": as_utc(c.state_transitioned_at).isoformat()}}
                for c in triggering]}
        else:
            reason, data = f"Alarm rule evaluated to {str(fired).upper()}", {"triggeringAlarms": []}
        return Outcome(state, reason, data)


def _metric_key(d: dict) -> MetricKey:
    return MetricKey(d["Namespace"], d["MetricName"],
                     canonical_dimensions((x["Name"], x["Value"]) for x in d.get("Dimensions", [])))


def _math_period(d: dict) -> int:
    for query in d.get("Metrics", []):
        if query.get("MetricStat"):
            return query["MetricStat"]["Period"]
        if query.get("Period"):
            return query["Period"]
    return 60


def _minimum_samples(statistic: str) -> float:
    """AWS: 10/(1-p) samples for p >= 0.5, 10/p below that."""
    p = percentile_of(statistic) / 100.0
    if p >= 0.5:
        return 10 / (1 - p) if p < 1 else float("inf")
    return 10 / p if p > 0 else float("inf")
