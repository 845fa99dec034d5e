"""Status strings and event reasons, worded exactly as AWS words them."""

from __future__ import annotations

USER_INITIATED = "User Initiated"
CREATE_INITIATED = "Resource creation Initiated"
CREATE_CANCELLED = "Resource creation cancelled"
UPDATE_CANCELLED = "Resource update cancelled"
REPLACEMENT_INITIATED = "Requested update requires the creation of a new physical resource; hence creating one."
STACK_UPDATE_CANCELLED = "Stack update cancelled"
INTERRUPTED = "Resource handler was interrupted: the cfnapi engine process that ran it stopped"
# Stack-level reasons after a takeover: an update is failed, anything else resumed.
CREATE_RESUMED = "Resource creation resumed: the cfnapi engine process that started it stopped"
OPERATION_RESUMED = "Resumed: the cfnapi engine process running this operation stopped before it finished"
UPDATE_NOT_RESUMED = ("The cfnapi engine process running this update stopped before it finished; "
                      "an interrupted update is not resumed.")


def update_interrupted(logical_ids: list[str]) -> str:
    """The stack's reason when a takeover fails an update (docs/operations.md says why)."""
    if not logical_ids:
        return UPDATE_NOT_RESUMED
    return f"{UPDATE_NOT_RESUMED} Resource(s) interrupted: [{', '.join(sorted(logical_ids))}]."

# A stack that is in one of these is being worked on; a worker owns it.
IN_PROGRESS = frozenset(
    {
        "CREATE_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "DELETE_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS",
        "IMPORT_ROLLBACK_IN_PROGRESS",
    }
)

# States from which UpdateStack is allowed. UPDATE_FAILED is where an update run
# with DisableRollback stops; updating again resumes from there (AWS's "preserve
# successfully provisioned resources").
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)

ALL_STACK_STATUSES = (
    "CREATE_IN_PROGRESS CREATE_FAILED CREATE_COMPLETE ROLLBACK_IN_PROGRESS ROLLBACK_FAILED ROLLBACK_COMPLETE "
    "DELETE_IN_PROGRESS DELETE_FAILED DELETE_COMPLETE UPDATE_IN_PROGRESS UPDATE_COMPLETE_CLEANUP_IN_PROGRESS "
    "UPDATE_COMPLETE UPDATE_FAILED UPDATE_ROLLBACK_IN_PROGRESS UPDATE_ROLLBACK_FAILED "
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS UPDATE_ROLLBACK_COMPLETE REVIEW_IN_PROGRESS "
    "IMPORT_IN_PROGRESS IMPORT_COMPLETE IMPORT_ROLLBACK_IN_PROGRESS IMPORT_ROLLBACK_FAILED IMPORT_ROLLBACK_COMPLETE"
).split()


def failed_to(verb: str, logical_ids: list[str], then: str = "") -> str:
    """'The following resource(s) failed to create: [A, B]. Rollback requested by user.'"""
    text = f"The following resource(s) failed to {verb}: [{', '.join(sorted(logical_ids))}]. "
    return (text + then).rstrip() if then else text


def timeout_reason(operation: str, then: str = "Rollback requested by user.") -> str:
    return f"Stack {operation} time exceeded the specified timeout. {then}".rstrip()
