"""The engine's own records, in a database: API tokens, the register of certification bodies, and
the transfers of a candidacy from one body to another that wait for the receiving body's acceptance.

Not the label rules (YAML files) and not the cycles' state (Temporal's event histories): the records
the engine itself keeps about who may act. SQLite embedded by default (``<SPPLUS_DATA>/engine.db``),
PostgreSQL in production (``SPPLUS_DATABASE_URL=postgresql+psycopg://…``), through SQLAlchemy, with
the schema brought up to date by the Alembic migrations that ship inside this package.
"""

from __future__ import annotations

from .bodies import AlreadyRecorded, BodyRegister, CertificationBody, NotAuthorised, UnknownBody
from .db import DATABASE_URL_SETTING, database_url, make_engine, open_database, upgrade
from .transfers import AlreadyDecided, BodyTransfer, TransferConflict, TransferStatus, TransferStore, UnknownTransfer

__all__ = [
    "DATABASE_URL_SETTING", "database_url", "make_engine", "open_database", "upgrade",
    "BodyRegister", "CertificationBody", "NotAuthorised", "UnknownBody", "AlreadyRecorded",
    "TransferStore", "BodyTransfer", "TransferStatus", "AlreadyDecided", "TransferConflict", "UnknownTransfer",
]
