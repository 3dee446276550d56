"""Transfers of a candidacy to another certification body, waiting for that body's acceptance.

At renewal a service may contract with another body (guide §3.2, §3.10). The engine does not let a
body hand its candidacy over alone: a renewal naming another body is recorded here, *pending*, and
applies to the cycle only once the receiving body has accepted it (or the DITP has recorded it). The
receiving body may refuse it; the body that asked may cancel it while it waits.

Each step happens once: a decided transfer is never decided again. The decision is one conditional
``UPDATE … WHERE status = 'pending'``, so when two API replicas accept the same transfer at once,
exactly one wins and the other is told it was already decided.
"""

from __future__ import annotations

import secrets
from builtins import list as List
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..fields import ShortText
from .bodies import BodyRegister
from .db import Database, open_database, reading, writing
from .tables import TransferRow


class TransferStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    refused = "refused"
    cancelled = "cancelled"


class BodyTransfer(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    candidate: ShortText
    from_body: ShortText
    to_body: ShortText
    event: dict[str, Any]  # the renewal event as sent, applied to the cycle once accepted
    requested_by: ShortText
    requested_at: datetime
    status: TransferStatus
    decided_by: str | None = None
    decided_at: datetime | None = None


class UnknownTransfer(LookupError):
    pass


class AlreadyDecided(ValueError):
    """The transfer was accepted, refused or cancelled already: a decision is taken once."""

    def __init__(self, transfer: BodyTransfer) -> None:
        super().__init__(f"transfer {transfer.id} was already {transfer.status.value} by {transfer.decided_by} "
                         f"on {transfer.decided_at:%Y-%m-%d %H:%M} UTC")
        self.transfer = transfer


class TransferConflict(ValueError):
    """A candidacy already has a transfer waiting: one at a time."""


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(timezone.utc)


class TransferStore:
    """Pending and decided transfers, on the records' database (shared with the body register)."""

    def __init__(self, database: Database) -> None:
        self.engine = open_database(database)
        self.register = BodyRegister(self.engine)

    def request(self, candidate: str, from_body: str, to_body: str, event: dict[str, Any], *, by: str, on: date,
                at: datetime | None = None) -> BodyTransfer:
        """Record a renewal that names ``to_body``, pending its acceptance. ``to_body`` must be in the
        register and authorised ``on`` that day (:class:`~spplus.records.bodies.NotAuthorised`)."""
        if from_body == to_body:
            raise ValueError(f"{candidate} is already with {to_body}: a renewal with the same body needs no transfer")
        named = event.get("certification_body")
        if named is not None and named != to_body:
            raise ValueError(f"the renewal names {named!r}, the transfer {to_body!r}: they must be the same body")
        self.register.check(to_body, on)
        transfer = BodyTransfer(id="tr-" + secrets.token_hex(8), candidate=candidate, from_body=from_body,
                                to_body=to_body, event=event, requested_by=by, requested_at=_now(at),
                                status=TransferStatus.pending)
        try:
            with writing(self.engine) as session:
                session.add(TransferRow(**transfer.model_dump()))
        except IntegrityError:
            waiting = self.pending_for_candidate(candidate)
            if waiting is None:
                raise
            raise TransferConflict(f"{candidate} already has a transfer to {waiting.to_body} waiting for its "
                                   f"acceptance ({waiting.id}): cancel it first") from None
        return transfer

    def get(self, id: str) -> BodyTransfer:
        with reading(self.engine) as session:
            row = session.get(TransferRow, id)
            if row is None:
                raise UnknownTransfer(f"no transfer {id!r}")
            return BodyTransfer.model_validate(row)

    def pending_for_candidate(self, candidate: str) -> BodyTransfer | None:
        with reading(self.engine) as session:
            row = session.scalar(select(TransferRow).where(TransferRow.candidate == candidate,
                                                           TransferRow.status == TransferStatus.pending.value))
            return None if row is None else BodyTransfer.model_validate(row)

    def list_for(self, body: str) -> List[BodyTransfer]:
        """What a body sees: the pending transfers addressed to it, and every one it sent."""
        query = (select(TransferRow)
                 .where(or_(TransferRow.from_body == body,
                            (TransferRow.to_body == body) & (TransferRow.status == TransferStatus.pending.value)))
                 .order_by(TransferRow.requested_at, TransferRow.id))
        with reading(self.engine) as session:
            return [BodyTransfer.model_validate(row) for row in session.scalars(query)]

    def list(self, status: TransferStatus | None = None) -> List[BodyTransfer]:
        """Every transfer (the DITP's view), oldest first, of one status if given."""
        query = select(TransferRow).order_by(TransferRow.requested_at, TransferRow.id)
        if status is not None:
            query = query.where(TransferRow.status == status.value)
        with reading(self.engine) as session:
            return [BodyTransfer.model_validate(row) for row in session.scalars(query)]

    def accept(self, id: str, *, by: str, on: date, at: datetime | None = None) -> BodyTransfer:
        """The receiving body accepts (or the DITP records it). Its authorisation is checked again on
        ``on``: a body that lost it meanwhile cannot accept (the transfer stays pending)."""
        self.register.check(self.get(id).to_body, on)
        return self._decide(id, TransferStatus.accepted, by, at)

    def refuse(self, id: str, *, by: str, at: datetime | None = None) -> BodyTransfer:
        return self._decide(id, TransferStatus.refused, by, at)

    def cancel(self, id: str, *, by: str, at: datetime | None = None) -> BodyTransfer:
        return self._decide(id, TransferStatus.cancelled, by, at)

    def _decide(self, id: str, status: TransferStatus, by: str, at: datetime | None) -> BodyTransfer:
        with writing(self.engine) as session:
            result = cast(CursorResult[Any], session.execute(
                update(TransferRow)
                .where(TransferRow.id == id, TransferRow.status == TransferStatus.pending.value)
                .values(status=status.value, decided_by=by, decided_at=_now(at))
                .execution_options(synchronize_session=False)))
            won = result.rowcount == 1
        transfer = self.get(id)  # UnknownTransfer if there is none
        if not won:
            raise AlreadyDecided(transfer)
        return transfer
