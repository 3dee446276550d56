"""The pages' session and CSRF tokens: signed values, never the token itself.

Why a signed cookie rather than a session row in the engine's records: the cookie names the token by
its id and carries an expiry, signed with HMAC-SHA-256 under a key derived from the page-token key
(``SPPLUS_PAGE_TOKEN_SECRET``, or ``page-token.key`` in the data folder), so every API replica reads
it with nothing new to store or migrate. Each request looks the token up by id in the records: a
revoked token closes its sessions at once. The secret itself is read once, at sign-in, and never
leaves the records' hash. What a signed cookie cannot do is end itself on the server: sign-out
deletes it from the browser, and a copy taken before then stops working at its expiry (8 hours).

CSRF: every form carries an HMAC of what the browser holds — the session cookie once signed in, a
random sign-in cookie before — under a second derived key; a form whose token does not match is
refused. Cookies are HttpOnly and SameSite=Strict, Secure when the page is served over https.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

SESSION_COOKIE = "spplus_session"
SIGN_IN_COOKIE = "spplus_connexion"
SESSION_LIFETIME = 8 * 3600  # seconds: a working day
SIGN_IN_LIFETIME = 3600
MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Sign and read the session cookie, and the forms' CSRF tokens."""

    def __init__(self, key: bytes, lifetime: int = SESSION_LIFETIME) -> None:
        # Keys of their own for each use: a page token can never pass for a session, nor a session for a CSRF token.
        self._session_key = hmac.new(key, b"spplus pages: session v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(key, b"spplus pages: csrf v1", hashlib.sha256).digest()
        self.lifetime = lifetime

    def issue(self, token_id: str, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + self.lifetime
        # A nonce of its own: two sign-ins with one token are two sessions, with two CSRF tokens.
        payload = f"{token_id}|{expires}|{secrets.token_urlsafe(12)}".encode()
        mac = hmac.new(self._session_key, payload, hashlib.sha256).digest()[:MAC_BYTES]
        return f"{_b64(payload)}.{_b64(mac)}"

    def read(self, value: str | None, now: float | None = None) -> str | None:
        """The token id a session cookie names, or None when it is absent, forged or expired."""
        if not value or len(value) > 512 or value.count(".") != 1:
            return None
        try:
            payload, mac = (_unb64(part) for part in value.split("."))
        except ValueError:
            return None
        if not hmac.compare_digest(mac, hmac.new(self._session_key, payload, hashlib.sha256).digest()[:MAC_BYTES]):
            return None
        token_id, _, expires = payload.decode(errors="replace").rpartition("|")[0].rpartition("|")
        if not token_id or not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
            return None
        return token_id

    @staticmethod
    def sign_in_nonce() -> str:
        return secrets.token_urlsafe(24)

    def csrf(self, binding: str) -> str:
        """The CSRF token of forms shown to the holder of ``binding`` (the session or sign-in cookie's value)."""
        return _b64(hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).digest()[:MAC_BYTES])

    def csrf_ok(self, binding: str | None, sent: str | None) -> bool:
        return bool(binding) and bool(sent) and hmac.compare_digest(self.csrf(binding or ""), sent or "")
