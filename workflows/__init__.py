"""Temporal workflows: they orchestrate the pure cycle in `spplus.lifecycle`, nothing more.

The names are resolved lazily: the workflow sandbox imports this package afresh for every cycle it
runs, and a local cycle should not pay for importing the central one's module too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL", "CentralCycleWorkflow", "LabelCycleWorkflow"]


def __getattr__(name: str) -> Any:
    if name == "LabelCycleWorkflow":
        from .cycle import LabelCycleWorkflow

        return LabelCycleWorkflow
    if name == "CentralCycleWorkflow":
        from .central import CentralCycleWorkflow

        return CentralCycleWorkflow
    if name == "ALL":
        from .central import CentralCycleWorkflow
        from .cycle import LabelCycleWorkflow

        return [LabelCycleWorkflow, CentralCycleWorkflow]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
