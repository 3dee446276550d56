"""The bare baseline the benchmark compares the cycle with: Temporal alone, no domain code."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow


@workflow.defn(name="Baseline")
class Baseline:
    """Ten updates and a timer, like a cycle, with no domain code: the cost of Temporal alone."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.changed = False

    @workflow.run
    async def run(self) -> int:
        while len(self.events) < 10:
            self.changed = False
            try:
                await workflow.wait_condition(lambda: self.changed, timeout=timedelta(days=30))
            except asyncio.TimeoutError:
                pass
        return len(self.events)

    @workflow.update
    async def record(self, event: dict) -> int:
        self.events.append(event)
        self.changed = True
        return len(self.events)
