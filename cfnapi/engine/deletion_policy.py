"""Which of DeletionPolicy / UpdateReplacePolicy applies when a resource leaves its stack.

Delete, Retain and Snapshot as AWS documents them; RetainExceptOnCreate retains, except
when the operation that created the resource is being undone (a create's rollback, or
an update's rollback removing what that update added)."""

from __future__ import annotations

from cfnapi.engine.records import ResourceRecord

DELETE, RETAIN, SNAPSHOT = "Delete", "Retain", "Snapshot"

# Kept in the resource's attributes while its delete runs: a delete resumed after a
# crash waits for this snapshot rather than taking a second one.
SNAPSHOT_ATTRIBUTE = "cfnapi:DeletionSnapshotId"


def removal_policy(record: ResourceRecord, *, undoing_create: bool = False) -> str:
    """The old physical resource of a replacement follows UpdateReplacePolicy; anything
    else leaving the stack follows DeletionPolicy."""
    policy = (record.update_replace_policy if record.role == "replaced" else record.deletion_policy) or DELETE
    if policy == "RetainExceptOnCreate":
        return DELETE if undoing_create else RETAIN
    return policy
