"""The agenda feed (`/agenda.ics`, issue 10 kind 8): every VEVENT valid per RFC 5545, the audit visit listed.

Cycles are driven with the pure core (no Temporal), their views rendered with `calendar_of`, and the
feed read back three ways: with `icalendar`, with a line-by-line check of what RFC 5545 requires of
a published VEVENT (§3.1 content lines, §3.6.1 UID/DTSTAMP/DTSTART, §3.8.2.2 DTEND after DTSTART),
and with the strict parser of the `ical` package (a test dependency). DTSTAMP is the time the feed is
generated: the clock is frozen with freezegun.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from icalendar import Calendar

from spplus.api.agenda import calendar_of
from spplus.lifecycle.views import CycleView, cycle_view

from .lifecycle.test_cycle_basics import (
    DECIDED, PREP_DAY, VISIT_END, VISIT_START, audit_dates, labelled, new_driver, prerequisites,
)

FROZEN = "2026-01-12 09:30:00"  # UTC
STAMP = datetime(2026, 1, 12, 9, 30, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------- helpers
def planned(rules, calendar_for, start: date = VISIT_START, end: date = VISIT_END, sites=None, **overrides):
    """Prerequisites done on PREP_DAY, then the audit dates (two days, both sites by default)."""
    d = new_driver(rules, calendar_for, **overrides)
    prerequisites(d, PREP_DAY)
    d.send(audit_dates(start, end, sites=sites or ["hdv", "annexe-nord"]))
    return d


def events(feed: bytes) -> list:
    return Calendar.from_ical(feed).walk("VEVENT")


def by_uid(feed: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(feed)}


def text(event, name: str) -> str:
    return str(event[name])


def unfold(feed: bytes) -> list[str]:
    """RFC 5545 §3.1: CRLF-terminated lines of at most 75 octets, unfolded; fails on anything else."""
    raw = feed.decode("utf-8")  # §3.1.4: UTF-8
    assert raw.endswith("\r\n"), "the last line ends with CRLF"
    physical = raw[:-2].split("\r\n")
    lines: list[str] = []
    for line in physical:
        assert "\r" not in line and "\n" not in line, f"bare CR or LF in {line!r}"
        assert len(line.encode("utf-8")) <= 75, f"line longer than 75 octets: {line!r}"
        if line[:1] in (" ", "\t"):
            assert lines, "a continuation line before any content line"
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


CONTENT_LINE = re.compile(r'^(?P<name>[A-Za-z0-9-]+)(?P<params>(;[A-Za-z0-9-]+=("[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*)'
                          r'(,("[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*))*)*):(?P<value>.*)$')
DATE = re.compile(r"^\d{8}$")
UTC_DATETIME = re.compile(r"^\d{8}T\d{6}Z$")


def strict_check(feed: bytes) -> list[dict[str, list[tuple[str, str]]]]:
    """What RFC 5545 requires of this feed, checked on its text; returns each VEVENT's properties."""
    stack: list[str] = []
    calendar_props: dict[str, list[tuple[str, str]]] = {}
    vevents: list[dict[str, list[tuple[str, str]]]] = []
    current: dict[str, list[tuple[str, str]]] | None = None
    for line in unfold(feed):
        match = CONTENT_LINE.match(line)
        assert match, f"not a content line: {line!r}"
        name, params, value = match["name"].upper(), match["params"], match["value"]
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value), f"control character in {line!r}"  # §3.3.11
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                assert stack == ["VCALENDAR", "VEVENT"], f"VEVENT nested in {stack}"
                current = {}
            continue
        if name == "END":
            assert stack and stack[-1] == value, f"END:{value} closes {stack}"
            stack.pop()
            if value == "VEVENT":
                assert current is not None
                vevents.append(current)
                current = None
            continue
        assert stack, f"{line!r} outside VCALENDAR"
        target = current if current is not None else calendar_props
        target.setdefault(name, []).append((params, value))
    assert stack == [], f"unclosed {stack}"
    for required in ("VERSION", "PRODID"):  # §3.6: exactly once in the calendar
        assert len(calendar_props.get(required, [])) == 1, required
    assert calendar_props["VERSION"][0][1] == "2.0"
    uids = []
    for event in vevents:
        for once in ("UID", "DTSTAMP", "DTSTART"):  # §3.6.1: REQUIRED, MUST NOT occur more than once
            assert len(event.get(once, [])) == 1, f"{once} in {event}"
        for at_most_once in ("DTEND", "SUMMARY", "DESCRIPTION", "LOCATION", "SEQUENCE", "TRANSP"):
            assert len(event.get(at_most_once, [])) <= 1, at_most_once
        assert not ("DTEND" in event and "DURATION" in event), "DTEND and DURATION both given"
        assert UTC_DATETIME.match(event["DTSTAMP"][0][1]), "DTSTAMP is a UTC date-time (§3.8.7.2)"
        start_params, start = event["DTSTART"][0]
        end_params, end = event["DTEND"][0]
        assert start_params.upper() == end_params.upper() == ";VALUE=DATE", "all-day events: VALUE=DATE on both"
        assert DATE.match(start) and DATE.match(end)
        assert end > start, "DTEND after DTSTART (§3.8.2.2)"
        uids.append(event["UID"][0][1])
    assert len(uids) == len(set(uids)), f"UIDs repeated in one feed: {uids}"
    return vevents


# ------------------------------------------------------------------------------------- tests
def test_every_event_has_a_uid_the_feed_time_as_dtstamp_and_a_dtend_after_its_dtstart(rules, calendar_for):
    view = cycle_view(planned(rules, calendar_for).state)
    with freeze_time(FROZEN):
        feed = calendar_of([view])  # no `now`: the clock
    found = events(feed)
    assert len(found) == 1 + len(view.open_deadlines) >= 3  # the visit and each open deadline
    for event in found:
        assert event.decoded("DTSTAMP") == STAMP
        assert event.decoded("DTEND") > event.decoded("DTSTART")
        assert text(event, "UID").endswith("@spplus")
    assert len(strict_check(feed)) == len(found)


def test_the_audit_visit_is_an_all_day_event_over_the_visit_with_its_sites(rules, calendar_for):
    d = planned(rules, calendar_for)  # visit 10–11 March 2026, at both sites
    feed = calendar_of([cycle_view(d.state)], now=STAMP)
    visit = by_uid(feed)["mairie-exemple.cycle1.audit1.visit@spplus"]
    assert visit.decoded("DTSTART") == date(2026, 3, 10)
    assert visit.decoded("DTEND") == date(2026, 3, 12)  # exclusive: the day after the visit's last day
    assert type(visit.decoded("DTSTART")) is date  # all-day, not a date-time
    assert visit.decoded("DTSTAMP") == STAMP
    for shown in (text(visit, "LOCATION"), text(visit, "DESCRIPTION")):
        assert "Hôtel de ville" in shown and "Annexe nord" in shown
    assert "Hôtel de ville" in text(visit, "SUMMARY") and "Mairie d'Exemple" in text(visit, "SUMMARY")
    assert text(visit, "TRANSP") == "OPAQUE"


def test_a_one_day_visit_at_one_site_lasts_one_day(rules, calendar_for):
    d = planned(rules, calendar_for, start=VISIT_START, end=VISIT_START, sites=["annexe-nord"])
    visit = by_uid(calendar_of([cycle_view(d.state)], now=STAMP))["mairie-exemple.cycle1.audit1.visit@spplus"]
    assert (visit.decoded("DTSTART"), visit.decoded("DTEND")) == (VISIT_START, VISIT_START + timedelta(days=1))
    assert "Annexe nord" in text(visit, "LOCATION") and "Hôtel de ville" not in text(visit, "LOCATION")


def test_each_open_deadline_is_an_event_on_its_due_day_naming_its_rule_and_guide_section(rules, calendar_for):
    d = planned(rules, calendar_for)
    view = cycle_view(d.state)
    feed = by_uid(calendar_of([view], now=STAMP))
    keys = {deadline.key for deadline in view.open_deadlines}
    assert {"audit1.dossier", "audit1.audit_plan"} <= keys
    for deadline in view.open_deadlines:
        event = feed[f"mairie-exemple.cycle1.{deadline.key}@spplus"]
        assert event.decoded("DTSTART") == deadline.due
        assert event.decoded("DTEND") == deadline.due + timedelta(days=1)
        section = deadline.reference.split(" (")[0]
        assert section.startswith("Guide §")
        assert section in text(event, "SUMMARY") and deadline.what in text(event, "SUMMARY")
        description = text(event, "DESCRIPTION")
        for told in (deadline.rule, deadline.reference, deadline.edition, deadline.explanation):
            assert told in description
    # §3.5.1: the dossier, a month before the visit's first day (10 March 2026)
    dossier = feed["mairie-exemple.cycle1.audit1.dossier@spplus"]
    assert dossier.decoded("DTSTART") == date(2026, 2, 10) and "Guide §3.5.1" in text(dossier, "SUMMARY")


def test_a_new_download_or_a_postponement_updates_the_same_events(rules, calendar_for):
    d = planned(rules, calendar_for)
    first = by_uid(calendar_of([cycle_view(d.state)], now=STAMP))
    later = datetime(2026, 1, 13, 8, 0, tzinfo=timezone.utc)
    again = by_uid(calendar_of([cycle_view(d.state)], now=later))
    assert first.keys() == again.keys()  # same events, stamped anew
    assert all(event.decoded("DTSTAMP") == later for event in again.values())

    d.send(audit_dates(VISIT_START + timedelta(days=14), VISIT_END + timedelta(days=14), sites=["hdv"]))  # postponed
    moved = by_uid(calendar_of([cycle_view(d.state)], now=later))
    uid = "mairie-exemple.cycle1.audit1.visit@spplus"
    assert moved[uid].decoded("DTSTART") == date(2026, 3, 24) and moved[uid].decoded("DTEND") == date(2026, 3, 26)
    assert moved[uid].decoded("SEQUENCE") == 1 > first[uid].decoded("SEQUENCE")
    dossier = "mairie-exemple.cycle1.audit1.dossier@spplus"
    assert moved[dossier].decoded("DTSTART") == date(2026, 2, 24) != first[dossier].decoded("DTSTART")
    assert first.keys() <= moved.keys()  # moved, not added: one event per UID (strict_check), the same UIDs
    strict_check(calendar_of([cycle_view(d.state)], now=later))


def test_a_decided_audit_leaves_no_visit_and_only_open_deadlines(rules, calendar_for):
    d = labelled(rules, calendar_for)  # decided on 1 April 2026
    view = cycle_view(d.state)
    assert view.current_audit is None
    feed = by_uid(calendar_of([view], now=STAMP))
    assert not any(".visit@" in uid for uid in feed)
    assert not any(".audit1." in uid for uid in feed)  # the audit's deadlines were met: closed, not listed
    assert len(feed) == len(view.open_deadlines)
    expiry = feed["mairie-exemple.label-expiry.2029-04-01@spplus"]
    assert expiry.decoded("DTSTART") == DECIDED.replace(year=2029)
    strict_check(calendar_of([view], now=STAMP))


def test_several_cycles_give_distinct_events_and_one_feed(rules, calendar_for):
    views = [cycle_view(planned(rules, calendar_for).state),
             cycle_view(planned(rules, calendar_for, id="mairie-voisine", name="Mairie voisine", territory="moselle").state),
             cycle_view(labelled(rules, calendar_for, id="mairie-labellisee").state)]
    feed = calendar_of(views, now=STAMP)
    vevents = strict_check(feed)  # UIDs unique across the feed
    assert len(vevents) == sum(len(v.open_deadlines) + (v.current_audit is not None) for v in views)
    uids = by_uid(feed)
    assert "mairie-voisine.cycle1.audit1.visit@spplus" in uids and "mairie-exemple.cycle1.audit1.visit@spplus" in uids
    assert calendar_of([], now=STAMP).count(b"BEGIN:VEVENT") == 0


def test_now_is_written_in_utc_whatever_its_zone(rules, calendar_for):
    view = cycle_view(planned(rules, calendar_for).state)
    noumea = datetime(2026, 1, 12, 20, 30, 15, 999, tzinfo=ZoneInfo("Pacific/Noumea"))  # UTC+11
    for event in events(calendar_of([view], now=noumea)):
        assert event.decoded("DTSTAMP") == STAMP.replace(second=15)
    assert b"DTSTAMP:20260112T093015Z\r\n" in calendar_of([view], now=noumea)
    assert b"DTSTAMP:20260112T093000Z\r\n" in calendar_of([view], now=datetime(2026, 1, 12, 9, 30))  # naive: UTC
    with freeze_time("2026-06-30 23:59:59"):
        assert b"DTSTAMP:20260630T235959Z\r\n" in calendar_of([view])


def hostile(view: CycleView) -> CycleView:
    """Names as a caller could type them (the API's own limits aside): RFC 5545's special characters,
    control characters, a lone surrogate, long non-ASCII text that must be folded between characters."""
    sites = [site.model_copy(update={"name": name}) for site, name in
             zip(view.candidate.sites, ["Hôtel de ville; salle 2, rez-de-chaussée\\", "Annexe\x07 nord\r\n\ud800 🏛️"])]
    candidate = view.candidate.model_copy(update={"name": "Mairie d’Été, « 𝓢ervices »; " + "é" * 120 + "\t\x00fin",
                                                  "sites": sites})
    return view.model_copy(update={"candidate": candidate})


def test_special_characters_and_long_names_stay_valid_text(rules, calendar_for):
    view = hostile(cycle_view(planned(rules, calendar_for).state))
    feed = calendar_of([view], now=STAMP)
    strict_check(feed)
    visit = by_uid(feed)["mairie-exemple.cycle1.audit1.visit@spplus"]
    assert text(visit, "SUMMARY").startswith("Mairie d’Été, « 𝓢ervices »; " + "é" * 120)  # read back whole
    assert "Hôtel de ville; salle 2, rez-de-chaussée\\" in text(visit, "LOCATION")  # escaped, then unescaped


@pytest.fixture
def strict_parser():
    """`ical` (pydantic models of RFC 5545) refuses what `icalendar` lets through."""
    from ical import calendar_stream as stream
    return stream.IcsCalendarStream


def test_the_strict_ical_parser_reads_every_event_as_written(rules, calendar_for, strict_parser):
    views = [cycle_view(planned(rules, calendar_for).state), hostile(cycle_view(labelled(rules, calendar_for, id="autre").state))]
    feed = calendar_of(views, now=STAMP)
    parsed = strict_parser.calendar_from_ics(feed.decode("utf-8"))
    ours = by_uid(feed)
    assert {e.uid for e in parsed.events} == ours.keys()
    for event in parsed.events:
        assert event.dtstamp == STAMP  # read from the feed, not the parser's default (its clock)
        assert event.dtstart == ours[event.uid].decoded("DTSTART") and event.end > event.start
