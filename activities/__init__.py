"""Activities: everything the cycle needs that touches the world (files, clocks, libraries that change)."""

from .calendar import CalendarRequest, resolve_calendar
from .network import LocalCycleRequest, NetworkActivities, NetworkNoticeRequest, tell_network
from .notify import NotificationBatch, NotificationRequest, send_notification, send_notifications
from .rules import PinnedRules, PinRequest, RulesRequest, load_rules_edition, pin_rules_and_calendar

ALL = [pin_rules_and_calendar, load_rules_edition, resolve_calendar, send_notifications, send_notification, tell_network]

__all__ = ["ALL", "LocalCycleRequest", "NetworkActivities", "NetworkNoticeRequest", "tell_network", "CalendarRequest", "NotificationBatch", "NotificationRequest", "PinRequest", "PinnedRules", "RulesRequest", "load_rules_edition", "pin_rules_and_calendar", "resolve_calendar", "send_notification", "send_notifications"]
