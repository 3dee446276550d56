"""The label cycle of a local public service as a pure, event-sourced state machine.

The workflow in ``workflows/cycle.py`` drives it: :func:`check` in the update validator,
:func:`apply` in the update handler, :func:`advance` when a timer fires.
"""

from .apply import apply, change_edition, network_notice, open_cycle, renewed_candidate
from .checks import check, prerequisites
from .common import EventRefused, Notification
from .days import advance, next_wakeup
from .events import Candidate, Envelope
from .state import CycleState, LabelStatus, Phase

__all__ = [
    "Candidate", "CycleState", "change_edition", "Envelope", "EventRefused", "LabelStatus", "Notification", "Phase", "advance", "apply",
    "check", "network_notice", "next_wakeup", "open_cycle", "prerequisites", "renewed_candidate",
]
