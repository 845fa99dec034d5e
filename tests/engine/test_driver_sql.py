"""Rows written through SQLite's driver are stored exactly as SQLAlchemy stores them."""

import datetime as dt

from sqlalchemy import insert, select, text

import cfnapi.engine.models  # noqa: F401  (tables on Base)
from cfnapi.db import Base, Database
from cfnapi.engine.driver_sql import insert_many, insert_returning
from cfnapi.engine.models import EventRow, ResourceRow, StackRow

RESOURCES, EVENTS = ResourceRow.__table__, EventRow.__table__
AT = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.timezone.utc)


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite'}")
    Base.metadata.create_all(db.engine)
    with db.core_transaction() as connection:
        connection.execute(insert(StackRow.__table__).values(
            stack_id="s", account_id="1", region="r", name="n", status="CREATE_IN_PROGRESS", created_at=AT))
    return db


def _resource(logical_id: str) -> dict:
    return dict(stack_id="s", logical_id=logical_id, role="current", type="T", physical_id=None,
                creation_token="c", status="CREATE_COMPLETE", status_reason=None,
                properties={"A": [1, "x"]}, attributes={}, resource_metadata=None, deletion_policy=None,
                update_replace_policy=None, update_action=None, previous_properties=None,
                previous_attributes=None, created_at=AT, updated_at=AT)


def test_inserted_rows_match_sqlalchemys_byte_for_byte_and_ids_come_back(tmp_path):
    db = _db(tmp_path)
    with db.core_transaction() as connection:
        connection.execute(insert(RESOURCES), [_resource("ByAlchemy")])
        returned = insert_returning(connection, RESOURCES, [_resource("A"), _resource("B")],
                                    ("id", "logical_id"))
        event = dict(event_id="e", stack_id="s", stack_name="n", logical_id="A", physical_id="", resource_type="T",
                     status="CREATE_COMPLETE", status_reason=None, resource_properties=None, timestamp=AT,
                     client_request_token=None)
        connection.execute(insert(EVENTS), [{**event, "event_id": "by-alchemy"}])
        insert_many(connection, EVENTS, [event, {**event, "event_id": "f"}])
    with db.core_transaction() as connection:
        raw = {r[0]: r[1:] for r in connection.execute(text(
            "SELECT logical_id, properties, attributes, resource_metadata, created_at, updated_at, id "
            "FROM cfn_stack_resources"))}
        assert raw["A"][:-1] == raw["B"][:-1] == raw["ByAlchemy"][:-1]
        assert sorted(returned) == sorted([(raw["A"][-1], "A"), (raw["B"][-1], "B")])
        events = connection.execute(text("SELECT event_id, timestamp FROM cfn_stack_events ORDER BY seq")).all()
        assert [e[0] for e in events] == ["by-alchemy", "e", "f"] and len({e[1] for e in events}) == 1
        read = connection.execute(select(RESOURCES.c.properties, RESOURCES.c.created_at)
                                  .where(RESOURCES.c.logical_id == "B")).one()
        assert read == ({"A": [1, "x"]}, AT)


def test_rows_beyond_one_statements_variable_limit_are_split(tmp_path, monkeypatch):
    from cfnapi.engine import driver_sql

    monkeypatch.setattr(driver_sql, "_SQLITE_MAX_VARIABLES", 40)  # two rows of 18 columns per statement
    db = _db(tmp_path)
    with db.core_transaction() as connection:
        returned = insert_returning(connection, RESOURCES, [_resource(f"R{i}") for i in range(5)], ("logical_id",))
    assert sorted(r[0] for r in returned) == [f"R{i}" for i in range(5)]
