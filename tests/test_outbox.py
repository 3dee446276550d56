"""The file outbox: each notification is written once per cycle, however often the activity is retried."""

from __future__ import annotations

import json
from pathlib import Path

from activities.notify import FileOutbox, NotificationRequest
from spplus.lifecycle import Notification


def request(cycle: str, key: str) -> NotificationRequest:
    note = Notification(key=key, kind="reminder", subject=f"{key} is due", recipients=["body:oc-1"])
    return NotificationRequest(cycle_id=cycle, run_id="run-1", notification=note)


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_retried_notification_is_written_once(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "outbox.jsonl")
    assert outbox.send(request("cycle-a", "due:audit1.dossier")) is True
    assert outbox.send(request("cycle-a", "due:audit1.dossier")) is False
    assert outbox.send(request("cycle-b", "due:audit1.dossier")) is True  # same key, another cycle
    assert ids(tmp_path / "outbox.jsonl") == ["cycle-a/due:audit1.dossier", "cycle-b/due:audit1.dossier"]


def test_lines_written_by_another_worker_count_as_sent(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    mine, other = FileOutbox(path), FileOutbox(path)
    assert mine.send(request("cycle-a", "k1")) is True
    assert other.send(request("cycle-a", "k2")) is True  # appended behind mine's back
    assert mine.send(request("cycle-a", "k2")) is False
    assert other.send(request("cycle-a", "k1")) is False
    assert ids(path) == ["cycle-a/k1", "cycle-a/k2"]


def test_a_rotated_outbox_is_indexed_afresh(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    outbox = FileOutbox(path)
    outbox.send(request("cycle-a", "k1"))
    outbox.send(request("cycle-a", "k2"))
    path.write_text(json.dumps({"id": "cycle-z/k9"}) + "\n", encoding="utf-8")  # rotated: one older line kept
    assert outbox.send(request("cycle-z", "k9")) is False
    assert outbox.send(request("cycle-a", "k1")) is True
