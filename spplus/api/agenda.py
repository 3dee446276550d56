"""A certification body's agenda as an iCalendar feed (RFC 5545), built with `icalendar`.

Each cycle gives its current audit's visit (an all-day event over the visit's days, with the sites
visited) and each of its open deadlines (an all-day event on the due day, with the rule that set it
and its section of the guide). Every VEVENT carries what RFC 5545 §3.6.1 requires of a published
one: UID, DTSTAMP (when the feed was generated, in UTC) and DTSTART, with a DTEND after DTSTART.

UIDs are stable: they name the candidate, its cycle and what the event is (``audit1.visit``,
``audit1.dossier``, …), never a date, so a calendar that downloads the feed again updates an event
whose date moved (a postponed visit, a recomputed deadline) instead of adding a second one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar, Event

from ..lifecycle.views import CycleView, DeadlineView

PRODID = "-//Services Publics +//label engine//FR"
UID_DOMAIN = "spplus"

# RFC 5545 §3.3.11: TEXT holds no control character but HTAB (line breaks are escaped as \n).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def calendar_of(views: list[CycleView], now: datetime | None = None) -> bytes:
    """The feed for ``views``; ``now`` (default: the clock) is every event's DTSTAMP."""
    stamp = _utc(now if now is not None else datetime.now(timezone.utc))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Services Publics + — échéances")
    for view in views:
        if view.current_audit is not None:
            calendar.add_component(_visit(view, stamp))
        for deadline in view.open_deadlines:
            calendar.add_component(_deadline(view, deadline, stamp))
    return calendar.to_ical()


def uid_of(view: CycleView, what: str) -> str:
    """A candidate's event, stable across downloads: ``<candidate>.cycle<n>.<what>@spplus``."""
    return f"{view.candidate.id}.cycle{view.cycle_number}.{what}@{UID_DOMAIN}"


def deadline_uid(view: CycleView, deadline: DeadlineView) -> str:
    if deadline.key == "label.expiry":
        # A renewal cycle carries the running label's expiry over from the cycle that granted it: the
        # expiry is the label's, not the cycle's, and a label expires once, on its own date.
        return f"{view.candidate.id}.label-expiry.{deadline.due.isoformat()}@{UID_DOMAIN}"
    return uid_of(view, deadline.key)


def section(reference: str) -> str:
    """The guide's section out of a rule's reference: 'Guide §3.5.1 (« … »)' → 'Guide §3.5.1'."""
    return reference.split(" (", 1)[0].strip() or reference


def _visit(view: CycleView, stamp: datetime) -> Event:
    audit = view.current_audit
    assert audit is not None
    names = {site.id: site.name for site in view.candidate.sites}
    sites = [f"{names.get(site, site)} ({site})" for site in audit.sites]
    days = (audit.visit_end - audit.visit_start).days + 1
    event = _event(uid_of(view, f"audit{audit.number}.visit"), stamp, audit.visit_start, max(days, 1))
    event.add("summary", _text(f"{view.candidate.name}: {audit.kind.value} audit visit "
                               f"({', '.join(names.get(site, site) for site in audit.sites)})"))
    event.add("location", _text("; ".join(sites)))
    event.add("description", _text("\n".join([
        f"{_capital(audit.kind.value)} audit {audit.number} of {view.candidate.name} ({view.candidate.id}), "
        f"on site from {audit.visit_start.isoformat()} to {audit.visit_end.isoformat()}.",
        f"Sites visited: {', '.join(sites)}.",
        *([f"Postponed {audit.postponements} time(s)."] if audit.postponements else []),
        f"Certification body: {view.candidate.certification_body}; rules edition {view.edition}.",
    ])))
    event.add("categories", ["audit visit"])
    event.add("transp", "OPAQUE")
    event.add("sequence", audit.postponements)  # each postponement is a revision of the same visit
    return event


def _deadline(view: CycleView, deadline: DeadlineView, stamp: datetime) -> Event:
    event = _event(deadline_uid(view, deadline), stamp, deadline.due, 1)
    event.add("summary", _text(f"{view.candidate.name}: {deadline.what} ({section(deadline.reference)})"))
    event.add("description", _text("\n".join([
        f"{_capital(deadline.what)}: due {deadline.due.isoformat()} ({deadline.kind}).",
        f"{deadline.explanation}.",
        f"Rule {deadline.rule}, {deadline.reference}; rules edition {deadline.edition}.",
        f"Candidacy {view.candidate.name} ({view.candidate.id}), cycle {view.cycle_number}.",
    ])))
    event.add("categories", [deadline.kind])
    event.add("transp", "TRANSPARENT")  # a due date, not time taken
    return event


def _event(uid: str, stamp: datetime, start: date, days: int) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(days=days))  # all-day: DTEND is the day after the last one
    return event


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _utc(moment: datetime) -> datetime:
    """DTSTAMP is a UTC date-time (RFC 5545 §3.8.7.2); a naive ``now`` is taken as UTC already."""
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.replace(microsecond=0)


def _text(value: str) -> str:
    """TEXT as RFC 5545 allows it: no control characters, no lone surrogate (not encodable as UTF-8)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", value).encode("utf-8", "replace").decode("utf-8")
