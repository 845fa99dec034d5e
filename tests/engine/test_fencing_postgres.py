"""Lease fencing of a worker's writes on PostgreSQL (the fenced event insert is dialect-sensitive)."""

import pytest
from sqlalchemy import func, select, update

from cfnapi.db import Database
from cfnapi.db.schema import migrate
from cfnapi.engine.models import EventRow, ResourceRow, StackRow, utcnow
from cfnapi.engine.records import LeaseLost, Recorder, ResourceRecord, StackRef

pytestmark = pytest.mark.postgres


def test_writes_go_through_only_while_the_lease_is_held(postgres_url):
    db = Database(postgres_url)
    try:
        migrate(db)
        stack = StackRef("stack-1", "fenced")
        Recorder(db, stack).new_stack(StackRow(
            stack_id=stack.stack_id, account_id="123456789012", region="us-east-1", name=stack.stack_name,
            status="CREATE_IN_PROGRESS", created_at=utcnow(), template_body="{}", parameters={}, lease_owner="me"))
        mine = Recorder(db, stack, lease_owner="me")
        mine.resource_status(ResourceRecord("A", "T"), "CREATE_IN_PROGRESS")
        mine.stack_status("CREATE_IN_PROGRESS", "still mine")
        with db.transaction() as session:
            session.execute(update(StackRow).values(lease_owner="other"))

        with pytest.raises(LeaseLost):
            mine.resource_status(ResourceRecord("B", "T"), "CREATE_IN_PROGRESS")
        with pytest.raises(LeaseLost):
            mine.stack_status("CREATE_FAILED", "not mine any more")

        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(EventRow)) == 3  # new stack, A, still mine
            assert session.scalars(select(ResourceRow.logical_id)).all() == ["A"]
            assert session.scalar(select(StackRow.status_reason)) == "still mine"
    finally:
        db.dispose()
