"""Stack policies: SetStackPolicy / GetStackPolicy and their enforcement on update.

A policy is a JSON document of statements (Effect Allow|Deny, Action
``Update:Modify|Replace|Delete|*``, Principal ``*``, Resource or NotResource
``LogicalResourceId/<pattern>``, optional Condition on ``ResourceType``).
Once a stack has a policy, an update action is allowed only when some
statement allows it and none denies it, exactly as AWS evaluates them.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from cfnapi.engine.lookup import Caller, find_live_stack
from cfnapi.engine.models import StackRow
from cfnapi.engine.runtime import EngineRuntime
from cfnapi.errors import validation_error
from cfnapi.template_url import fetch_template

MAX_POLICY_BYTES = 16384
UPDATE_ACTIONS = ("Update:Modify", "Update:Replace", "Update:Delete")


def parse_policy(text: str) -> dict[str, Any]:
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise validation_error(f"Stack policy may not exceed {MAX_POLICY_BYTES} bytes in size.")
    try:
        policy = json.loads(text)
    except ValueError:
        raise validation_error("Error validating stack policy: Invalid stack policy") from None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise validation_error("Error validating stack policy: Invalid stack policy")
    for statement in statements:
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise validation_error("Error validating stack policy: Invalid effect")
        if "Resource" not in statement and "NotResource" not in statement:
            raise validation_error("Error validating stack policy: Missing required field Resource")
    return {"Statement": statements}


def policy_text(runtime: EngineRuntime, body: str | None, url: str | None, what: str = "StackPolicy") -> str | None:
    """A policy from its Body or URL parameter (not both), validated; None when neither is given."""
    if body is not None and url is not None:
        raise validation_error(f"You cannot specify both {what}URL and {what}Body")
    text = body if body is not None else (fetch_template(url, runtime.url_policy) if url is not None else None)
    if text is not None:
        parse_policy(text)
    return text


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(patterns: list, subject: str) -> bool:
    return any(fnmatch.fnmatchcase(subject, str(p)) for p in patterns)


def _applies(statement: dict, action: str, logical_id: str, resource_type: str) -> bool:
    actions = _as_list(statement.get("Action"))
    if "Action" in statement and not _matches(actions, action):
        return False
    if "NotAction" in statement and _matches(_as_list(statement["NotAction"]), action):
        return False
    resource = f"LogicalResourceId/{logical_id}"
    if "Resource" in statement and not _matches(_as_list(statement["Resource"]), resource):
        return False
    if "NotResource" in statement and _matches(_as_list(statement["NotResource"]), resource):
        return False
    condition = statement.get("Condition") or {}
    for operator, tests in condition.items():
        wanted = _as_list((tests or {}).get("ResourceType"))
        if operator == "StringEquals" and resource_type not in wanted:
            return False
        if operator == "StringLike" and not _matches(wanted, resource_type):
            return False
    return True


def policy_denial(text: str | None, action: str, logical_id: str, resource_type: str) -> str | None:
    """None when ``action`` (e.g. ``Update:Modify``) on the resource is allowed, else AWS's reason."""
    if not text:
        return None
    statements = parse_policy(text)["Statement"]
    allowed = False
    for index, statement in enumerate(statements):
        if not _applies(statement, action, logical_id, resource_type):
            continue
        if statement["Effect"] == "Deny":
            return (
                f"Action denied by stack policy: Statement [#{index + 1}] does not allow "
                f"[{action}] for resource [LogicalResourceId/{logical_id}]"
            )
        allowed = True
    if not allowed:
        # With a policy in place, whatever no statement allows is denied.
        return (
            f"Action denied by stack policy: no statement allows [{action}] "
            f"for resource [LogicalResourceId/{logical_id}]"
        )
    return None


def effective_policy(stack: StackRow) -> str | None:
    """The policy an update runs under: the one-off override if the update gave one."""
    return stack.update_policy_override or stack.stack_policy_body


def set_stack_policy(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    text = policy_text(runtime, params.get("StackPolicyBody"), params.get("StackPolicyURL"))
    if text is None:
        raise validation_error("Either StackPolicyBody or StackPolicyURL must be specified.")
    from sqlalchemy import update

    with runtime.db.transaction() as session:
        session.execute(update(StackRow).where(StackRow.stack_id == stack.stack_id).values(stack_policy_body=text))
    return {}


def get_stack_policy(runtime: EngineRuntime, caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    stack = find_live_stack(runtime, caller, params["StackName"])
    return {"StackPolicyBody": stack.stack_policy_body} if stack.stack_policy_body else {}
