"""The command line as a client of the engine's HTTP API: a body's commands go through the same routes,
tokens and roles as any other caller, never to Temporal itself.

Where the API is and who calls it:

* ``SPPLUS_API_URL`` (default ``http://127.0.0.1:8000``) and ``SPPLUS_TOKEN``;
* else a profile file, ``~/.config/spplus/profile.toml`` or the file ``SPPLUS_PROFILE`` names, with
  ``api_url`` and ``token``; it holds a secret, so it is refused when others may read it (mode 0600)
  or when it belongs to another user. A variable set in the environment wins over the profile.

The API answers a refusal as ``application/problem+json``: its ``detail`` is the one line the command
prints. Bodies are sent as JSON with their numbers exact: a decimal read from a file is written with
every digit it has (``49.99999999999999999`` is not rounded to 50 on its way).
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

DEFAULT_API_URL = "http://127.0.0.1:8000"
PROFILE_KEYS = ("api_url", "token")
TIMEOUT = 60.0  # an event waits for its cycle's answer (a few seconds at most as a rule)
OPENING_WAIT = 10.0  # a cycle still opening (its rules being pinned) is asked again for this long
NO_TOKEN = "no token: set SPPLUS_TOKEN or a profile"


class Refused(Exception):
    """A refusal said in one line (the API's own ``detail``, or why the API could not be asked)."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


def default_profile() -> Path:
    return Path.home() / ".config" / "spplus" / "profile.toml"


def read_profile() -> dict[str, str]:
    """The profile's settings; {} when there is none at the default place. Refused when it may be read by
    others, belongs to someone else, is not TOML, or holds other keys than api_url and token."""
    import stat
    import tomllib

    named = os.environ.get("SPPLUS_PROFILE")
    path = Path(named).expanduser() if named else default_profile()
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        if named:
            raise Refused(f"SPPLUS_PROFILE={named}: no such file") from None
        return {}
    except OSError as exc:
        raise Refused(f"{path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path}: not a file; a profile is a TOML file with api_url and token")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise Refused(f"{path} belongs to another user; a profile holds your token: keep your own, mode 0600")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise Refused(f"{path} may be read by others (mode {mode:04o}); it holds a token: chmod 600 {path}")
        try:
            data = tomllib.load(stream)
        except tomllib.TOMLDecodeError as exc:
            raise Refused(f"{path}: not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise Refused(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for key, value in data.items():
        if key not in PROFILE_KEYS:
            raise Refused(f"{path}: unknown key {key!r}; a profile has {' and '.join(PROFILE_KEYS)}")
        if not isinstance(value, str):
            raise Refused(f"{path}: {key} is text, written in quotes")
    return {key: value.strip() for key, value in data.items()}


@dataclass(frozen=True)
class Where:
    api_url: str
    token: str | None


def where(need_token: bool = True) -> Where:
    """The API's address and the caller's token, from the environment, else the profile."""
    url = os.environ.get("SPPLUS_API_URL", "").strip()
    token = os.environ.get("SPPLUS_TOKEN", "").strip()
    url_from = "SPPLUS_API_URL"
    if not url or not token:
        profile = read_profile()
        if not url and profile.get("api_url"):
            url, url_from = profile["api_url"], "the profile's api_url"
        token = token or profile.get("token", "")
    url = (url or DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url_from}={url!r} is not the API's address: write http(s)://host[:port], e.g. {DEFAULT_API_URL}")
    if need_token and not token:
        raise Refused(NO_TOKEN)
    return Where(url, token or None)


# ------------------------------------------------------------------ JSON with exact numbers
def to_json(value: Any) -> str:
    """``value`` as JSON text: a Decimal is written as the number it is, with every digit (never through a
    float), dates as YYYY-MM-DD, mapping keys as text. NaN and infinities are not JSON and are refused."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (date, datetime)):
        return key.isoformat()
    if isinstance(key, (int, Decimal)):
        return str(key)
    raise ValueError(f"a key {key!r} cannot be sent as JSON")


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, (bool, str)):
        out.append(json.dumps(value))  # ASCII escapes: a lone surrogate reaches the API, which names it
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number; write a number or null")
        out.append(str(value))  # e.g. 49.99999999999999999, 0.75, 1E+2: every digit, valid JSON
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a JSON number; write a number or null")
        out.append(float.__repr__(value))
    elif isinstance(value, (datetime, date)):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for number, (key, item) in enumerate(value.items()):
            if number:
                out.append(",")
            out.append(json.dumps(_key(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for number, item in enumerate(value):
            if number:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise ValueError(f"{type(value).__name__} cannot be sent as JSON")


# ------------------------------------------------------------------ the API
class Api:
    """One caller of the engine's HTTP API (a token, or anonymous for the public list)."""

    def __init__(self, need_token: bool = True, send_token: bool = True) -> None:
        import httpx

        self.where = where(need_token)
        headers = {"Accept": "application/json, application/problem+json", "User-Agent": "spplus-cli"}
        if self.where.token and send_token:
            headers["Authorization"] = f"Bearer {self.where.token}"
        self.http = httpx.Client(base_url=self.where.api_url, headers=headers, timeout=TIMEOUT, follow_redirects=False)

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._json(self._send("GET", path, params=_params(params), retry=True))

    def get_text(self, path: str) -> str:
        return self._send("GET", path, retry=True).text

    def post(self, path: str, body: Any, idempotency_key: str | None = None) -> Any:
        """POST a JSON body. With an idempotency key, a cycle still opening is asked again (the engine
        applies a key once); without one (a start), never."""
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            content = to_json(body).encode("utf-8")
        except ValueError as exc:
            raise Refused(str(exc)) from None
        return self._json(self._send("POST", path, content=content, headers=headers, retry=idempotency_key is not None))

    def _send(self, method: str, path: str, retry: bool, **kwargs: Any) -> Any:
        import httpx

        give_up, pause = time.monotonic() + OPENING_WAIT, 0.05
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.ConnectError:
                raise Refused(f"no API at {self.where.api_url}: start the engine with make run (or set SPPLUS_API_URL, "
                              "or api_url in the profile, to where it runs)") from None
            except httpx.TimeoutException:
                raise Refused(f"the API at {self.where.api_url} did not answer within {TIMEOUT:.0f} s; try again") from None
            except httpx.HTTPError as exc:
                raise Refused(f"the API at {self.where.api_url} could not be asked: {exc}") from None
            if response.status_code == 503 and retry and time.monotonic() + pause < give_up:
                time.sleep(pause)  # the cycle is opening, or Temporal is a moment away
                pause = min(pause * 2, 1.0)
                continue
            if response.is_success:
                return response
            raise self._refusal(response)

    def _refusal(self, response: Any) -> Refused:
        try:
            problem = response.json()
        except ValueError:
            problem = None
        if isinstance(problem, dict) and isinstance(problem.get("detail"), str):
            return Refused(problem["detail"].strip() or response.reason_phrase, response.status_code,
                           problem.get("field") if isinstance(problem.get("field"), str) else None)
        return Refused(f"the API at {self.where.api_url} answered {response.status_code} {response.reason_phrase}",
                       response.status_code)

    def _json(self, response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            raise Refused(f"the API at {self.where.api_url} answered something that is not JSON "
                          f"({response.headers.get('content-type', 'no content type')})") from None


def _params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else {k: v for k, v in params.items() if v is not None}


def segment(ident: str) -> str:
    """An id as one path segment (``/`` and the like escaped, so an id never reaches another route)."""
    return quote(ident, safe="")


def new_key() -> str:
    """An idempotency key for an event sent without ``--id``: asking again after a pause applies it once."""
    return str(uuid.uuid4())
