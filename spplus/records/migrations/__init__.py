"""Alembic migrations of the engine's records, run in code by :func:`spplus.records.db.upgrade`."""
