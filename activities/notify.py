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


class NotificationBatch(BaseModel):
    """The notes one step of a cycle produced, sent by one activity."""

    cycle_id: str
    run_id: str
    notifications: list[Notification]


class Notifier(Protocol):
    def send(self, request: NotificationRequest) -> bool: ...


class FileOutbox:
    """One JSON line per notification; a line already written for the same (cycle, key) is not repeated.

    The ids already written are indexed once and then followed by offset, so a send costs the same
    with ten lines in the file or a million; lines appended by another worker are read on the next
    send, and a file that shrank (rotated) is indexed afresh.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sent: set[str] = set()
        self._indexed = 0  # bytes of the file already read into _sent

    def _catch_up(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = 0
        if size < self._indexed:  # rotated or emptied
            self._sent, self._indexed = set(), 0
        if size == self._indexed:
            return
        with self.path.open("rb") as source:
            source.seek(self._indexed)
            chunk = source.read(size - self._indexed)
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is read next time
        for line in complete.splitlines():
            if line.strip():
                self._sent.add(json.loads(line).get("id"))
        self._indexed += len(complete)

    def send(self, request: NotificationRequest) -> bool:
        if os.environ.get("SPPLUS_OUTBOX_DOWN"):  # fault injection for tests and drills
            raise ConnectionError("the notification outbox is unavailable")
        self._catch_up()
        ident = f"{request.cycle_id}/{request.notification.key}"
        if ident in self._sent:
            return False
        line = {"id": ident, "cycle_id": request.cycle_id, **request.notification.model_dump(mode="json")}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return True


_OUTBOXES: dict[Path, FileOutbox] = {}


def default_notifier() -> Notifier:
    path = Settings.from_env().outbox
    if path not in _OUTBOXES:
        _OUTBOXES[path] = FileOutbox(path)
    return _OUTBOXES[path]


@activity.defn
async def send_notification(request: NotificationRequest) -> bool:
    sent = default_notifier().send(request)
    log.info("notification", workflow_id=request.cycle_id, run_id=request.run_id, sent=sent,
             kind=request.notification.kind, key=request.notification.key, subject=request.notification.subject,
             recipients=request.notification.recipients)
    return sent


@activity.defn
async def send_notifications(batch: NotificationBatch) -> int:
    """Send each note of the batch; a retry after a partial failure skips those already written."""
    sent = 0
    for note in batch.notifications:
        sent += await send_notification(NotificationRequest(cycle_id=batch.cycle_id, run_id=batch.run_id, notification=note))
    return sent
