"""The engine's records: API tokens, the register of certification bodies, pending body transfers.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("body", sa.String(200), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('body', 'ditp', 'operator')", name=op.f("ck_tokens_role")),
        sa.CheckConstraint("(role = 'body' AND body IS NOT NULL) OR (role <> 'body' AND body IS NULL)",
                           name=op.f("ck_tokens_body_for_bodies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("hash", name=op.f("uq_tokens_hash")),
    )
    op.create_table(
        "certification_bodies",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("authorised_from", sa.Date(), nullable=False),
        sa.Column("authorised_until", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("authorised_until IS NULL OR authorised_until >= authorised_from",
                           name=op.f("ck_certification_bodies_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_bodies")),
    )
    op.create_table(
        "body_transfers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("candidate", sa.String(200), nullable=False),
        sa.Column("from_body", sa.String(200), nullable=False),
        sa.Column("to_body", sa.String(64), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'refused', 'cancelled')",
                           name=op.f("ck_body_transfers_status")),
        sa.CheckConstraint("from_body <> to_body", name=op.f("ck_body_transfers_another_body")),
        sa.CheckConstraint("(status = 'pending' AND decided_by IS NULL AND decided_at IS NULL) "
                           "OR (status <> 'pending' AND decided_by IS NOT NULL AND decided_at IS NOT NULL)",
                           name=op.f("ck_body_transfers_decided")),
        sa.ForeignKeyConstraint(["to_body"], ["certification_bodies.id"],
                                name=op.f("fk_body_transfers_to_body_certification_bodies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_transfers")),
    )
    op.create_index(op.f("ix_body_transfers_from_body"), "body_transfers", ["from_body"])
    op.create_index(op.f("ix_body_transfers_to_body"), "body_transfers", ["to_body"])
    op.create_index("uq_body_transfers_pending_candidate", "body_transfers", ["candidate"], unique=True,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table("body_transfers")
    op.drop_table("certification_bodies")
    op.drop_table("tokens")
