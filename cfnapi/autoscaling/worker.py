"""The scaling worker: makes each group's members match what the group wants.

One ``tick`` of one group is short and never waits for the cloud: it applies
queued alarm requests and due scheduled actions, advances launching and
terminating members one poll each, runs the EC2 health check, starts
replacements for unhealthy or outdated members, and launches or terminates to
reach the desired capacity. Everything it knows is in the database, so a
restart (or another worker taking over an expired lease) loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable

from cfnapi.autoscaling import activities as act
from cfnapi.autoscaling import launch as members_api
from cfnapi.autoscaling.adjustments import Trigger, clamp, desired_after
from cfnapi.autoscaling.models import ScalingGroupRow, ScalingMemberRow
from cfnapi.autoscaling.orphans import adopt_orphans
from cfnapi.autoscaling.schedule import next_run
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.engine.models import utcnow
from cfnapi.engine.resource_actions import iso8601_seconds
from cfnapi.translate.base import ResourceContext, ResourceFailure, TransientError

log = logging.getLogger(__name__)

PENDING, IN_SERVICE, TERMINATING = "Pending", "InService", "Terminating"
HEALTHY, UNHEALTHY = "Healthy", "Unhealthy"


def group_context(group: ScalingGroupRow, cloud) -> ResourceContext:
    """The context the Instance type gets for a member: the group's stack and logical id
    (so servers are named ``stack-Group-RANDOM``)."""
    return ResourceContext(group.account_id, group.region, group.stack_id, group.stack_name, group.logical_id,
                           cloud=cloud)


class GroupReconciler:
    def __init__(self, store: AutoScalingStore, cloud, clock: Callable[[], dt.datetime] = utcnow):
        self.store, self.cloud, self.clock = store, cloud, clock
        self._orphans_checked: set[int] = set()  # groups whose unrecorded launches this process adopted

    def tick(self, group_id: int) -> None:
        group = self.store.group_by_id(group_id)
        if group is None or group.deleting:
            return  # the resource type's delete owns a group being deleted
        ctx = group_context(group, self.cloud)
        if group_id not in self._orphans_checked:  # first tick here: a dead process may have launched some
            adopt_orphans(self.store, group, ctx)
            self._orphans_checked.add(group_id)
        self._apply_requests(group)
        self._apply_schedules(group)
        group = self.store.group_by_id(group_id)
        for step in (self._advance_pending, self._advance_terminating, self._health_check,
                     self._start_replacements, self._fit_capacity):
            step(group, ctx, self.store.members(group_id))

    # -- what the group wants ------------------------------------------------
    def _apply_requests(self, group: ScalingGroupRow) -> None:
        for request in self.store.requests(group.id):
            try:
                if request.kind == "policy":
                    self._run_policy(group, request.id, request.payload)
                elif request.kind == "health":
                    self._mark_from_alarm(group, request.id, request.payload)
            except Exception:  # a request that cannot be done must not block the group forever
                log.exception("group %s: request %s dropped", group.name, request.id)
            self.store.done(request.id)  # a no-op when the change already removed it
            group = self.store.group_by_id(group.id)

    def _run_policy(self, group: ScalingGroupRow, request_id: int, payload: dict) -> None:
        policy = self.store.policy(payload["policy_arn"])
        if policy is None:
            return  # deleted since the alarm fired
        definition, now = policy.definition, self.clock()
        if (definition.get("PolicyType") or "SimpleScaling") == "SimpleScaling" and group.last_scaling_at:
            own = definition.get("Cooldown")
            cooldown = int(own) if own not in (None, "") else group.default_cooldown
            if now < group.last_scaling_at + dt.timedelta(seconds=cooldown):
                log.info("group %s: policy %s ignored during cooldown", group.name, policy.name)
                return
        trigger = Trigger(payload.get("alarm", ""), payload.get("state", "ALARM"), payload.get("threshold"),
                          payload.get("value"))
        wanted = desired_after(definition, trigger, group.desired)
        warming = self._warming_up(group, definition, now) if wanted is not None and wanted > group.desired else 0
        if warming:  # scale-outs only: a scale-in counts every member, warming or not
            wanted = desired_after(definition, trigger, group.desired - warming)
        if wanted is None:
            return
        after = clamp(wanted, group.min_size, group.max_size)
        if after == group.desired or (warming and group.desired > after > group.desired - warming):
            return  # a step scale-out already under way covers it (or more)
        self.store.done(request_id, group={"desired": after, "last_scaling_at": now})
        self.store.record_activity(group, act.policy_cause(now, trigger.alarm_name, trigger.state, policy.name,
                                                           group.desired, after))

    def _warming_up(self, group: ScalingGroupRow, definition: dict, now: dt.datetime) -> int:
        """How many members a step-scaling policy leaves out of the capacity it adjusts.

        AWS does not count instances still within EstimatedInstanceWarmup (default: the
        group's cooldown) when a step policy scales out, so an alarm that keeps invoking
        the same step while the last scale-out warms up adds nothing, and a bigger step
        adds only the difference. Simple policies use their cooldown instead.
        """
        if definition.get("PolicyType") != "StepScaling" or group.last_scaling_at is None:
            return 0
        own = definition.get("EstimatedInstanceWarmup")
        warmup = dt.timedelta(seconds=int(own) if own not in (None, "") else group.default_cooldown)
        if now - group.last_scaling_at >= warmup:
            return 0
        # Only what the last scaling activity launched warms up; the group's first members do not count.
        return sum(1 for m in self.store.members(group.id)
                   if m.lifecycle in (PENDING, IN_SERVICE) and m.launched_at >= group.last_scaling_at)

    def _mark_from_alarm(self, group: ScalingGroupRow, request_id: int, payload: dict) -> None:
        now = self.clock()
        for member in self.store.members(group.id):
            if member.instance_id == payload.get("instance_id") and member.lifecycle == IN_SERVICE \
                    and member.health == HEALTHY and not self._in_grace(group, member, now):
                self.store.done(request_id, member=(member.id, {"health": UNHEALTHY, "health_reason": "alarm"}))
                self.store.record_activity(group, f"EC2 instance {member.instance_id} marked Unhealthy by alarm "
                                                  f"{payload.get('alarm', '')}.")

    def _apply_schedules(self, group: ScalingGroupRow) -> None:
        now = self.clock()
        for action in self.store.due_scheduled_actions(group.account_id, group.region, group.name, now):
            d = action.definition
            low = int(d["MinSize"]) if d.get("MinSize") not in (None, "") else group.min_size
            high = int(d["MaxSize"]) if d.get("MaxSize") not in (None, "") else group.max_size
            wanted = int(d["DesiredCapacity"]) if d.get("DesiredCapacity") not in (None, "") else group.desired
            after = clamp(wanted, low, high)
            self.store.update_group(group.id, min_size=low, max_size=high, desired=after)
            self.store.record_activity(group, act.scheduled_cause(now, action.name, group.desired, after))
            self.store.set_next_run(action.id, next_run(d, now))
            group = self.store.group_by_id(group.id)

    # -- members -------------------------------------------------------------
    def _advance_pending(self, group, ctx, members: list[ScalingMemberRow]) -> None:
        now = self.clock()
        for member in members:
            if member.lifecycle != PENDING:
                continue
            try:
                if not members_api.launch_complete(ctx, member.instance_id):
                    continue
                if not self._signalled(group, member, now):
                    continue
            except TransientError:
                continue
            except ResourceFailure as failure:
                self._launch_failed(group, ctx, member, str(failure))
                continue
            self.store.update_member(member.id, lifecycle=IN_SERVICE, replaces=None)
            self.store.record_activity(group, act.in_service(member.instance_id))
            if member.replaces:
                old = next((m for m in members if m.instance_id == member.replaces), None)
                if old is not None and old.lifecycle != TERMINATING:
                    self._terminate(group, ctx, old, f"At {act.stamp(now)} an instance was taken out of service "
                                                     f"after its replacement {member.instance_id} became InService.")

    def _signalled(self, group, member, now) -> bool:
        """With a CreationPolicy, a member counts once it sent SUCCESS (UniqueId = its instance id)."""
        if not group.signal_policy:
            return True
        status = self.store.success_signal(group, member.instance_id)
        if status == "SUCCESS":
            return True
        if status == "FAILURE":
            raise ResourceFailure(f"Received FAILURE signal with UniqueId {member.instance_id}")
        timeout = iso8601_seconds(str(group.signal_policy.get("Timeout", "PT5M")))
        if (now - member.launched_at).total_seconds() >= timeout:
            raise ResourceFailure(f"Failed to receive 1 resource signal(s) for {member.instance_id} within "
                                  f"the specified duration")
        return False

    def _launch_failed(self, group, ctx, member, reason: str) -> None:
        if _min_successful_percent(group) >= 100:  # otherwise tolerated: the member is launched again
            self.store.update_group(group.id, last_failure=reason)
        self.store.record_activity(group, act.launch_failed(reason, f"instance {member.instance_id} did not "
                                                                    f"come into service"))
        self._terminate(group, ctx, member, None, quiet=True)

    def _advance_terminating(self, group, ctx, members) -> None:
        for member in members:
            if member.lifecycle != TERMINATING:
                continue
            try:
                if members_api.terminated(ctx, member.instance_id):
                    self.store.remove_member(member.id)
                    self.store.forget_member_alarms(group, member.instance_id)
                else:
                    members_api.terminate(ctx, member.instance_id)  # idempotent: nudges a stuck delete
            except (TransientError, ResourceFailure) as error:
                log.warning("group %s: terminating %s: %s", group.name, member.instance_id, error)

    def _in_grace(self, group, member, now) -> bool:
        return (now - member.launched_at).total_seconds() < group.health_check_grace_seconds

    def _health_check(self, group, ctx, members) -> None:
        """HealthCheckType EC2 (ELB is checked the same way: there is no balancer health here)."""
        now = self.clock()
        for member in members:
            if member.lifecycle != IN_SERVICE or member.health != HEALTHY or self._in_grace(group, member, now):
                continue
            try:
                problem = members_api.ec2_health_problem(ctx, member.instance_id)
            except (TransientError, ResourceFailure):
                continue
            if problem:
                self.store.update_member(member.id, health=UNHEALTHY, health_reason=problem)
                self.store.record_activity(group, f"EC2 instance {member.instance_id} failed the EC2 health "
                                                  f"check ({problem}).")

    def _start_replacements(self, group, ctx, members) -> None:
        now = self.clock()
        replacing = {m.replaces for m in members if m.replaces}
        outdated_in_flight = sum(1 for m in members if m.replaces and m.spec_version == group.spec_version
                                 and any(o.instance_id == m.replaces and o.health == HEALTHY for o in members))
        for member in members:
            if member.lifecycle != IN_SERVICE or member.instance_id in replacing:
                continue
            if member.health == UNHEALTHY:
                cause = act.health_cause(now, member.health_reason or "impaired") + " " + \
                    act.replacement_cause(now, member.instance_id)
            elif member.spec_version < group.spec_version and outdated_in_flight < max(group.max_batch_size, 1):
                outdated_in_flight += 1
                cause = act.rolling_cause(now, member.instance_id)
            else:
                continue
            self._launch(group, ctx, len(members), cause, replaces=member.instance_id)

    def _fit_capacity(self, group, ctx, members) -> None:
        now = self.clock()
        slots = [m for m in members if m.replaces is None and m.lifecycle != TERMINATING]
        have = len(slots)
        for index in range(have, group.desired):
            self._launch(group, ctx, index, act.launch_cause(now, index, index + 1))
        if have > group.desired:
            # Unhealthy first, then outdated launch configurations, then the newest.
            order = sorted(slots, key=lambda m: (m.health == HEALTHY, m.spec_version >= group.spec_version,
                                                 -m.id))
            for count, victim in enumerate(order[: have - group.desired]):
                cause = act.shrink_cause(now, have - count, have - count - 1)
                for replacement in (m for m in members if m.replaces == victim.instance_id):
                    self._terminate(group, ctx, replacement, None, quiet=True)
                self._terminate(group, ctx, victim, cause)

    def _launch(self, group, ctx, index: int, cause: str, replaces: str | None = None) -> None:
        group = self.store.group_by_id(group.id)
        if group is None or group.deleting:
            return
        try:
            instance_id = members_api.launch(ctx, group.launch_spec, index)
        except TransientError as error:
            log.info("group %s: launch will be retried: %s", group.name, error)
            return
        except ResourceFailure as failure:
            if str(failure) != group.last_failure:  # the same failure on every retry is one event, not many
                self.store.record_activity(group, act.launch_failed(str(failure), cause))
            self.store.update_group(group.id, last_failure=str(failure))
            return
        self.store.add_member(group.id, instance_id, group.spec_version, replaces)
        self.store.record_activity(group, act.launching(instance_id, cause))

    def _terminate(self, group, ctx, member, cause: str | None, quiet: bool = False) -> None:
        self.store.update_member(member.id, lifecycle=TERMINATING)
        if not quiet:
            self.store.record_activity(group, act.terminating(member.instance_id, cause or ""))
        try:
            members_api.terminate(ctx, member.instance_id)
        except (TransientError, ResourceFailure) as error:
            log.warning("group %s: terminating %s: %s (retried)", group.name, member.instance_id, error)


def _min_successful_percent(group: ScalingGroupRow) -> float:
    """AutoScalingCreationPolicy.MinSuccessfulInstancesPercent (kept with the signal policy)."""
    return float((group.signal_policy or {}).get("MinSuccessfulInstancesPercent", 100))


def capacity_reached(group: ScalingGroupRow, members: list[ScalingMemberRow]) -> bool:
    """Create / update may complete: every wanted member InService, or with
    MinSuccessfulInstancesPercent below 100, that share of them (others may still be retried)."""
    percent = _min_successful_percent(group)
    in_service = sum(1 for m in members if m.lifecycle == IN_SERVICE and m.replaces is None)
    pending = any(m.lifecycle == PENDING for m in members)
    return (percent < 100 or not pending) and in_service >= math.ceil(group.desired * percent / 100.0)


class ScalingWorker:
    """Runs ``GroupReconciler.tick`` for every group every ``interval`` seconds
    (sooner when ``wake`` is called after an alarm queued work)."""

    def __init__(self, reconciler: GroupReconciler, owner: str, interval: float = 5.0, lease_seconds: float = 60.0):
        self.reconciler, self.owner, self.interval, self.lease_seconds = reconciler, owner, interval, lease_seconds
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        store = self.reconciler.store
        for group_id in store.all_group_ids():
            if not store.claim(group_id, self.owner, self.lease_seconds):
                continue  # another worker has it this round
            try:
                self.reconciler.tick(group_id)
            except Exception:
                log.exception("auto scaling group %s: tick failed", group_id)
            finally:
                store.release(group_id, self.owner)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database hiccup must not end the loop
                log.exception("auto scaling cycle failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="autoscaling", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
