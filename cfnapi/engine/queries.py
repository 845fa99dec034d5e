"""Read operations: stacks, events, resources, templates, account limits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import bindparam, or_, select

from cfnapi.engine import statuses as st
from cfnapi.engine.lookup import Caller, find_stack
from cfnapi.engine.models import EventRow, ResourceRow, StackRow, utcnow
from cfnapi.engine.pagination import PAGE_SIZES, decode_token, encode_token, page, with_token
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import validation_error

NO_ECHO_MASK = "****"
# AWS lists a deleted stack (ListStacks, DescribeStacks by StackId) for 90 days.
DELETED_STACK_RETENTION = dt.timedelta(days=90)


def describe_stack(stack: StackRow) -> dict[str, Any]:
    masked = set(stack.no_echo_parameters or ())
    out: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": NO_ECHO_MASK if k in masked else v}
            for k, v in (stack.parameters or {}).items()
        ],
        "CreationTime": stack.created_at,
        "StackStatus": stack.status,
        "DisableRollback": stack.on_failure == "DO_NOTHING",
        "NotificationARNs": list(stack.notification_arns or []),
        "Capabilities": list(stack.capabilities or []),
        "Outputs": list(stack.outputs or []),
        "Tags": list(stack.tags or []),
        "EnableTerminationProtection": bool(stack.termination_protection),
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    optional = {
        "Description": stack.description,
        "StackStatusReason": stack.status_reason,
        "LastUpdatedTime": stack.updated_at,
        "DeletionTime": stack.deleted_at,
        "TimeoutInMinutes": stack.timeout_in_minutes,
        "RoleARN": stack.role_arn,
        "ParentId": stack.parent_id,
        "RootId": stack.root_id,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    if stack.status == "REVIEW_IN_PROGRESS":
        # A stack created by a CREATE change set has no template, parameters or outputs yet.
        for key in ("Parameters", "Outputs"):
            out.pop(key)
    return out


def _account_stacks(caller: Caller):
    return select(StackRow).where(StackRow.account_id == caller.account_id, StackRow.region == caller.region)


def describe_stacks(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        return {"Stacks": [describe_stack(find_stack(runtime, caller, params["StackName"], without_templates=True))]}
    with runtime.db.read_transaction() as session:
        stacks = session.scalars(
            _account_stacks(caller).where(StackRow.deleted_at.is_(None)).order_by(StackRow.created_at.desc())
        ).all()
        chunk, token = page("DescribeStacks", stacks, params.get("NextToken"))
        return with_token({"Stacks": [describe_stack(s) for s in chunk]}, token)


def list_stacks(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("StackStatusFilter") or []
    unknown = [s for s in wanted if s not in st.ALL_STACK_STATUSES]
    if unknown:
        raise validation_error(
            f"1 validation error detected: Value '[{', '.join(wanted)}]' at 'stackStatusFilter' failed to satisfy "
            f"constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
            f"[{', '.join(st.ALL_STACK_STATUSES)}]]"
        )
    cutoff = utcnow() - DELETED_STACK_RETENTION
    with runtime.db.read_transaction() as session:
        query = _account_stacks(caller).where(or_(StackRow.deleted_at.is_(None), StackRow.deleted_at >= cutoff))
        if wanted:
            query = query.where(StackRow.status.in_(wanted))
        stacks = session.scalars(query.order_by(StackRow.created_at.desc())).all()
        chunk, token = page("ListStacks", stacks, params.get("NextToken"))
        return with_token({"StackSummaries": [_summary(s) for s in chunk]}, token)


def _summary(stack: StackRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": stack.created_at,
        "StackStatus": stack.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    optional = {
        "TemplateDescription": stack.description,
        "LastUpdatedTime": stack.updated_at,
        "DeletionTime": stack.deleted_at,
        "StackStatusReason": stack.status_reason,
        "ParentId": stack.parent_id,
        "RootId": stack.root_id,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


# A page of events read as plain rows (no ORM objects: a 500-resource stack's events
# are 16 pages of 100), newest first; the stack's index on stack_id holds seq (the rowid)
# in order, so a page is a range of that index.
_EVENT_COLUMNS = (EventRow.seq, EventRow.stack_id, EventRow.event_id, EventRow.stack_name, EventRow.logical_id,
                  EventRow.physical_id, EventRow.resource_type, EventRow.timestamp, EventRow.status,
                  EventRow.status_reason, EventRow.resource_properties, EventRow.client_request_token)
_EVENTS_PAGE = (select(*_EVENT_COLUMNS).where(EventRow.stack_id == bindparam("stack_id"))
                .order_by(EventRow.seq.desc()).limit(bindparam("limit")))
_EVENTS_PAGE_AFTER = _EVENTS_PAGE.where(EventRow.seq < bindparam("after_seq"))


def describe_stack_events(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_stack(runtime, caller, params["StackName"], include_deleted=True, without_templates=True)
    after_seq = decode_token("DescribeStackEvents", params.get("NextToken"))
    size = PAGE_SIZES["DescribeStackEvents"]
    values = {"stack_id": stack.stack_id, "limit": size + 1}
    if after_seq is not None:
        values["after_seq"] = after_seq
    with runtime.db.read_transaction() as session:
        rows = session.execute(_EVENTS_PAGE if after_seq is None else _EVENTS_PAGE_AFTER, values).all()
    more = len(rows) > size
    rows = rows[:size]
    result = {"StackEvents": [_event(row) for row in rows]}
    return with_token(result, encode_token("DescribeStackEvents", rows[-1].seq) if more else None)


def _event(row) -> dict[str, Any]:
    event = {
        "StackId": row.stack_id,
        "EventId": row.event_id,
        "StackName": row.stack_name,
        "LogicalResourceId": row.logical_id,
        "PhysicalResourceId": row.physical_id or "",
        "ResourceType": row.resource_type,
        "Timestamp": row.timestamp,
        "ResourceStatus": row.status,
    }
    if row.status_reason is not None:
        event["ResourceStatusReason"] = row.status_reason
    if row.resource_properties is not None:
        event["ResourceProperties"] = row.resource_properties
    if row.client_request_token:
        event["ClientRequestToken"] = row.client_request_token
    return event


def _current_resources(session, stack_id: str, logical_id: str | None = None) -> list[ResourceRow]:
    query = select(ResourceRow).where(ResourceRow.stack_id == stack_id, ResourceRow.role == "current")
    if logical_id:
        query = query.where(ResourceRow.logical_id == logical_id)
    return list(session.scalars(query.order_by(ResourceRow.id)).all())


def _resource_common(stack: StackRow, r: ResourceRow) -> dict[str, Any]:
    out = {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": r.logical_id,
        "PhysicalResourceId": r.physical_id or "",
        "ResourceType": r.type,
        "ResourceStatus": r.status,
    }
    if r.status_reason:
        out["ResourceStatusReason"] = r.status_reason
    return out


def describe_stack_resources(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack_name, physical_id = params.get("StackName"), params.get("PhysicalResourceId")
    if not stack_name and not physical_id:
        raise validation_error("Either StackName or PhysicalResourceId must be specified.")
    if stack_name:
        stack = find_stack(runtime, caller, stack_name, include_deleted=True)
    else:
        stack = _stack_owning(runtime, caller, physical_id)
    with runtime.db.read_transaction() as session:
        rows = _current_resources(session, stack.stack_id, params.get("LogicalResourceId"))
        return {
            "StackResources": [
                {
                    **_resource_common(stack, r),
                    "Timestamp": r.updated_at,
                    "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
                }
                for r in rows
            ]
        }


def _stack_owning(runtime: EngineRuntime, caller: Caller, physical_id: str) -> StackRow:
    with runtime.db.read_transaction() as session:
        stack = session.scalars(
            _account_stacks(caller)
            .join(ResourceRow, ResourceRow.stack_id == StackRow.stack_id)
            .where(ResourceRow.physical_id == physical_id, ResourceRow.role == "current")
            .order_by(StackRow.deleted_at.is_not(None), StackRow.created_at.desc())
        ).first()
        if stack is None:
            raise validation_error(f"Stack for {physical_id} does not exist")
        session.expunge(stack)
        return stack


def list_stack_resources(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_stack(runtime, caller, params["StackName"], include_deleted=True)
    with runtime.db.read_transaction() as session:
        rows = _current_resources(session, stack.stack_id)
        chunk, token = page("ListStackResources", rows, params.get("NextToken"))
        summaries = []
        for r in chunk:
            summary = {k: v for k, v in _resource_common(stack, r).items() if k not in ("StackName", "StackId")}
            summary["LastUpdatedTimestamp"] = r.updated_at
            summary["DriftInformation"] = {"StackResourceDriftStatus": "NOT_CHECKED"}
            summaries.append(summary)
        return with_token({"StackResourceSummaries": summaries}, token)


def describe_stack_resource(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_stack(runtime, caller, params["StackName"], include_deleted=True)
    logical_id = params["LogicalResourceId"]
    with runtime.db.read_transaction() as session:
        rows = _current_resources(session, stack.stack_id, logical_id)
        if not rows:
            raise validation_error(f"Resource {logical_id} does not exist for stack {stack.name}")
        r = rows[0]
        detail = {**_resource_common(stack, r), "LastUpdatedTimestamp": r.updated_at}
        # cfn-get-metadata (heat-cfntools) json-decodes this string; "{}" when there is none.
        detail["Metadata"] = json.dumps(r.resource_metadata if r.resource_metadata is not None else {})
        detail["DriftInformation"] = {"StackResourceDriftStatus": "NOT_CHECKED"}
        return {"StackResourceDetail": detail}


def template_body(runtime: EngineRuntime, caller: Caller, stack_name: str) -> str:
    """The stack's current template (GetTemplateSummary by StackName)."""
    return find_stack(runtime, caller, stack_name, include_deleted=True).template_body


def stack_template(runtime: EngineRuntime, caller: Caller, stack_name: str) -> tuple[str, dict[str, str]]:
    """The stack's current template and the raw parameter values it was processed with."""
    stack = find_stack(runtime, caller, stack_name, include_deleted=True)
    return stack.template_body, dict(stack.parameters or {})


def get_template(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("ChangeSetName"):
        from cfnapi.engine.change_sets import find_change_set

        change_set = find_change_set(runtime, caller, params["ChangeSetName"], params.get("StackName"))
        body, values = change_set.template_body, change_set.parameters
    elif not params.get("StackName"):
        raise validation_error("Either StackName or ChangeSetName must be specified.")
    else:
        stack = find_stack(runtime, caller, params["StackName"], include_deleted=True)
        body, values = stack.template_body, stack.parameters
    if params.get("TemplateStage") == "Processed":
        body = _processed_body(runtime, body, dict(values or {}))
    return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}


def _processed_body(runtime: EngineRuntime, body: str, values: dict[str, str]) -> str:
    # Recomputed from the stored body and raw values rather than stored: the
    # transforms are deterministic given both. A compiler without transforms
    # (tests' small ones) has nothing to process.
    processed_body = getattr(runtime.compiler, "processed_body", None)
    return body if processed_body is None else processed_body(body, values)


# The limits AWS reports by default (DescribeAccountLimits).
ACCOUNT_LIMITS = (("StackLimit", 2000), ("StackOutputsLimit", 200), ("ConcurrentResourcesLimit", 2500))


def describe_account_limits(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return {"AccountLimits": [{"Name": name, "Value": value} for name, value in ACCOUNT_LIMITS]}
