import threading
import time

import pytest
from sqlalchemy import event, text

from cfnapi.db import Database
from cfnapi.engine.group_commit import GroupCommitter


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'group.sqlite'}")
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE item (name TEXT PRIMARY KEY)"))
    yield database
    database.dispose()


def _commits(db) -> list[int]:
    seen = []
    event.listen(db.engine, "commit", lambda _conn: seen.append(1))
    return seen


def _insert(name):
    return lambda connection: connection.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": name})


def _names(db) -> set[str]:
    with db.engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT name FROM item"))}


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_writes_queued_while_a_commit_runs_share_the_next_commit(db):
    committer, commits = GroupCommitter(db), _commits(db)
    others = 19

    def first(connection):
        # Hold the first transaction open until every other writer has queued behind it.
        _wait_for(lambda: len(committer._queue) == others)
        _insert("w0")(connection)

    threads = [threading.Thread(target=committer.run, args=(first,))]
    threads += [threading.Thread(target=committer.run, args=(_insert(f"w{i}"),)) for i in range(1, others + 1)]
    threads[0].start()
    _wait_for(lambda: committer._leading)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert _names(db) == {f"w{i}" for i in range(others + 1)}
    assert len(commits) == 2  # the first write alone, then the 19 queued behind it together


def test_a_failing_write_fails_only_its_caller(db):
    committer = GroupCommitter(db)
    undone, errors = [], {}

    def first(connection):
        _wait_for(lambda: len(committer._queue) == 3)
        _insert("a")(connection)

    def run(name, work, undo=lambda: None):
        try:
            committer.run(work, undo)
        except Exception as error:  # noqa: BLE001 - recorded for the assertion
            errors[name] = error

    batch = [("a", first), ("b", _insert("b")), ("dup", _insert("b")), ("c", _insert("c"))]
    threads = [threading.Thread(target=run, args=(name, work, lambda n=name: undone.append(n)))
               for name, work in batch]
    threads[0].start()
    _wait_for(lambda: committer._leading)
    for queued, thread in enumerate(threads[1:], 1):
        thread.start()  # one at a time, so the queue order (and the retry order) is fixed
        _wait_for(lambda: len(committer._queue) == queued)
    for thread in threads:
        thread.join(10)
    assert _names(db) == {"a", "b", "c"}
    assert set(errors) == {"dup"}  # the second insert of "b" collides; nobody else fails
    assert "dup" in undone


def test_run_returns_only_after_its_write_is_committed(db):
    committer = GroupCommitter(db)
    committer.run(_insert("x"))
    with db.engine.connect() as other:
        assert other.execute(text("SELECT count(*) FROM item WHERE name = 'x'")).scalar() == 1
    assert not committer._leading and committer._queue == []


def test_deferred_parameters_run_as_one_statement_before_the_commit(db):
    committer = GroupCommitter(db)
    insert = text("INSERT INTO item (name) VALUES (:n)")
    executions = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, context, many: executions.append((statement, many)))

    def first(batch):
        _wait_for(lambda: len(committer._queue) == 2)
        batch.defer(insert, {"n": "a"})

    threads = [threading.Thread(target=committer.run, args=(first,))]
    threads += [threading.Thread(target=committer.run, args=(lambda batch, n=n: batch.defer(insert, {"n": n}),))
                for n in ("b", "c")]
    threads[0].start()
    _wait_for(lambda: committer._leading)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert _names(db) == {"a", "b", "c"}
    inserts = [many for statement, many in executions if statement.startswith("INSERT")]
    assert inserts == [False, True]  # "a" alone in the first batch, then "b" and "c" in one executemany


@pytest.fixture
def numbered(db):
    """A table with generated ids, as the engine's resource rows have."""
    from sqlalchemy import Column, Integer, MetaData, String, Table

    table = Table("numbered", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String), Column("tag", String))
    table.create(db.engine)
    return table


def _inserts_of(db) -> list[str]:
    statements = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement)
                 if statement.startswith("INSERT") else None)
    return statements


def _stored_ids(db, table) -> dict[tuple[str, str], int]:
    with db.engine.connect() as connection:
        return {(row.name, row.tag): row.id for row in connection.execute(table.select())}


def test_deferred_inserts_run_as_one_statement_and_each_caller_gets_its_rows_id(db, numbered):
    committer, statements = GroupCommitter(db), _inserts_of(db)
    got: dict[tuple[str, str], int] = {}
    # Rows told apart by (name, tag): the returned ids must reach the right callers
    # whatever order the database returns them in.
    keys = [(f"r{i}", tag) for i in range(5) for tag in ("x", "y")]

    def work(batch):
        for key in reversed(keys):
            batch.defer_insert(numbered, {"name": key[0], "tag": key[1]},
                               lambda row_id, key=key: got.__setitem__(key, row_id), ("name", "tag"))

    committer.run(work)
    assert got == _stored_ids(db, numbered) and len(set(got.values())) == len(keys)
    assert len(statements) == 1


def test_deferred_inserts_not_told_apart_are_inserted_one_by_one(db, numbered):
    committer, statements = GroupCommitter(db), _inserts_of(db)
    got: list[int] = []

    def work(batch):
        for tag in ("first", "second"):  # same identity ("name") for both rows
            batch.defer_insert(numbered, {"name": "same", "tag": tag}, got.append, ("name",))

    committer.run(work)
    with db.engine.connect() as connection:
        stored = [row.id for row in connection.execute(numbered.select().order_by(numbered.c.tag))]
    assert got == stored and len(statements) == 2
