"""API tokens: created and revoked from the command line, kept hashed at rest.

A token is shown once, when created; the file keeps only its SHA-256 (tokens are 256 random bits,
so a plain hash cannot be brute-forced). Roles:

* ``body``: a certification body — reads and acts on its own candidacies only;
* ``ditp``: reads everything and manages rule editions;
* ``operator``: reads everything, acts on nothing.
Without a token a caller is anonymous and reads the public list only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, model_validator


class Role(StrEnum):
    body = "body"
    ditp = "ditp"
    operator = "operator"
    anonymous = "anonymous"


class Token(BaseModel):
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
        return self


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> list[Token]:
        if not self.path.exists():
            return []
        return [Token.model_validate(t) for t in json.loads(self.path.read_text(encoding="utf-8"))]

    def _write(self, tokens: list[Token]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([t.model_dump(mode="json") for t in tokens], indent=2), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self.path)

    def create(self, role: Role, name: str, body: str | None = None) -> tuple[Token, str]:
        secret = "spp_" + secrets.token_urlsafe(32)
        token = Token(id=secrets.token_hex(4), name=name, role=role, body=body, hash=_digest(secret),
                      created=datetime.now(timezone.utc))
        self._write([*self._read(), token])
        return token, secret

    def revoke(self, token_id: str) -> Token:
        tokens = self._read()
        for index, token in enumerate(tokens):
            if token.id == token_id:
                tokens[index] = token.model_copy(update={"revoked": datetime.now(timezone.utc)})
                self._write(tokens)
                return tokens[index]
        raise KeyError(f"no token {token_id!r}")

    def list(self) -> list[Token]:
        return self._read()

    def authenticate(self, secret: str) -> Token | None:
        digest = _digest(secret)
        for token in self._read():
            if hmac.compare_digest(token.hash, digest) and token.revoked is None:
                return token
        return None
