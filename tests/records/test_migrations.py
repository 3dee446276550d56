"""The records' schema: from an empty database to head on SQLite and PostgreSQL, exactly the models."""

from __future__ import annotations

import os
import stat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from spplus.records import db
from spplus.records.tables import Base

TABLES = {"tokens", "certification_bodies", "body_transfers"}


def _head() -> str:
    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    assert head is not None
    return head


def test_upgrade_from_empty_to_head_then_again_then_down_and_up(db_url):
    engine = db.make_engine(db_url)
    try:
        assert not TABLES & set(inspect(engine).get_table_names())
        db.upgrade(engine)
        assert TABLES | {db.VERSION_TABLE} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert MigrationContext.configure(connection, opts={"version_table": db.VERSION_TABLE}).get_current_revision() == _head()
        db.upgrade(engine)  # at head already: nothing to do, nothing fails
        db.downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        db.upgrade(engine)
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_create_exactly_the_models(db_url):
    engine = db.make_engine(db_url)
    try:
        db.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "version_table": db.VERSION_TABLE})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_two_processes_upgrading_at_once_both_succeed(db_url):
    """Two replicas starting together: the second waits for the first's migration, then finds head."""
    from concurrent.futures import ThreadPoolExecutor

    engines = [db.make_engine(db_url) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(db.upgrade, engines))
        assert TABLES <= set(inspect(engines[0]).get_table_names())
    finally:
        for engine in engines:
            engine.dispose()


def test_the_sqlite_file_is_0600_in_wal_mode_with_a_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.delenv(db.DATABASE_URL_SETTING, raising=False)
    folder = tmp_path / "data"
    url = db.database_url(folder)
    assert url == f"sqlite+pysqlite:///{folder.resolve()}/engine.db"
    engine = db.open_database(url)
    try:
        assert stat.S_IMODE(os.stat(folder / "engine.db").st_mode) == 0o600
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700  # created by the engine
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA busy_timeout")) == db.BUSY_TIMEOUT_MS
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        for extra in ("engine.db-wal", "engine.db-shm"):  # SQLite gives them the database file's mode
            if (folder / extra).exists():
                assert stat.S_IMODE(os.stat(folder / extra).st_mode) & 0o077 == 0
    finally:
        db.dispose_all()


def test_an_existing_sqlite_file_is_tightened_to_0600(tmp_path):
    file = tmp_path / "engine.db"
    file.touch(mode=0o644)
    file.chmod(0o644)
    db.make_engine(f"sqlite:///{file}").dispose()
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600


def test_the_url_setting_wins_and_postgres_urls_mean_psycopg(tmp_path, monkeypatch):
    monkeypatch.setenv(db.DATABASE_URL_SETTING, "postgresql://spplus:s3cret@db/spplus")
    assert db.database_url(tmp_path) == "postgresql://spplus:s3cret@db/spplus"
    for url in ("postgresql://u:p@h/d", "postgres://u:p@h/d"):
        engine = db.make_engine(url)
        assert engine.url.drivername == "postgresql+psycopg"
        engine.dispose()
