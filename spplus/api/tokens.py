"""API tokens: created and revoked from the command line, kept hashed in the engine's records.

A token is shown once, when created; the database keeps only its SHA-256 (tokens are 256 random
bits, so a plain hash cannot be brute-forced). Roles:

* ``body``: a certification body — reads and acts on its own candidacies only;
* ``ditp``: reads everything and manages rule editions;
* ``operator``: reads everything, acts on nothing.
Without a token a caller is anonymous and reads the public list only.

The tokens live in the records' database (:mod:`spplus.records`: SQLite ``data/engine.db`` by
default, PostgreSQL with ``SPPLUS_DATABASE_URL``), so every API replica sees a revocation at once and
two replicas writing at the same time lose nothing. A ``tokens.json`` left by an earlier version is
imported once, then renamed ``tokens.json.imported``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from builtins import list as List
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..records.db import Database, database_url, open_database, reading, writing
from ..records.tables import TokenRow

log = structlog.get_logger("spplus.records")

LEGACY_FILE = "tokens.json"


class Role(StrEnum):
    body = "body"
    ditp = "ditp"
    operator = "operator"
    anonymous = "anonymous"


class Token(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    body: str | None = None  # the certification body a `body` token acts for
    hash: str
    created: datetime
    revoked: datetime | None = None

    @model_validator(mode="after")
    def _body_for_bodies(self) -> Token:
        if (self.role == Role.body) != (self.body is not None):
            raise ValueError("a body token names its certification body; other roles name none")
        if self.role == Role.anonymous:
            raise ValueError("anonymous is nobody's token")
        return self


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The API tokens, on the records' database.

    ``database`` is a URL or an engine (shared with the other stores). For the callers of the file
    era, a path is still accepted: ``data/tokens.json`` (or the data folder) means the configured
    database (``SPPLUS_DATABASE_URL``, else ``engine.db`` in that folder), importing that file once.
    ``legacy_file``: a ``tokens.json`` to import once, then rename ``tokens.json.imported``.
    """

    def __init__(self, database: Database | Path, *, legacy_file: Path | None = None) -> None:
        if isinstance(database, Path):
            folder, file = (database.parent, database) if database.suffix == ".json" else (database, database / LEGACY_FILE)
            database, legacy_file = database_url(folder), legacy_file or file
        self.engine = open_database(database)
        if legacy_file is not None and legacy_file.exists():
            self.import_legacy(legacy_file)

    @classmethod
    def from_settings(cls, settings: Any) -> TokenStore:
        """The configured records (``SPPLUS_DATABASE_URL`` or ``<data>/engine.db``), the data folder's
        former ``tokens.json`` imported once."""
        return cls(database_url(settings.data_dir), legacy_file=settings.data_dir / LEGACY_FILE)

    def import_legacy(self, file: Path) -> int:
        """Import a ``tokens.json`` of the file era (hashes, roles, revocations kept as they were), then
        rename it ``tokens.json.imported``. Tokens already in the database are left as they are."""
        tokens = [Token.model_validate(item) for item in json.loads(file.read_text(encoding="utf-8"))]
        with writing(self.engine, lock="spplus.tokens.import") as session:
            known_ids = set(session.scalars(select(TokenRow.id)))
            known_hashes = set(session.scalars(select(TokenRow.hash)))
            new = [t for t in tokens if t.id not in known_ids and t.hash not in known_hashes]
            session.add_all(TokenRow(**t.model_dump()) for t in new)
        target = file.with_name(file.name + ".imported")
        try:
            os.replace(file, target)
        except FileNotFoundError:  # another replica imported and renamed it at the same moment
            pass
        log.info("legacy tokens imported into the database", file=str(file), imported=len(new),
                    already_there=len(tokens) - len(new), renamed_to=str(target),
                    database=self.engine.url.render_as_string(hide_password=True))
        return len(new)

    def create(self, role: Role, name: str, body: str | None = None) -> tuple[Token, str]:
        for _ in range(5):  # a 32-bit id may, once in a blue moon, be taken
            secret = "spp_" + secrets.token_urlsafe(32)
            token = Token(id=secrets.token_hex(4), name=name, role=role, body=body, hash=_digest(secret),
                          created=datetime.now(timezone.utc))
            try:
                with writing(self.engine) as session:
                    session.add(TokenRow(**token.model_dump()))
            except IntegrityError:
                continue
            return token, secret
        raise RuntimeError("could not draw a free token id: try again")

    def revoke(self, token_id: str) -> Token:
        """Revoke a token (at once, for every replica). Revoking it again keeps the first date."""
        with writing(self.engine) as session:
            session.execute(
                update(TokenRow).where(TokenRow.id == token_id, TokenRow.revoked.is_(None))
                .values(revoked=datetime.now(timezone.utc)).execution_options(synchronize_session=False))
            row = session.get(TokenRow, token_id)
            if row is None:
                raise KeyError(f"no token {token_id!r}")
            return Token.model_validate(row)

    def list(self) -> List[Token]:
        with reading(self.engine) as session:
            return [Token.model_validate(row)
                    for row in session.scalars(select(TokenRow).order_by(TokenRow.created, TokenRow.id))]

    def authenticate(self, secret: str) -> Token | None:
        """The active token of this secret, or None. The database finds the row by the secret's hash
        (an index on a SHA-256 leaks nothing an attacker can steer); the hash is then compared in
        constant time again before the token is trusted."""
        digest = _digest(secret)
        with reading(self.engine) as session:
            row = session.scalar(select(TokenRow).where(TokenRow.hash == digest))
            if row is None or not hmac.compare_digest(row.hash, digest) or row.revoked is not None:
                return None
            return Token.model_validate(row)
