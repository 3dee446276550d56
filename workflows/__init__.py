"""Temporal workflows: they orchestrate the pure cycle in `spplus.lifecycle`, nothing more."""

from .cycle import LabelCycleWorkflow

ALL = [LabelCycleWorkflow]

__all__ = ["ALL", "LabelCycleWorkflow"]
