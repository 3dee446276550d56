"""Activities: everything the cycle needs that touches the world (files, clocks, libraries that change)."""

from .calendar import CalendarRequest, resolve_calendar
from .network import LocalCycleRequest, NetworkActivities
from .notify import NotificationRequest, send_notification
from .rules import RulesRequest, load_rules_edition

ALL = [load_rules_edition, resolve_calendar, send_notification]

__all__ = ["ALL", "LocalCycleRequest", "NetworkActivities", "CalendarRequest", "NotificationRequest", "RulesRequest", "load_rules_edition", "resolve_calendar", "send_notification"]
