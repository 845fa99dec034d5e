"""AWS::AutoScaling::* → cfnapi's own Auto Scaling (``cfnapi.autoscaling``).

A group's wanted state (sizes, how to build a member, health check, signal and
update policies) is written to the Auto Scaling tables; the scaling worker
launches and terminates its member servers through AWS::EC2::Instance's code.
Create and update complete once the members are in service; delete terminates
every member before it completes, so nothing outlives the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cfnapi.autoscaling import launch as members_api
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.autoscaling.worker import TERMINATING, capacity_reached
from cfnapi.translate import launch_templates
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceState, ResourceType
from cfnapi.translate.cloud_calls import as_list, made_since_token, physical_name, truthy
from cfnapi.translate.ec2_instance import resolve_image

BALANCERS_RECORDED = ("LoadBalancerNames and TargetGroupARNs are recorded only: cfnapi has no load balancer "
                      "type, so members are not registered with any balancer.")


def _store(ctx: ResourceContext) -> AutoScalingStore:
    return ctx.cloud.autoscaling


def _int(value: Any, default: int | None = None) -> int | None:
    return default if value in (None, "") else int(value)


class LaunchConfiguration(ResourceType):
    type_name = "AWS::AutoScaling::LaunchConfiguration"
    openstack_mapping = "recorded; each group member becomes a Nova server built from it (as AWS::EC2::Instance)"
    properties = (
        PropertySpec("ImageId", required=True, update="replace"),
        PropertySpec("InstanceType", required=True, update="replace"),
        PropertySpec("KeyName", update="replace"),
        PropertySpec("SecurityGroups", "List", update="replace"),
        PropertySpec("UserData", update="replace"),
        PropertySpec("BlockDeviceMappings", "List", update="replace"),
        PropertySpec("LaunchConfigurationName", update="replace"),
    )
    name_properties = ("LaunchConfigurationName",)
    not_honoured = ("IamInstanceProfile, InstanceMonitoring, AssociatePublicIpAddress, SpotPrice, "
                    "EbsOptimized, MetadataOptions, PlacementTenancy")

    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        resolve_image(ctx, str(props["ImageId"]))  # an unknown image fails here, as AWS validates it
        return str(props.get("LaunchConfigurationName") or physical_name(ctx))


class AutoScalingGroup(ResourceType):
    type_name = "AWS::AutoScaling::AutoScalingGroup"
    openstack_mapping = "cfnapi Auto Scaling group; members are Nova servers (as AWS::EC2::Instance)"
    properties = (
        PropertySpec("AutoScalingGroupName", update="replace"),
        PropertySpec("LaunchConfigurationName"),
        PropertySpec("LaunchTemplate", "Json"),
        PropertySpec("MinSize", required=True),
        PropertySpec("MaxSize", required=True),
        PropertySpec("DesiredCapacity"),
        PropertySpec("Cooldown"),
        PropertySpec("HealthCheckType"),
        PropertySpec("HealthCheckGracePeriod", "Integer"),
        PropertySpec("VPCZoneIdentifier", "List"),
        PropertySpec("AvailabilityZones", "List"),
        PropertySpec("Tags", "List"),
        PropertySpec("LoadBalancerNames", "List"),
        PropertySpec("TargetGroupARNs", "List"),
    )
    # No name_properties: only a new AutoScalingGroupName replaces the group, so names never collide.
    not_honoured = (BALANCERS_RECORDED + " MixedInstancesPolicy, InstanceId, LifecycleHookSpecificationList, "
                    "NotificationConfigurations, MetricsCollection, TerminationPolicies (cfnapi removes unhealthy, "
                    "then outdated, then newest members), CapacityRebalance, PlacementGroup.")

    # -- what a member is built from -----------------------------------------
    def _launch_spec(self, ctx: ResourceContext, props: Mapping[str, Any], group_name: str) -> dict[str, Any]:
        store = _store(ctx)
        if props.get("LaunchConfigurationName"):
            name = str(props["LaunchConfigurationName"])
            found = store.resource_properties(ctx.account_id, LaunchConfiguration.type_name, name)
            if found is None:
                raise ResourceFailure(f"Launch configuration name not found - Launch configuration {name} "
                                      f"not found")
            instance = members_api.instance_properties_from_launch_configuration(found)
        elif isinstance(props.get("LaunchTemplate"), Mapping):
            instance = launch_templates.instance_properties(
                launch_templates.launch_template_data(ctx, props["LaunchTemplate"]))
        else:
            raise ResourceFailure("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, "
                                  "InstanceId or MixedInstancesPolicy parameter.")
        tags = {str(t["Key"]): str(t.get("Value", "")) for t in as_list(props.get("Tags"))
                if truthy(t.get("PropagateAtLaunch"))}
        return {
            "Instance": instance,
            "Subnets": [str(s) for s in as_list(props.get("VPCZoneIdentifier"))],
            "Zones": [str(z) for z in as_list(props.get("AvailabilityZones"))],
            "Tags": tags,
            "GroupName": group_name,
        }

    @staticmethod
    def _sizes(props: Mapping[str, Any], current_desired: int | None = None) -> tuple[int, int, int]:
        low, high = _int(props.get("MinSize")), _int(props.get("MaxSize"))
        if low > high:
            raise ResourceFailure(f"Max bound, {high}, must be greater than or equal to min bound, {low}")
        if props.get("DesiredCapacity") not in (None, ""):
            desired = _int(props["DesiredCapacity"])
            if not low <= desired <= high:
                raise ResourceFailure(f"Desired capacity:{desired} must be between the specified min size:{low} "
                                      f"and max size:{high}")
        else:
            desired = low if current_desired is None else max(low, min(high, current_desired))
        return low, high, desired

    @staticmethod
    def _policies(ctx: ResourceContext, desired: int) -> dict[str, Any]:
        creation, update = ctx.creation_policy or {}, ctx.update_policy or {}
        rolling = update.get("AutoScalingRollingUpdate")
        signal_policy = dict(creation.get("ResourceSignal") or {})
        if rolling and truthy(rolling.get("WaitOnResourceSignals")):
            signal_policy = {"Timeout": rolling.get("PauseTime") or "PT5M"}
        percent = (creation.get("AutoScalingCreationPolicy") or {}).get("MinSuccessfulInstancesPercent")
        if signal_policy and percent not in (None, ""):
            signal_policy["MinSuccessfulInstancesPercent"] = float(percent)
        if truthy((update.get("AutoScalingReplacingUpdate") or {}).get("WillReplace")):
            batch = max(desired, 1)  # a whole new set of members before the old set goes
        else:
            batch = _int((rolling or {}).get("MaxBatchSize"), 1)
        return {"signal_policy": signal_policy or None, "max_batch_size": batch}

    # -- lifecycle -----------------------------------------------------------
    def create(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        name = str(props.get("AutoScalingGroupName") or physical_name(ctx))
        store = _store(ctx)
        if store.group(ctx.account_id, ctx.region, name) is not None:
            raise ResourceFailure(f"AutoScalingGroup by this name already exists - A group with the name {name} "
                                  f"already exists")
        low, high, desired = self._sizes(props)
        store.create_group(
            account_id=ctx.account_id, region=ctx.region, name=name, stack_id=ctx.stack_id,
            stack_name=ctx.stack_name, logical_id=ctx.logical_id, launch_spec=self._launch_spec(ctx, props, name),
            min_size=low, max_size=high, desired=desired, default_cooldown=_int(props.get("Cooldown"), 300),
            health_check_type=str(props.get("HealthCheckType") or "EC2"),
            health_check_grace_seconds=_int(props.get("HealthCheckGracePeriod"), 0),
            **self._policies(ctx, desired),
        )
        if props.get("LoadBalancerNames") or props.get("TargetGroupARNs"):
            group = store.group(ctx.account_id, ctx.region, name)
            store.record_activity(group, BALANCERS_RECORDED)
        return name

    def find_created(self, ctx: ResourceContext, props: Mapping[str, Any]) -> str | None:
        """A generated name carries the token; a custom one is this create's if the group row
        names this stack and resource and was written after the token was saved."""
        if not ctx.creation_token:
            return None
        name = str(props.get("AutoScalingGroupName") or physical_name(ctx))
        group = _store(ctx).group(ctx.account_id, ctx.region, name)
        if group is None:
            return None
        if props.get("AutoScalingGroupName") and not (
                group.stack_id == ctx.stack_id and group.logical_id == ctx.logical_id
                and made_since_token(ctx, group.created_at)):
            return None
        return name

    def _complete(self, ctx: ResourceContext, resource: ResourceState, all_current: bool) -> bool:
        store = _store(ctx)
        group = store.group(ctx.account_id, ctx.region, resource.physical_id)
        if group is None:
            raise ResourceFailure(f"AutoScalingGroup {resource.physical_id} not found")
        if group.last_failure:
            raise ResourceFailure(group.last_failure)
        members = store.members(group.id)
        if all_current and any(m.spec_version < group.spec_version for m in members):
            return False
        return capacity_reached(group, members)

    def check_create_complete(self, ctx: ResourceContext, resource: ResourceState) -> bool:
        return self._complete(ctx, resource, all_current=False)

    def update(self, ctx, resource, old_props, new_props) -> None:
        store = _store(ctx)
        group = store.group(ctx.account_id, ctx.region, resource.physical_id)
        if group is None:
            raise ResourceFailure(f"AutoScalingGroup {resource.physical_id} not found")
        low, high, desired = self._sizes(new_props, group.desired)
        if new_props.get("DesiredCapacity") == old_props.get("DesiredCapacity"):
            desired = max(low, min(high, group.desired))  # keep what policies chose
        spec = self._launch_spec(ctx, new_props, group.name)
        values: dict[str, Any] = dict(
            min_size=low, max_size=high, desired=desired, launch_spec=spec, last_failure=None,
            default_cooldown=_int(new_props.get("Cooldown"), 300),
            health_check_type=str(new_props.get("HealthCheckType") or "EC2"),
            health_check_grace_seconds=_int(new_props.get("HealthCheckGracePeriod"), 0),
            **self._policies(ctx, desired),
        )
        replaces_members = bool((ctx.update_policy or {}).get("AutoScalingRollingUpdate")) or truthy(
            ((ctx.update_policy or {}).get("AutoScalingReplacingUpdate") or {}).get("WillReplace"))
        if spec != group.launch_spec:
            values["spec_version"] = group.spec_version + 1
            if not replaces_members:  # without an UpdatePolicy AWS leaves running members alone
                for member in store.members(group.id):
                    store.update_member(member.id, spec_version=group.spec_version + 1)
        store.update_group(group.id, **values)

    def check_update_complete(self, ctx, resource) -> bool:
        return self._complete(ctx, resource, all_current=True)

    def delete(self, ctx, resource) -> None:
        """Stop the scaling worker from touching the group; members go in check_delete_complete."""
        store = _store(ctx)
        group = store.group(ctx.account_id, ctx.region, resource.physical_id or "")
        if group is not None:
            store.update_group(group.id, deleting=True)

    def check_delete_complete(self, ctx, resource) -> bool:
        store = _store(ctx)
        group = store.group(ctx.account_id, ctx.region, resource.physical_id or "")
        if group is None:
            return True
        # Hold the group's lease while deleting: a worker mid-tick (perhaps mid-launch)
        # finishes first, and no worker terminates the same servers concurrently.
        owner = f"delete:{ctx.stack_id}"
        if not store.claim(group.id, owner, 60):
            return False
        remaining = False
        for member in store.members(group.id):
            if members_api.terminated(ctx, member.instance_id):
                store.remove_member(member.id)
                store.forget_member_alarms(group, member.instance_id)
            else:
                if member.lifecycle != TERMINATING:
                    store.update_member(member.id, lifecycle=TERMINATING)
                members_api.terminate(ctx, member.instance_id)
                remaining = True
        if remaining:
            return False
        store.forget_group(group.id)
        return True
