"""The records' tables (SQLAlchemy 2, typed ORM mappings). The migrations in ``migrations/versions``
create exactly these; a test compares the two on SQLite and PostgreSQL.

Stores never hand these rows out: they answer with the pydantic models of their modules.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, MetaData, String, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Constraint names the same on both databases, so a migration can name what it alters.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = 64  # a token's, a body's or a transfer's id
TEXT = 200  # a name, who acted (the engine's SHORT_TEXT)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, always given back aware and in UTC: PostgreSQL keeps it as timestamptz, SQLite
    (which has no time zone) as the UTC wall time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"an instant needs its time zone: {value.isoformat()} has none")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TokenRow(Base):
    """An API token: only the SHA-256 of its secret is kept."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(TEXT))
    role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str | None] = mapped_column(String(TEXT))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("role IN ('body', 'ditp', 'operator')", name="role"),
        CheckConstraint("(role = 'body' AND body IS NOT NULL) OR (role <> 'body' AND body IS NULL)",
                        name="body_for_bodies"),
    )


class BodyRow(Base):
    """A certification body in the register the DITP keeps (guide §1.2, §1.3), with its authorisation."""

    __tablename__ = "certification_bodies"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(TEXT))
    authorised_from: Mapped[date] = mapped_column(Date())
    authorised_until: Mapped[date | None] = mapped_column(Date())  # the last day authorised; None: no end
    recorded_by: Mapped[str] = mapped_column(String(TEXT))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str | None] = mapped_column(String(TEXT))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("authorised_until IS NULL OR authorised_until >= authorised_from", name="period"),
    )


PENDING = text("status = 'pending'")


class TransferRow(Base):
    """A renewal naming another body, waiting for the receiving body's acceptance (§3.2, §3.10)."""

    __tablename__ = "body_transfers"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    candidate: Mapped[str] = mapped_column(String(TEXT))
    from_body: Mapped[str] = mapped_column(String(TEXT), index=True)
    to_body: Mapped[str] = mapped_column(ForeignKey("certification_bodies.id"), index=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON())
    requested_by: Mapped[str] = mapped_column(String(TEXT))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(TEXT))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'refused', 'cancelled')", name="status"),
        CheckConstraint("from_body <> to_body", name="another_body"),
        CheckConstraint("(status = 'pending' AND decided_by IS NULL AND decided_at IS NULL) "
                        "OR (status <> 'pending' AND decided_by IS NOT NULL AND decided_at IS NOT NULL)",
                        name="decided"),
        # One transfer at a time per candidacy: a second request while one waits is refused.
        Index("uq_body_transfers_pending_candidate", "candidate", unique=True,
              sqlite_where=PENDING, postgresql_where=PENDING),
    )
