"""Workflow ids of the engine's cycles: what the client, the activities and the workflows all name.

A module of its own, below all of them, so that none needs another to spell an id.
"""

from __future__ import annotations


def cycle_id(candidate_id: str) -> str:
    """A local service's label cycle: ``cycle-<candidate id>`` (one per candidate, renewals included)."""
    return f"cycle-{candidate_id}"


def central_workflow_id(central_id: str) -> str:
    """A central service's label cycle: ``central-<central id>``."""
    return f"central-{central_id}"
