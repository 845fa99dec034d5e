"""The real-template corpus: validate, create, outputs, update, delete, inventory.

Parameter values for running each template on the sim cloud live in
``conformance/corpus_params/<template stem>.json``::

    {"parameters": {"KeyName": "default"},       # CreateStack parameters
     "update": {"InstanceType": "t3.small"},      # changed on UpdateStack
     "outputs": {"URL": "^http://"},              # output key -> regex its value must match
     "update_keeps": ["Server"],                  # updated in place: same physical id after the update
     "update_replaces": ["Volume"],               # replaced: a new physical id
     "no_update_because": "…",                   # why the update row is skipped (no "update")
     "retained": {"containers": 3},               # DeletionPolicy Retain: what DeleteStack must leave
     "prerequisites": {...template...},           # a stack made first: what the account must already hold
     "signals": [{"resource": "Handle", "via": "curl"},
                 {"resource": "Instance", "via": "signal-resource"}]}

The sim never runs an instance's user data, so the suite sends the signals the
instance's cfn-signal would: ``curl`` PUTs to a WaitConditionHandle's URL with
an empty Content-Type and a JSON body, exactly as cfn-signal does;
``signal-resource`` calls SignalResource for a CreationPolicy with the
instance id as UniqueId, as ``cfn-signal --stack --resource`` does.

A template using types cfnapi does not support must fail validation naming
them; its row reads "unsupported: [types]" and counts as skipped.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from botocore.exceptions import ClientError

from cfnapi.testing.clients import client
from cfnapi.testing.server import RunningServer
from cfnapi.testing.sim_inventory import sim_inventory
from conformance import signals
from conformance.report import Report, Skip

CORPUS_DIR = Path(os.environ.get("CFNAPI_CORPUS_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "corpus"))
PARAMS_DIR = Path(__file__).with_name("corpus_params")
UNSUPPORTED = re.compile(r"Unrecognized resource types: \[(.*?)\]")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def templates() -> list[Path]:
    return sorted(p for p in CORPUS_DIR.rglob("*") if p.suffix in (".yaml", ".yml", ".json", ".template"))


def run_all(report: Report, server: RunningServer, only: list[str] | None = None) -> None:
    paths = [p for p in templates() if not only or any(part in p.stem for part in only)]
    if not paths:
        report.skip("corpus", "all", f"no templates found under {CORPUS_DIR}")
        return
    for path in paths:
        run_template(report, server, path)


def run_template(report: Report, server: RunningServer, path: Path) -> None:
    cfn = client("cloudformation", server.endpoint)
    subject = path.stem
    body = path.read_text()
    spec_path = PARAMS_DIR / f"{path.stem}.json"
    spec = json.loads(spec_path.read_text()) if spec_path.exists() else {}

    def validate():
        try:
            cfn.validate_template(TemplateBody=body)
        except ClientError as error:
            unsupported = UNSUPPORTED.search(error.response["Error"]["Message"])
            if unsupported:
                raise Skip(f"unsupported: [{unsupported.group(1)}]") from None
            raise

    if not report.run(subject, "validate", validate):
        return
    if not spec:
        report.skip(subject, "create", f"no parameter file {spec_path.name}")
        return
    stack_name = re.sub(r"[^A-Za-z0-9-]", "-", subject)[:100]
    prerequisites = f"{stack_name[:80]}-prerequisites"
    if spec.get("prerequisites") and not report.run(
            subject, "prerequisites stack", lambda: _create_prerequisites(cfn, prerequisites, spec["prerequisites"])):
        return
    seed = sim_inventory(server)

    def create():
        cfn.create_stack(StackName=stack_name, TemplateBody=body, Capabilities=CAPABILITIES,
                         Parameters=_parameters(spec.get("parameters", {})))
        for signal in spec.get("signals", []):
            report.run(subject, f"signal {signal['resource']} via {signal['via']}",
                       lambda signal=signal: send_signal(cfn, stack_name, signal))
        _wait(cfn, stack_name, "stack_create_complete")

    def outputs():
        [stack] = cfn.describe_stacks(StackName=stack_name)["Stacks"]
        values = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        for key, pattern in spec.get("outputs", {}).items():
            assert key in values, f"output {key} missing from {sorted(values)}"
            assert re.search(pattern, values[key]), f"{key}={values[key]!r} does not match {pattern!r}"
        return ", ".join(f"{k}={v}" for k, v in sorted(values.items()))[:200]

    def update():
        if not spec.get("update"):
            raise Skip(spec.get("no_update_because", "no parameter to change in the parameter file"))
        changed = {**spec.get("parameters", {}), **spec["update"]}
        before = _physical_ids(cfn, stack_name)
        cfn.update_stack(StackName=stack_name, TemplateBody=body, Capabilities=CAPABILITIES,
                         Parameters=_parameters(changed))
        _wait(cfn, stack_name, "stack_update_complete")
        after = _physical_ids(cfn, stack_name)
        moved = sorted(k for k in spec.get("update_keeps", []) if after.get(k) != before.get(k))
        assert not moved, f"replaced, but AWS updates them in place: {moved}"
        kept = sorted(k for k in spec.get("update_replaces", []) if after.get(k) == before.get(k))
        assert not kept, f"kept, but AWS replaces them: {kept}"
        return f"changed {sorted(spec['update'])}; in place: {len(spec.get('update_keeps', []))} checked"

    def delete():
        _delete(cfn, stack_name)

    def inventory():
        left = sim_inventory(server)
        kept = []
        for kind, count in spec.get("retained", {}).items():  # AWS keeps these after DeleteStack
            made = [entry for entry in left[kind] if entry not in seed[kind]]
            assert len(made) == count, f"DeletionPolicy Retain keeps {count} {kind}, found {len(made)}"
            left[kind] = [entry for entry in left[kind] if entry in seed[kind]]
            kept.append(f"{count} {kind} retained")
        assert left == seed, "the sim cloud still holds resources the stack made"
        return ", ".join(kept) or None

    created = report.run(subject, "create", create)
    if created:
        report.run(subject, "outputs", outputs)
        report.run(subject, "update", update)
    report.run(subject, "delete", delete)
    report.run(subject, "inventory back to seed", inventory)
    if spec.get("prerequisites"):
        report.run(subject, "prerequisites deleted", lambda: _delete(cfn, prerequisites))


def _create_prerequisites(cfn, stack_name: str, template: dict) -> str:
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
    _wait(cfn, stack_name, "stack_create_complete")
    return ", ".join(sorted(template.get("Resources", {})))


def _delete(cfn, stack_name: str) -> None:
    cfn.delete_stack(StackName=stack_name)
    _wait(cfn, stack_name, "stack_delete_complete")


def send_signal(cfn, stack_name: str, signal: dict) -> str:
    """Signal on the instance's behalf once the engine has made the resource."""
    physical_id = _physical_id_once_made(cfn, stack_name, signal["resource"])
    if signal["via"] == "curl":
        return signals.curl_wait_condition_signal(physical_id, unique_id="corpus-instance")
    if signal["via"] == "signal-resource":
        cfn.signal_resource(StackName=stack_name, LogicalResourceId=signal["resource"],
                            UniqueId=physical_id, Status="SUCCESS")
        return f"SignalResource UniqueId={physical_id}"
    raise AssertionError(f"unknown signal kind {signal['via']!r} in the parameter file")


def _physical_id_once_made(cfn, stack_name: str, logical_id: str) -> str:
    """The resource's physical id as soon as it has one (bounded wait)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for resource in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
            if resource["LogicalResourceId"] == logical_id and resource.get("PhysicalResourceId"):
                return resource["PhysicalResourceId"]
        time.sleep(0.2)
    raise AssertionError(f"{logical_id} got no physical id within 120 s")


def _physical_ids(cfn, stack_name: str) -> dict[str, str]:
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources}


def _parameters(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in values.items()]


def _wait(cfn, stack_name: str, waiter_name: str) -> None:
    try:
        cfn.get_waiter(waiter_name).wait(StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
    except Exception:
        events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
                   for e in events if e["ResourceStatus"].endswith("FAILED")]
        raise AssertionError("; ".join(reasons[:3]) or "waiter failed") from None
