"""Tell people: reminders, breaches and decisions, through one interface.

The default outbox appends one JSON line per notification to a file and logs it with structlog;
a mail sender can take its place behind :class:`Notifier` without touching the workflows.
Delivery is idempotent on (cycle, key): a retried activity never sends twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

import structlog
from pydantic import BaseModel
from temporalio import activity

from spplus.lifecycle import Notification
from spplus.settings import Settings

log = structlog.get_logger("spplus.notify")


class NotificationRequest(BaseModel):
    cycle_id: str
    run_id: str
    notification: Notification


class Notifier(Protocol):
    def send(self, request: NotificationRequest) -> bool: ...


class FileOutbox:
    """One JSON line per notification; a line already written for the same (cycle, key) is not repeated."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, request: NotificationRequest) -> bool:
        if os.environ.get("SPPLUS_OUTBOX_DOWN"):  # fault injection for tests and drills
            raise ConnectionError("the notification outbox is unavailable")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ident = f"{request.cycle_id}/{request.notification.key}"
        if self.path.exists() and any(json.loads(line).get("id") == ident for line in self.path.read_text().splitlines() if line):
            return False
        line = {"id": ident, "cycle_id": request.cycle_id, **request.notification.model_dump(mode="json")}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return True


def default_notifier() -> Notifier:
    return FileOutbox(Settings.from_env().outbox)


@activity.defn
async def send_notification(request: NotificationRequest) -> bool:
    sent = default_notifier().send(request)
    log.info("notification", workflow_id=request.cycle_id, run_id=request.run_id, sent=sent,
             kind=request.notification.kind, key=request.notification.key, subject=request.notification.subject,
             recipients=request.notification.recipients)
    return sent
