"""A certification body's agenda as a calendar page — by month, then by week or day — and its subscription feed.

The same source as the API's ``/agenda.ics`` (:func:`spplus.analysis.agenda_views.agenda_views`): each running
local cycle's open deadlines (with the rule that set each and its section of the guide) and its current audit's
visit days. The page's days count from the date in metropolitan France (:func:`spplus.client.paris_today`).

``/agenda.ics`` wants ``Authorization: Bearer``, which a calendar application cannot send; the page gives a
subscription link instead, ``/agenda/flux/<feed key>/echeances.ics`` (see :mod:`.feed`): it answers the same
feed as ``/agenda.ics`` for the signed-in token, reads nothing else, and closes when that token is revoked.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from ... import client as engine
from ...analysis.agenda_views import agenda_views
from ...api.agenda import calendar_of, section
from ...api.tokens import Role
from ...lifecycle.views import CycleView
from ..auth import Principal, Problem
from .feed import FeedKeys
from .kit import MONTHS, Kit

log = structlog.get_logger("spplus.pages")

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MAX_VISIT_DAYS = 31  # a visit longer than this shows on its first 31 days


@dataclass
class AgendaItem:
    """One line of the agenda on one day: a deadline (with its rule and guide section) or a day of an audit visit."""

    day: date
    candidate: str
    name: str
    what: str
    kind: str  # a deadline's kind, or "visit"
    rule: str | None = None
    section: str | None = None
    explanation: str | None = None


@dataclass
class Period:
    """What the page shows: a month (``mois``), a week (``semaine``) or a day (``jour``), and its neighbours."""

    kind: str
    start: date
    end: date  # included
    title: str
    previous: str = ""
    next: str = ""
    days: list[date] = field(default_factory=list)



def _day_month(day: date) -> str:
    """« 1er novembre », « 2 novembre »: the first of the month is written 1er in French."""
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]}"

def items_of(views: list[CycleView]) -> list[AgendaItem]:
    """Every open deadline and every visit day of ``views``, by day."""
    items = []
    for view in views:
        c = view.candidate
        for d in view.open_deadlines:
            items.append(AgendaItem(d.due, c.id, c.name, d.what, d.kind, d.rule, section(d.reference), d.explanation))
        audit = view.current_audit
        if audit is not None:
            days = min((audit.visit_end - audit.visit_start).days + 1, MAX_VISIT_DAYS)
            what = f"visite d'audit {'initial' if audit.kind.value == 'initial' else 'de suivi'} ({', '.join(audit.sites)})"
            items += [AgendaItem(audit.visit_start + timedelta(days=n), c.id, c.name, what, "visit") for n in range(days)]
    return sorted(items, key=lambda i: (i.day, i.name, i.what))


def month(day: date) -> Period:
    first = day.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    before, after = first - timedelta(days=1), last + timedelta(days=1)
    return Period("mois", first, last, f"{MONTHS[first.month - 1]} {first.year}",
                  f"mois={before:%Y-%m}", f"mois={after:%Y-%m}")


def week(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    year, number, _ = monday.isocalendar()
    before, after = (monday - timedelta(days=7)).isocalendar(), (monday + timedelta(days=7)).isocalendar()
    return Period("semaine", monday, sunday, f"semaine {number} de {year} (du {_day_month(monday)} "
                  f"au {_day_month(sunday)} {sunday.year})",
                  f"semaine={before[0]}-W{before[1]:02d}", f"semaine={after[0]}-W{after[1]:02d}",
                  [monday + timedelta(days=n) for n in range(7)])


def one_day(day: date) -> Period:
    return Period("jour", day, day, f"{WEEKDAYS[day.weekday()]} {_day_month(day)} {day.year}",
                  f"jour={day - timedelta(days=1)}", f"jour={day + timedelta(days=1)}", [day])


def period_of(params: dict[str, str], today: date) -> tuple[Period, str | None]:
    """The period a request asks for (``jour=YYYY-MM-DD``, ``semaine=YYYY-Www`` or ``mois=YYYY-MM``; this month
    by default), and what to tell the user when what they wrote is not a date (then: this month)."""
    raw = (params.get("jour") or params.get("semaine") or params.get("mois") or "").strip()[:20]
    try:
        if params.get("jour"):
            return one_day(date.fromisoformat(raw)), None
        if params.get("semaine"):
            year, _, number = raw.partition("-W")
            return week(date.fromisocalendar(int(year), int(number), 1)), None
        if params.get("mois"):
            year, _, number = raw.partition("-")
            return month(date(int(year), int(number), 1)), None
    except (ValueError, OverflowError):  # not a date, or beyond the calendar's years
        return month(today), f"« {raw} » n'est pas une date que l'agenda connaît : écrivez un mois comme {today:%Y-%m}."
    return month(today), None


def weeks_of(period: Period, by_day: dict[date, list[AgendaItem]]) -> list[dict[str, object]]:
    """The month's grid, Monday first: each week's number, link and days (with the month's items only)."""
    rows = []
    for days in calendar.Calendar(0).monthdatescalendar(period.start.year, period.start.month):
        year, number, _ = days[0].isocalendar()
        rows.append({"number": number, "param": f"semaine={year}-W{number:02d}",
                     "days": [{"day": d, "inside": d.month == period.start.month,
                               "entries": by_day.get(d, []) if d.month == period.start.month else []} for d in days]})
    return rows


def agenda_scope(kit: Kit, who: Principal) -> str | None:
    """Whose agenda: a body's own; every body's for the DITP and operators (as ``/agenda.ics`` answers them)."""
    kit.gate.require(who, Role.body, Role.ditp, Role.operator)
    return who.body if who.role == Role.body else None


def routes(kit: Kit) -> APIRouter:
    router = kit.router()
    feeds = FeedKeys(kit.page_tokens.key)

    @router.get("/agenda")
    async def agenda(request: Request) -> Response:
        who, session = kit.session_of(request)
        try:
            body = agenda_scope(kit, who)
            items = items_of(await agenda_views(await kit.temporal(), body))
        except Problem as problem:
            return kit.refused(request, who, session, problem)
        today = engine.paris_today()
        period, error = period_of(dict(request.query_params), today)
        by_day: dict[date, list[AgendaItem]] = {}
        for item in items:
            if period.start <= item.day <= period.end:
                by_day.setdefault(item.day, []).append(item)
        feed = f"{str(request.base_url).rstrip('/')}/agenda/flux/{feeds.issue(str(who.token_id))}/echeances.ics"
        return kit.render(request, "agenda.html", who, session, body=body, period=period, error=error, today=today,
                          weeks=weeks_of(period, by_day) if period.kind == "mois" else [], by_day=by_day,
                          feed=feed,
                          weekdays=WEEKDAYS, months=MONTHS)

    @router.get("/agenda/flux/{feed_key}/echeances.ics")
    async def feed(feed_key: str, request: Request) -> Response:
        """The subscription feed: ``/agenda.ics`` as the feed key's token would have it, for calendar applications."""
        token_id = feeds.read(feed_key)
        who = kit.gate.by_token_id(token_id) if token_id else None
        if who is None:  # forged, or its token revoked
            log.warning("agenda feed refused", path="/agenda/flux/…")
            return PlainTextResponse("Lien d'abonnement inconnu ou révoqué : reprenez le lien sur la page Agenda.",
                                     status_code=404, headers={"Cache-Control": "no-store"})
        try:
            body = agenda_scope(kit, who)
        except Problem as problem:
            return PlainTextResponse(problem.detail, status_code=problem.status)
        views = await agenda_views(await kit.temporal(), body)
        log.info("agenda feed read", token=who.token_id, body=body, cycles=len(views))
        return Response(calendar_of(views), media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="echeances.ics"'})

    return router
