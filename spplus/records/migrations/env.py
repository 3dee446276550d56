"""Alembic's environment for the engine's records: no alembic.ini, no logging set-up of its own.

:func:`spplus.records.db.upgrade` hands in an open connection, already in a transaction and holding
the migration lock (``config.attributes["connection"]``); without one (a developer's
``command.revision(..., autogenerate=True)``), the ``sqlalchemy.url`` option is used.
"""

from __future__ import annotations

from alembic import context

from spplus.records.db import VERSION_TABLE, make_engine
from spplus.records.tables import Base

config = context.config


def _configure(**kwargs: object) -> None:
    context.configure(target_metadata=Base.metadata, version_table=VERSION_TABLE, render_as_batch=True,
                      compare_type=True, **kwargs)  # type: ignore[arg-type]


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True,
               dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection (spplus.records.db.upgrade) or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
