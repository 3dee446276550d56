"""Temporal workflows: they orchestrate the pure cycle in `spplus.lifecycle`, nothing more."""

from .central import CentralCycleWorkflow
from .cycle import LabelCycleWorkflow

ALL = [LabelCycleWorkflow, CentralCycleWorkflow]

__all__ = ["ALL", "CentralCycleWorkflow", "LabelCycleWorkflow"]
