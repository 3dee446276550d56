"""The agenda's subscription link: a calendar application cannot sign in nor send ``Authorization: Bearer``.

A feed key names a token by its id and carries an HMAC-SHA-256 of that id under a key of its own, derived from
the page-token key (``SPPLUS_PAGE_TOKEN_SECRET`` or the data folder's ``page-token.key``): it cannot be forged,
it never holds the token's secret, and it opens one thing only, the token's agenda (read, as ``/agenda.ics``
would answer that token). Every request looks the token up in the records: revoking the token closes its feed
at once (as it closes its page sessions); a new token gives a new link. Changing the page-token secret closes
every feed.
"""

from __future__ import annotations

import hashlib
import hmac

from .session import MAC_BYTES, _b64, _unb64  # the session cookie's signing, used here for another purpose

MAX_FEED_KEY = 200


class FeedKeys:
    """Issue and read the agenda feed's keys."""

    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"spplus pages: agenda feed v1", hashlib.sha256).digest()

    def _mac(self, token_id: str) -> bytes:
        return hmac.new(self._key, token_id.encode(), hashlib.sha256).digest()[:MAC_BYTES]

    def issue(self, token_id: str) -> str:
        """The feed key of a token (the same every time: the link stays the one the calendar holds)."""
        return f"{_b64(token_id.encode())}.{_b64(self._mac(token_id))}"

    def read(self, feed_key: str) -> str | None:
        """The token id a feed key names, or None when it is malformed or forged."""
        if not feed_key or len(feed_key) > MAX_FEED_KEY or feed_key.count(".") != 1:
            return None
        try:
            named, mac = (_unb64(part) for part in feed_key.split("."))
            token_id = named.decode("ascii")
        except ValueError:  # bad base64 or not ASCII
            return None
        return token_id if token_id and hmac.compare_digest(mac, self._mac(token_id)) else None


__all__ = ["FeedKeys"]
