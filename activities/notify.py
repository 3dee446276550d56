"""Tell people: reminders, breaches and decisions, through one interface.

The default outbox appends one JSON line per notification to a file and logs it with structlog;
a mail sender can take its place behind :class:`Notifier` without touching the workflows.
Delivery is idempotent on (cycle, key): a retried activity never sends twice.

The worker registers the module's two activities, which write to the outbox of its data folder
(``SPPLUS_DATA``). Another process that runs cycles of its own — a simulation — registers
:class:`NotificationActivities` instead: the same two activities bound to the notifier it gives
(its own outbox), so its notes never reach the live outbox.
"""

from __future__ import annotations

import json
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
    """The outbox of the worker's data folder (``SPPLUS_DATA``), read from the environment at each send."""
    return outbox_at(Settings.from_env().outbox)


def outbox_at(path: Path) -> FileOutbox:
    """The file outbox at ``path`` (one per path and process, so its index of sent ids is shared)."""
    if path not in _OUTBOXES:
        _OUTBOXES[path] = FileOutbox(path)
    return _OUTBOXES[path]


def _log_sent(request: NotificationRequest, sent: bool) -> None:
    log.info("notification", workflow_id=request.cycle_id, run_id=request.run_id, sent=sent,
             kind=request.notification.kind, key=request.notification.key, subject=request.notification.subject,
             recipients=request.notification.recipients)


@activity.defn
async def send_notification(request: NotificationRequest) -> bool:
    sent = default_notifier().send(request)
    _log_sent(request, sent)
    return sent


@activity.defn
async def send_notifications(batch: NotificationBatch) -> int:
    """Send each note of the batch; a retry after a partial failure skips those already written."""
    sent = 0
    for note in batch.notifications:
        sent += await send_notification(NotificationRequest(cycle_id=batch.cycle_id, run_id=batch.run_id, notification=note))
    return sent


class NotificationActivities:
    """The two notification activities (same names as the module's) bound to a notifier given here.

    For a process that runs cycles apart from the engine, a simulation: its notes go to its own
    notifier, never to the data folder's outbox; ``log``: whether each send is logged (structlog),
    as the worker's are.
    """

    def __init__(self, notifier: Notifier, log: bool = False) -> None:
        self.notifier, self.log = notifier, log

    @activity.defn(name="send_notification")
    async def send_notification(self, request: NotificationRequest) -> bool:
        sent = self.notifier.send(request)
        if self.log:
            _log_sent(request, sent)
        return sent

    @activity.defn(name="send_notifications")
    async def send_notifications(self, batch: NotificationBatch) -> int:
        sent = 0
        for note in batch.notifications:
            sent += await self.send_notification(NotificationRequest(cycle_id=batch.cycle_id, run_id=batch.run_id, notification=note))
        return sent

    @property
    def all(self) -> list[object]:
        return [self.send_notifications, self.send_notification]
