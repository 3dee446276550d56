"""Page tokens of the cycle lists: Temporal's own, signed for the query they continue, and dated.

The key is a deployment secret shared by every API replica (``SPPLUS_PAGE_TOKEN_SECRET``); without
it the engine keeps one in its data folder (``page-token.key``, 0600), so a restart or a second
replica on the same volume still reads the tokens it gave. A token older than its lifetime is
refused: a list is read in minutes, and a leaked token stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import struct
import time
from pathlib import Path

MAC_BYTES = 16


class PageTokenRefused(ValueError):
    """A token this API did not give for this query, or one that has expired."""


def page_token_key(data_dir: Path) -> bytes:
    """The signing key: the environment's secret, else the data folder's key file (made once, 0600)."""
    secret = os.environ.get("SPPLUS_PAGE_TOKEN_SECRET")
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    path = data_dir / "page-token.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.hex())
        return key


class PageTokens:
    """Sign and read page tokens: ``base64(mac16 ‖ issued_at (8 bytes, s) ‖ Temporal's token)``."""

    def __init__(self, key: bytes, lifetime_seconds: int = 3600) -> None:
        self.key, self.lifetime = key, lifetime_seconds

    def _mac(self, query: str, stamped: bytes) -> bytes:
        return hmac.new(self.key, query.encode() + b"\0" + stamped, hashlib.sha256).digest()[:MAC_BYTES]

    def issue(self, raw: bytes, query: str) -> str:
        stamped = struct.pack(">q", int(time.time())) + raw
        return base64.urlsafe_b64encode(self._mac(query, stamped) + stamped).decode()

    def read(self, text: str, query: str) -> bytes:
        """Temporal's token inside ``text``. Raises :class:`PageTokenRefused` if forged, foreign or expired."""
        try:
            data = base64.urlsafe_b64decode(text.encode())
        except (ValueError, UnicodeEncodeError):
            data = b""
        mac, stamped = data[:MAC_BYTES], data[MAC_BYTES:]
        if len(stamped) <= 8 or not hmac.compare_digest(mac, self._mac(query, stamped)):
            raise PageTokenRefused("page_token: not a token this API gave for this query")
        (issued,) = struct.unpack(">q", stamped[:8])
        if time.time() - issued > self.lifetime:
            raise PageTokenRefused(f"page_token: expired (a page token holds {self.lifetime // 60} minutes); list again from the first page")
        return stamped[8:]
