"""A certification body's open deadlines as an iCalendar feed (RFC 5545), built with `icalendar`."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event

from ..lifecycle.views import CycleView


def calendar_of(views: list[CycleView]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Services Publics +//label engine//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Services Publics + — échéances")
    for view in views:
        for deadline in view.open_deadlines:
            event = Event()
            event.add("uid", f"{view.candidate.id}.{deadline.key}.{deadline.due.isoformat()}@spplus")
            event.add("summary", f"{view.candidate.name}: {deadline.what}")
            event.add("dtstart", deadline.due)
            event.add("dtend", deadline.due + timedelta(days=1))
            event.add("description", f"{deadline.explanation} — {deadline.rule} ({deadline.reference}), rules {deadline.edition}")
            calendar.add_component(event)
    return calendar.to_ical()
