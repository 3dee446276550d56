"""Send a cycle's notifications without ever blocking it: reminders, breaches, decisions.

The notes one step produces go out as one activity (`send_notifications`): a down outbox is
retried with backoff for up to thirty days while the cycle keeps its deadlines. Cycles that ran
before batching sent one `send_notification` activity per note; the patch replays them so.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotificationBatch, NotificationRequest, send_notification, send_notifications
    from spplus.lifecycle import Notification

NOTIFY_IN_BATCHES = "one-notification-activity-per-step"

# Engine operating parameters, not label rules: how long one attempt may take, how a failed one is
# retried (backing off to every 30 minutes), and when a notification is given up.
NOTIFY_ATTEMPT = timedelta(seconds=30)
NOTIFY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                           maximum_interval=timedelta(minutes=30))
NOTIFY_GIVE_UP = timedelta(hours=24 * 30)


def start_notifications(notes: list[Notification]) -> list[asyncio.Future[object]]:
    """Start sending ``notes`` and return at once; the caller awaits the futures only before it ends."""
    if not notes:
        return []
    info = workflow.info()
    options = {"start_to_close_timeout": NOTIFY_ATTEMPT, "schedule_to_close_timeout": NOTIFY_GIVE_UP, "retry_policy": NOTIFY_RETRY}
    if workflow.patched(NOTIFY_IN_BATCHES):
        batch = NotificationBatch(cycle_id=info.workflow_id, run_id=info.run_id, notifications=notes)
        return [workflow.start_activity(send_notifications, batch, **options)]  # type: ignore[arg-type]
    return [
        workflow.start_activity(send_notification, NotificationRequest(cycle_id=info.workflow_id, run_id=info.run_id, notification=note),
                                **options)  # type: ignore[arg-type]
        for note in notes
    ]
