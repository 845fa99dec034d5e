"""Running a corpus sample on the box from its conformance parameter file.

``conformance/corpus_params/<stem>.json`` says how a sample runs on the sim
(parameters, signals, expected outputs, what an update keeps or replaces,
what DeleteStack retains). ``BoxRun`` adds what differs on the box: ids of
the box's seeded network instead of the sim's, and the update to run — for
templates with no parameter worth changing, an edit of the template itself,
so that every sample is also updated (with a replacement where the template
has a property that forces one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.corpus import CAPABILITIES, PARAMS_DIR, send_signal

from .box import delete_and_wait, parameters, physical_id_once_made, reasons, wait_for_stack


@dataclass(frozen=True)
class BoxRun:
    stem: str
    # Parameter values that must come from the box (its subnet, network, image ids).
    box_values: Callable[[object], dict] = lambda conn: {}
    # (template body, parameter values) -> the same after the update.
    update: Callable[[str, dict, object], tuple[str, dict]] | None = None
    keeps: tuple[str, ...] = ()  # same physical id after the update
    replaces: tuple[str, ...] = ()  # a new physical id after the update
    outputs_after_update: dict[str, str] = field(default_factory=dict)  # output key -> regex


def spec_of(stem: str) -> dict:
    return json.loads((PARAMS_DIR / f"{stem}.json").read_text())


def outputs_of(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def physical_ids(cfn, stack_name: str) -> dict[str, str]:
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources}


def assert_outputs_match(outputs: dict[str, str], patterns: dict[str, str]) -> None:
    for key, pattern in patterns.items():
        assert key in outputs, f"output {key} missing from {sorted(outputs)}"
        assert re.search(pattern, outputs[key]), f"{key}={outputs[key]!r} does not match {pattern!r}"


def create_prerequisites(cfn, spec: dict, name: str) -> str | None:
    """The stack a sample needs first (what the account would already hold), or None."""
    if not spec.get("prerequisites"):
        return None
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(spec["prerequisites"]), Capabilities=CAPABILITIES)
    assert wait_for_stack(cfn, name)["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
    return name


def run_sample(cfn, conn, run: BoxRun, body: str) -> dict:
    """Create, check outputs, update, delete. Returns the physical ids the stack
    had before DeleteStack (the test checks what the services still hold)."""
    spec = spec_of(run.stem)
    values = {**spec.get("parameters", {}), **run.box_values(conn)}
    # The stack name the conformance suite uses: the expected outputs embed it.
    name = re.sub(r"[^A-Za-z0-9-]", "-", run.stem)[:100]
    prerequisites = create_prerequisites(cfn, spec, f"{name}-prereq")
    try:
        cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(values),
                         Capabilities=CAPABILITIES)
        for signal in spec.get("signals", []):  # the box's instances never run cfn-signal themselves
            _with_reasons(cfn, name, lambda signal=signal: send_signal(cfn, name, signal))
        stack = wait_for_stack(cfn, name)
        assert stack["StackStatus"] == "CREATE_COMPLETE", reasons(cfn, name)
        assert_outputs_match(outputs_of(stack), spec.get("outputs", {}))

        if run.update is not None:
            new_body, new_values = run.update(body, dict(values), conn)
            before = physical_ids(cfn, name)
            cfn.update_stack(StackName=name, TemplateBody=new_body, Parameters=parameters(new_values),
                             Capabilities=CAPABILITIES)
            _with_reasons(cfn, name, lambda: _signal_replacements(cfn, name, spec, run, before))
            stack = wait_for_stack(cfn, name)
            assert stack["StackStatus"] == "UPDATE_COMPLETE", reasons(cfn, name)
            after = physical_ids(cfn, name)
            assert [k for k in run.keeps if after[k] != before[k]] == [], (before, after)
            assert [k for k in run.replaces if after[k] == before[k]] == [], (before, after)
            assert_outputs_match(outputs_of(stack), run.outputs_after_update)
        made = physical_ids(cfn, name)
        delete_and_wait(cfn, name)
        return made
    finally:
        if prerequisites:
            delete_and_wait(cfn, prerequisites)


def _with_reasons(cfn, name: str, step) -> None:
    try:
        step()
    except AssertionError as failed:
        raise AssertionError(f"{failed}; stack events: {reasons(cfn, name)[:8]}") from None


def _signal_replacements(cfn, name: str, spec: dict, run: BoxRun, before: dict[str, str]) -> None:
    """A replaced resource with a CreationPolicy waits for its own signals, as on AWS."""
    for signal in spec.get("signals", []):
        if signal["via"] == "signal-resource" and signal["resource"] in run.replaces:
            logical = signal["resource"]
            new_id = physical_id_once_made(cfn, name, logical, not_this=before[logical])
            cfn.signal_resource(StackName=name, LogicalResourceId=logical, UniqueId=new_id, Status="SUCCESS")
