"""One resource type's life on the sim, driven through boto3 against a real server: create,
a list of UpdateStack steps each with the outcome CloudFormation must give it (the resource
updated in place, replaced, or the update rolled back with a given reason), then DeleteStack
leaving the sim inventory exactly as the seed. Each test module describes its types as
``Scenario`` data plus the checks only that type needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

import cfnapi.cloud.sim
from cfnapi.testing.server import RunningServer, start_server
from cfnapi.testing.sim_inventory import ids
from cfnapi.testing.sim_inventory import sim_inventory_direct as sim_inventory

IN_PLACE, REPLACED, ROLLED_BACK = "in place", "replaced", "rolled back"


def fast_sim_server(data_dir: Path) -> RunningServer:
    """A server of its own, so the sim inventory holds only what one module makes;
    the shipped seed with shorter build times, so the module runs quickly."""
    seed = yaml.safe_load((Path(cfnapi.cloud.sim.__file__).with_name("default_cloud.yaml")).read_text())
    seed["behaviour"] = {"server_build_seconds": 0.2, "volume_create_seconds": 0.1, "snapshot_create_seconds": 0.1,
                         "backup_create_seconds": 0.1}
    config = data_dir / "cloud.yaml"
    config.write_text(yaml.safe_dump(seed))
    return start_server(data_dir, extra_args=["--cloud-config", str(config)])


def wait(cfn, name: str, waiter: str) -> None:
    cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 0.25, "MaxAttempts": 480})


def status(cfn, name: str) -> str:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def physical_id(cfn, name: str, logical_id: str) -> str:
    return cfn.describe_stack_resource(StackName=name, LogicalResourceId=logical_id)[
        "StackResourceDetail"]["PhysicalResourceId"]


def parameter_list(parameters: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()]


def update(cfn, name: str, template: str, capabilities: tuple[str, ...] = (), **parameters) -> None:
    cfn.update_stack(StackName=name, TemplateBody=template, Parameters=parameter_list(parameters),
                     Capabilities=list(capabilities))


def failure_reasons(cfn, name: str) -> list[str]:
    return [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
            if e["ResourceStatus"].endswith("FAILED")]


def complete_reason(cfn, name: str, logical_id: str, status_: str = "CREATE_COMPLETE") -> str | None:
    """The reason of the resource's latest ``status_`` event."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]  # newest first
    return next(e.get("ResourceStatusReason") for e in events
                if e["LogicalResourceId"] == logical_id and e["ResourceStatus"] == status_)


def entry(inventory: dict, kind: str, entry_id: str) -> dict:
    [found] = [e for e in inventory[kind] if e["id"] == entry_id]
    return found


def outputs(cfn, name: str) -> dict[str, str]:
    [stack] = cfn.describe_stacks(StackName=name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def delete_and_check_seed(cfn, server: RunningServer, name: str, seed: dict) -> None:
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    assert sim_inventory(server) == seed


def create_fails(cfn, server: RunningServer, name: str, template: str, reason: str,
                 capabilities: tuple[str, ...] = (), **parameters) -> None:
    """A create whose natural failure rolls it back: ROLLBACK_COMPLETE with ``reason`` on a
    FAILED event, the sim as it was, and the stack deletable."""
    before = sim_inventory(server)
    cfn.create_stack(StackName=name, TemplateBody=template, Parameters=parameter_list(parameters),
                     Capabilities=list(capabilities))
    with pytest.raises(Exception):
        wait(cfn, name, "stack_create_complete")
    assert status(cfn, name) == "ROLLBACK_COMPLETE"
    assert any(reason in r for r in failure_reasons(cfn, name)), failure_reasons(cfn, name)
    assert sim_inventory(server) == before
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")


@dataclass
class Run:
    """What a scenario's checks see: the clients, the seed, and the judged physical ids so far."""

    cfn: Any
    server: RunningServer
    name: str
    seed: dict
    before: dict = field(default_factory=dict)  # the inventory before the step being checked
    seen: dict[str, list[str]] = field(default_factory=dict)  # logical id -> its physical ids, in order
    notes: dict[str, Any] = field(default_factory=dict)  # what a check keeps for a later one

    def physical_id(self, logical_id: str) -> str:
        return physical_id(self.cfn, self.name, logical_id)

    def first(self, logical_id: str) -> str:
        return self.seen[logical_id][0]

    def inventory(self) -> dict:
        return sim_inventory(self.server)

    def outputs(self) -> dict[str, str]:
        return outputs(self.cfn, self.name)


Check = Callable[[Run], None]


@dataclass(frozen=True)
class Step:
    """One UpdateStack with the whole parameter set, and what it must do to ``resource``
    (the scenario's unless given)."""

    outcome: str  # IN_PLACE | REPLACED | ROLLED_BACK
    parameters: Mapping[str, Any]
    reason: str | None = None  # ROLLED_BACK: text of a FAILED event's reason
    resource: str | None = None
    check: Check | None = None


@dataclass(frozen=True)
class Scenario:
    name: str  # the stack's name and the test's id
    template: str
    resource: str  # the logical id whose physical id the steps judge
    steps: tuple[Step, ...]
    sim_kind: str | None = None  # the sim inventory kind the resource lives in, if any
    parameters: Mapping[str, Any] = field(default_factory=dict)
    capabilities: tuple[str, ...] = ()
    on_create: Check | None = None

    def __str__(self) -> str:
        return self.name


def run_scenario(cfn, server: RunningServer, scenario: Scenario) -> Run:
    run = Run(cfn, server, scenario.name, sim_inventory(server))
    cfn.create_stack(StackName=scenario.name, TemplateBody=scenario.template,
                     Parameters=parameter_list(scenario.parameters), Capabilities=list(scenario.capabilities))
    wait(cfn, scenario.name, "stack_create_complete")
    run.seen[scenario.resource] = [run.physical_id(scenario.resource)]
    if scenario.on_create:
        scenario.on_create(run)
    for step in scenario.steps:
        _run_step(run, scenario, step)
    delete_and_check_seed(cfn, server, scenario.name, run.seed)
    return run


def _run_step(run: Run, scenario: Scenario, step: Step) -> None:
    cfn, name = run.cfn, run.name
    logical_id = step.resource or scenario.resource
    previous = run.physical_id(logical_id)
    run.before = run.inventory()
    update(cfn, name, scenario.template, scenario.capabilities, **step.parameters)
    if step.outcome == ROLLED_BACK:
        with pytest.raises(Exception):
            wait(cfn, name, "stack_update_complete")
        assert status(cfn, name) == "UPDATE_ROLLBACK_COMPLETE"
        if step.reason is not None:
            assert any(step.reason in r for r in failure_reasons(cfn, name)), failure_reasons(cfn, name)
        assert run.physical_id(logical_id) == previous
        if scenario.sim_kind:
            assert ids(run.inventory(), scenario.sim_kind) == ids(run.before, scenario.sim_kind)
    else:
        wait(cfn, name, "stack_update_complete")
        now = run.physical_id(logical_id)
        run.seen.setdefault(logical_id, [previous]).append(now)
        if step.outcome == IN_PLACE:
            assert now == previous
        else:
            assert step.outcome == REPLACED and now != previous
            if scenario.sim_kind and logical_id == scenario.resource:  # the old one cleaned up, nothing else
                inventory = run.inventory()
                assert ids(inventory, scenario.sim_kind) - ids(run.before, scenario.sim_kind) == {now}
                assert previous not in ids(inventory, scenario.sim_kind)
    if step.check:
        step.check(run)
