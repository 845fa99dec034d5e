"""On SQLite, read_transaction does not wait for the in-process write turn (WAL readers
never wait for a writer) and sees the last committed state."""

import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from cfnapi.db import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'read.sqlite'}")
    yield database
    database.dispose()


def test_a_read_is_answered_while_a_writer_holds_the_turn(db):
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True))
    table.create(db.engine)
    with db.transaction() as session:
        session.execute(insert(table).values(id=1))
    writing, release, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        with db.transaction() as session:
            session.execute(insert(table).values(id=2))
            writing.set()
            release.wait(10)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(10)
        answered = []
        reader = threading.Thread(target=lambda: answered.append(_ids(db, table)))
        reader.start()
        reader.join(2)
        assert answered == [[1]]  # answered during the write, with the committed state only
        assert not done.is_set()
    finally:
        release.set()
        thread.join()
    assert _ids(db, table) == [1, 2]


def _ids(db, table):
    with db.read_transaction() as session:
        return list(session.scalars(select(table.c.id).order_by(table.c.id)))
