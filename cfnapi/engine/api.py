"""The engine's operations, one function per CloudFormation action.

``cfnapi.handlers.cloudformation`` dispatches each stack operation to the
function of the same snake_case name here: ``fn(runtime, caller, params) ->
result``, params and result shaped exactly as botocore's client takes and
returns them. The functions live in small modules by topic; this module only
gathers them so the handler has one place to look.
"""

from __future__ import annotations

from cfnapi.engine.change_sets import (
    create_change_set,
    delete_change_set,
    describe_change_set,
    execute_change_set,
    list_change_sets,
)
from cfnapi.engine.exports import list_exports, list_imports
from cfnapi.engine.lookup import Caller, find_stack
from cfnapi.engine.queries import (
    describe_account_limits,
    describe_stack,
    describe_stack_events,
    describe_stack_resource,
    describe_stack_resources,
    describe_stacks,
    get_template,
    list_stack_resources,
    list_stacks,
    stack_template,
    template_body,
)
from cfnapi.engine.stack_ops import (
    cancel_update_stack,
    continue_update_rollback,
    create_stack,
    delete_stack,
    rollback_stack,
    signal_resource,
    update_stack,
    update_termination_protection,
)
from cfnapi.engine.stack_policy import get_stack_policy, set_stack_policy

OPERATIONS = (
    "cancel_update_stack continue_update_rollback create_change_set create_stack delete_change_set delete_stack "
    "describe_account_limits describe_change_set describe_stack_events describe_stack_resource "
    "describe_stack_resources describe_stacks execute_change_set get_stack_policy get_template list_change_sets "
    "list_exports list_imports list_stack_resources list_stacks rollback_stack set_stack_policy signal_resource "
    "update_stack update_termination_protection"
).split()

__all__ = ["Caller", "OPERATIONS", "describe_stack", "find_stack", "stack_template", "template_body", *OPERATIONS]
