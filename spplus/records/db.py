"""The records' database: an engine from a URL, its schema brought up to date, and transactions.

* ``SPPLUS_DATABASE_URL`` names the database; by default ``sqlite:///<SPPLUS_DATA>/engine.db``
  (``data/engine.db``). PostgreSQL in production: ``postgresql+psycopg://user:password@host/spplus``
  (``postgresql://`` and ``postgres://`` are read as psycopg 3, the driver the engine ships).
* A SQLite file is created 0600 (its folder 0700 when the engine creates it): it holds the tokens'
  hashes. It runs in WAL mode with a busy timeout, so two processes (two API replicas, the CLI beside
  the API) share it: readers never wait, writers wait their turn instead of failing.
* :func:`upgrade` runs the Alembic migrations of this package programmatically (no alembic.ini);
  :func:`open_database` gives the process's engine for a URL, upgraded once.
* :func:`writing` opens a write transaction that takes the write lock at once on SQLite
  (``BEGIN IMMEDIATE``), and, given a name, a transaction-scoped advisory lock on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session

from ..settings import PROJECT_ROOT

DATABASE_URL_SETTING = "SPPLUS_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "spplus_alembic_version"
BUSY_TIMEOUT_MS = 15_000  # a writer waits this long for another process's write before giving up


Database = str | URL | Engine


def default_data_dir() -> Path:
    return Path(os.environ.get("SPPLUS_DATA", PROJECT_ROOT / "data"))


def database_url(data_dir: Path | None = None) -> str:
    """``SPPLUS_DATABASE_URL`` if set, else the SQLite file ``engine.db`` of the data folder."""
    configured = os.environ.get(DATABASE_URL_SETTING, "").strip()
    if configured:
        return configured
    folder = (data_dir if data_dir is not None else default_data_dir()).resolve()
    return URL.create("sqlite+pysqlite", database=str(folder / "engine.db")).render_as_string(hide_password=False)


def _normalised(url: str | URL) -> URL:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if isinstance(url, str) and url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    return parsed


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if not url.drivername.startswith("sqlite") or database in ("", ":memory:") or database.startswith("file:") \
            or url.query.get("mode") == "memory":
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the file 0600 (and its folder 0700) before SQLite does, and tighten an existing one."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077 and os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, 0o600)  # the WAL and shared-memory files SQLite adds take the database file's mode
    finally:
        os.close(fd)


def _wal(cursor: Any) -> None:
    """WAL mode (kept in the file once set). Switching needs the file to itself, and SQLite does not
    wait for that with its busy handler: when another process is switching it too, wait here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def make_engine(database: str | URL) -> Engine:
    """A new engine for a URL, set up for the engine's records (a new pool: one per replica, say)."""
    url = _normalised(database)
    if url.drivername.startswith("sqlite"):
        file = _sqlite_file(url)
        if file is not None:
            _prepare_sqlite_file(file)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # SQLAlchemy emits BEGIN itself (below): transactional DDL, and BEGIN IMMEDIATE for writers.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                if file is not None:
                    _wal(cursor)
                    cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writer takes the write lock when it begins, waiting for it (busy timeout): a transaction
            # that read first and wrote second could otherwise fail at once with "database is locked".
            immediate = connection.get_execution_options().get("spplus_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


_engines: dict[str, Engine] = {}
_upgraded: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose schema this process checked
_guard = threading.Lock()


def open_database(database: Database) -> Engine:
    """The process's engine for a URL (one pool per URL), or the engine given, upgraded to head once."""
    with _guard:
        if isinstance(database, Engine):
            engine = database
        else:
            key = _normalised(database).render_as_string(hide_password=False)
            engine = _engines.get(key) or _engines.setdefault(key, make_engine(key))
        if engine not in _upgraded:
            upgrade(engine)
            _upgraded.add(engine)
    return engine


def dispose_all() -> None:
    """Close every pooled connection of :func:`open_database`'s engines (tests, shutdown)."""
    with _guard:
        for engine in _engines.values():
            engine.dispose()
            _upgraded.discard(engine)
        _engines.clear()


def alembic_config(url: str | URL | None = None) -> Any:
    """The Alembic configuration of the engine's migrations, built in code (no alembic.ini).

    To write a new migration from the models (a developer's tool)::

        from alembic import command
        command.revision(alembic_config("sqlite:////tmp/x.db"), "what changes", autogenerate=True)
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        rendered = _normalised(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def _advisory_lock(connection: Any, name: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``: from an empty database to the tables the engine needs.

    Safe when two processes start at once: SQLite serialises them with its write lock, PostgreSQL
    with an advisory lock, and the second finds the schema already at head.
    """
    _migrate(database, "upgrade", revision)


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to ``revision`` (``base``: no table). A developer's and the tests' tool."""
    _migrate(database, "downgrade", revision)


def _migrate(database: Database, action: str, revision: str) -> None:
    """Run Alembic's ``upgrade`` or ``downgrade`` in one transaction, under the migrations' lock."""
    from alembic import command

    engine = database if isinstance(database, Engine) else make_engine(database)
    try:
        config = alembic_config()
        with engine.connect() as connection:
            connection.execution_options(spplus_write=True)
            with connection.begin():
                _advisory_lock(connection, "spplus.records.migrations")
                config.attributes["connection"] = connection
                getattr(command, action)(config, revision)
    finally:
        if engine is not database:
            engine.dispose()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read transaction (a consistent snapshot on both databases)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def writing(engine: Engine, lock: str | None = None) -> Iterator[Session]:
    """A write transaction: SQLite's write lock from its BEGIN, and on PostgreSQL the advisory lock
    ``lock`` if named (for a read-then-write that must not interleave with another process's)."""
    with Session(engine.execution_options(spplus_write=True), expire_on_commit=False) as session, session.begin():
        if lock is not None:
            _advisory_lock(session.connection(), lock)
        yield session
