"""The register of certification bodies the DITP keeps (guide §1.2, §1.3): which bodies are
authorised to certify, from when and until when.

A candidacy, a renewal or a transfer may only name a body of this register, authorised on the day
it applies (:meth:`BodyRegister.check`); an unknown or no-longer-authorised body is refused with a
message that says which.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..fields import ShortText
from .db import Database, open_database, reading, writing
from .tables import ID, BodyRow

# Lower-case letters, digits and dashes, e.g. oc-alpha: safe in a URL, a file name and a CSV cell.
BodyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=2, max_length=ID)]


class NotAuthorised(ValueError):
    """A body that may not certify on a date: not in the register, not yet or no longer authorised."""

    def __init__(self, body: str, message: str) -> None:
        super().__init__(message)
        self.body = body


class UnknownBody(NotAuthorised, LookupError):
    """No body of that id in the register."""


class AlreadyRecorded(ValueError):
    """A body is added twice."""


class CertificationBody(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: BodyId
    name: ShortText
    authorised_from: date
    authorised_until: date | None = None  # the last day it may certify; None: until further notice
    recorded_by: ShortText
    recorded_at: datetime
    changed_by: str | None = None
    changed_at: datetime | None = None

    @model_validator(mode="after")
    def _period(self) -> CertificationBody:
        if self.authorised_until is not None and self.authorised_until < self.authorised_from:
            raise ValueError(f"authorised_until ({self.authorised_until}) is before authorised_from "
                             f"({self.authorised_from})")
        return self

    def authorised(self, on: date) -> bool:
        return self.authorised_from <= on and (self.authorised_until is None or on <= self.authorised_until)

    def check(self, on: date) -> None:
        if on < self.authorised_from:
            raise NotAuthorised(self.id, f"{self.id}'s authorisation begins on {self.authorised_from.isoformat()}")
        if self.authorised_until is not None and on > self.authorised_until:
            raise NotAuthorised(self.id, f"{self.id}'s authorisation ended on {self.authorised_until.isoformat()}")


def _now(at: datetime | None) -> datetime:
    return at if at is not None else datetime.now(timezone.utc)


def _unknown(body_id: str) -> UnknownBody:
    return UnknownBody(body_id, f"{body_id} is not in the register of authorised bodies")


class BodyRegister:
    """The register, on the records' database (a URL, or an engine shared with the other stores)."""

    def __init__(self, database: Database) -> None:
        self.engine = open_database(database)

    def add(self, id: str, name: str, authorised_from: date, authorised_until: date | None = None, *,
            by: str, at: datetime | None = None) -> CertificationBody:
        body = CertificationBody(id=id, name=name, authorised_from=authorised_from,
                                 authorised_until=authorised_until, recorded_by=by, recorded_at=_now(at))
        try:
            with writing(self.engine) as session:
                if session.get(BodyRow, body.id) is not None:
                    raise AlreadyRecorded(f"{body.id} is already in the register: change its authorisation instead")
                session.add(BodyRow(**body.model_dump()))
        except IntegrityError:  # another process added it between the read and the write
            raise AlreadyRecorded(f"{body.id} is already in the register: change its authorisation instead") from None
        return body

    def set_authorised_until(self, id: str, until: date | None, *, by: str,
                             at: datetime | None = None) -> CertificationBody:
        """End a body's authorisation on ``until`` (its last day), or lift the end (None)."""
        with writing(self.engine) as session:
            row = session.get(BodyRow, id)
            if row is None:
                raise _unknown(id)
            if until is not None and until < row.authorised_from:
                raise ValueError(f"{id}'s authorisation cannot end on {until.isoformat()}, before it begins "
                                 f"({row.authorised_from.isoformat()})")
            session.execute(update(BodyRow).where(BodyRow.id == id)
                            .values(authorised_until=until, changed_by=by, changed_at=_now(at))
                            .execution_options(synchronize_session=False))
        return self.get(id)

    def get(self, id: str) -> CertificationBody:
        with reading(self.engine) as session:
            row = session.get(BodyRow, id)
            if row is None:
                raise _unknown(id)
            return CertificationBody.model_validate(row)

    def find(self, id: str) -> CertificationBody | None:
        try:
            return self.get(id)
        except UnknownBody:
            return None

    def list(self) -> list[CertificationBody]:
        with reading(self.engine) as session:
            return [CertificationBody.model_validate(row) for row in session.scalars(select(BodyRow).order_by(BodyRow.id))]

    def authorised(self, id: str, on: date) -> bool:
        body = self.find(id)
        return body is not None and body.authorised(on)

    def check(self, id: str, on: date) -> None:
        """Nothing if ``id`` may certify on ``on``; else :class:`NotAuthorised` saying why, e.g.
        "oc-zeta is not in the register of authorised bodies", "oc-beta's authorisation ended on 2026-06-30"."""
        body = self.find(id)
        if body is None:
            raise _unknown(id)
        body.check(on)
