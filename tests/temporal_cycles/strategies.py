"""Hypothesis strategies for what a caller may send a cycle: every event type, well-formed or hostile.

Every field of every event is described by a pair ``F(valid, hostile)``. An event is then drawn
(``events``) as, in this order, so that shrinking goes from the last kinds to the first:

1. well-formed: every field valid (so some events are applied and the cycle moves on);
2. one hostile field, the others valid (the hostile value reaches as deep as it can);
3. every field valid or hostile at random;
4. misshapen: a field left out, a field too many, an unknown type, not an object.

Hostile values: strings with lone surrogates, NUL and control characters, unicode tricks and a few
hundred KB of text; numbers huge, tiny, negative, NaN/Infinity, booleans where ints are expected,
Decimals and digit strings longer than a float holds; dates in year 1, in 9999 and in the years
after the calendar a cycle pins at its opening (its year + 5), dates written another way; survey
CSVs read in the wrong encoding.

Dates are drawn relative to ``today`` (the cycles' UTC date), so a fixed seed gives the same
examples, shifted, on every day the suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .steps import DOSSIER, one_day_cycle

SITES = ["hdv", "annexe"]  # the sites of conftest.new_candidate
TIERS = ["bronze", "argent", "or"]
SUSPENSION_REASONS = ["no-action-plan", "repeated-postponements", "audit-refused", "mark-misuse", "own-request"]
WITHDRAWAL_REASONS = ["followup-not-done", "suspension-not-lifted", "mark-rules-broken", "no-renewal"]
APPEAL_OUTCOMES = ["upheld", "dismissed"]
DOMAINS = ["general-reception", "everyday-procedures", "social-action", "other"]
ANSWERS = ["Pas du tout d'accord", "Plutôt pas d'accord", "Plutôt d'accord", "Tout à fait d'accord", "0", "0,25",
           "0.75", "1", "NC", "Non concerné / ne se prononce pas", ""]
TERRITORIES = ["metropole", "moselle", "alsace-moselle", "guadeloupe", "la-reunion", "nouvelle-caledonie",
               "polynesie-francaise", "wallis-et-futuna"]
EVENT_TYPES = ["self_assessment", "survey", "audit_dates", "dossier", "complements_requested", "audit_plan", "visit",
               "report", "observations", "decision", "action_plan", "suspension", "suspension_lifted", "withdrawal",
               "renewal", "perimeter_extension", "appeal", "appeal_decision", "rules_edition_change"]

# ------------------------------------------------------------------------------------- hostile values
HOSTILE_TEXTS = [
    "\udcff", "a\udcffb", "\ud800", "\udfff\ud800", "\x00", "nul\x00byte", "\x01\x02\x7f\x9b", "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c", "\ufeff", "\u200b", "e\u0301", "\U0001d54f", "🇫🇷👩‍👩‍👧", "\uffff", "\U0010ffff", "\r\n", "\n",
    "\t", " ", "", "' OR '1'='1", "<script>alert(1)</script>", "${jndi:ldap://x/a}", "{{7*7}}", "%s%s%n",
    "../../../etc/passwd", "null", "None", "NaN", "-1", "1e308", "\\", '"', "cycle-x", "ß" * 3, "İ",
]
# Units repeated up to a size in bytes (UTF-8; a lone surrogate counted as 3 bytes).
LONG_UNITS = ["x", "é", "\udcff", "\x00", "🇫🇷", "a;b,c\n", "\u202e"]
LONG_SIZES = [5_000, 70_000, 300_000]


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode("utf-8", "surrogatepass")))


long_texts = st.builds(_repeat, st.sampled_from(LONG_UNITS), st.sampled_from(LONG_SIZES))
# Every code point, lone surrogates and control characters included (st.text leaves surrogates out).
any_characters = st.characters(codec=None, categories=None)
hostile_texts = st.one_of(st.sampled_from(HOSTILE_TEXTS), st.text(any_characters, max_size=30), long_texts)

HOSTILE_NUMBERS = [
    0, -1, -(10**30), 10**30, 2**63, 2**64 + 1, 10**400, 1e308, -1e308, 5e-324, 1e-30, -0.0, 0.1 + 0.2,
    float("nan"), float("inf"), float("-inf"), True, False, None,
    Decimal("49.99999999999999999"), Decimal("49.999999999999999999999999999999999999"), Decimal("1E+400"),
    Decimal("1E-400"), Decimal("-0"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
    "80", "80.5", "1e5", " 12 ", "٣", "١٠٠", "1_000", "0x10", "", "NaN", "Infinity", "9" * 5000, [], {}, "\udcff",
]
hostile_numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
)
anything = st.one_of(hostile_texts, hostile_numbers)

HOSTILE_DATE_TEXTS = ["2026-13-01", "2026-02-30", "30/11/2026", "2026/11/30", "", "0000-00-00", "10000-01-01",
                      "-0001-01-01", "today", "2026-W48-1", "2026-11-30T00:00:00Z", "2026-11-30T23:59:59+14:00",
                      "\udcff", "2026-11-30\x00", " 2026-11-30"]


def beyond_calendar(today: date) -> st.SearchStrategy[date]:
    """A day of the 1st to 4th year after the calendar a cycle opened today pins (today's year + 5)."""
    return st.builds(lambda years, day: date(today.year + 5 + years, 1, 1) + timedelta(days=day),
                     st.integers(1, 4), st.integers(0, 364))


def far_dates(today: date) -> st.SearchStrategy[date]:
    """Real dates the rules or the calendar may not speak about."""
    return st.one_of(
        st.sampled_from([date(1, 1, 1), date(9999, 12, 31), date(1970, 1, 1), date(2023, 8, 30), date(2023, 8, 31),
                         date(today.year + 5, 12, 31), date(today.year + 6, 1, 1), date(today.year - 2, 12, 31)]),
        beyond_calendar(today), st.dates(),
    )


def hostile_dates(today: date) -> st.SearchStrategy[Any]:
    return st.one_of(far_dates(today), st.sampled_from(HOSTILE_DATE_TEXTS), st.integers(), hostile_numbers)


def past(today: date, days: int) -> st.SearchStrategy[date]:
    """A date at most ``days`` before today (a fact that has happened)."""
    return st.integers(0, days).map(lambda d: today - timedelta(days=d))


def decimal_in(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """A number in [lo, hi] as an int, a float or a Decimal (the ways a caller writes a score)."""
    return st.one_of(st.integers(lo, hi), st.decimals(min_value=lo, max_value=hi, places=2),
                     st.floats(min_value=lo, max_value=hi, allow_nan=False))


def field(valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid (listed first, so shrinking goes there), sometimes hostile."""
    return st.one_of(valid, valid, valid, hostile)


# ------------------------------------------------------------------------------------- fields
OMIT = object()  # an optional field left out


@dataclass(frozen=True)
class F:
    """A field: how a well-formed value is drawn, and how a hostile one is."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any]

    def mixed(self) -> st.SearchStrategy[Any]:
        return field(self.valid, self.hostile)


def optional(f: F, nullable: bool = True) -> F:
    """A field that may be left out (or null, when the model allows null)."""
    absent = st.sampled_from([OMIT, None]) if nullable else st.just(OMIT)
    return F(st.one_of(absent, f.valid), f.hostile if nullable else st.one_of(st.none(), f.hostile))


def text_field(valid: st.SearchStrategy[str] | None = None) -> F:
    short = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)
    return F(valid if valid is not None else st.one_of(st.sampled_from(["C. Durand", "Mairie de Rive"]), short), anything)


def choice(choices: list[Any]) -> F:
    """An id from the rules' list, or anything else."""
    return F(st.sampled_from(choices), anything)


def id_list(choices: list[str]) -> F:
    return F(st.lists(st.sampled_from(choices), min_size=1, max_size=len(choices), unique=True), st.one_of(
        st.lists(st.one_of(st.sampled_from(choices), hostile_texts), max_size=5),
        st.builds(lambda n: [choices[0]] * n, st.sampled_from([1_000, 50_000])),
        st.just([]), anything))


def number(lo: int, hi: int) -> F:
    return F(st.integers(lo, hi), hostile_numbers)


def score() -> F:
    return F(decimal_in(0, 100), hostile_numbers)


def without_omitted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_omitted(v) for k, v in value.items() if v is not OMIT}
    if isinstance(value, list):
        return [without_omitted(v) for v in value if v is not OMIT]
    return value


def record(fields: dict[str, F], **constant: Any) -> F:
    """An object of these fields: valid, with one hostile field, or with any mix; then its left-out fields dropped."""
    names = sorted(fields)
    base = {k: st.just(v) for k, v in constant.items()}
    valid = st.fixed_dictionaries({**base, **{k: f.valid for k, f in fields.items()}})
    one_hostile = st.sampled_from(names).flatmap(lambda name: st.fixed_dictionaries(
        {**base, **{k: (f.hostile if k == name else f.valid) for k, f in fields.items()}}))
    mixed = st.fixed_dictionaries({**base, **{k: f.mixed() for k, f in fields.items()}})
    return F(valid.map(without_omitted), st.one_of(one_hostile, mixed).map(without_omitted))


# ------------------------------------------------------------------------------------- survey CSVs
def _csv(kind: str, rows: list[list[str]], completed: list[str], delimiter: str, newline: str) -> str:
    columns = ["termine"] + [f"Q{n}" for n in range(1, (15 if kind == "user" else 11) + 1)]
    lines = [delimiter.join(columns)]
    for answers, done in zip(rows, completed):
        cells = [done] + [answers[i % len(answers)] for i in range(len(columns) - 1)]
        lines.append(delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in cells))
    return newline.join(lines) + newline


def _encoded(text: str, how: str) -> str:
    """The CSV as it may arrive after a wrong decoding somewhere along the way."""
    if how == "bom":
        return "\ufeff" + text
    if how == "utf16-read-as-latin1":
        return text.encode("utf-16").decode("latin-1")
    if how == "utf8-read-as-cp1252":
        return text.encode("utf-8").decode("cp1252", errors="replace")
    if how == "latin1-read-as-utf8":  # the undecodable bytes kept as lone surrogates (surrogateescape)
        return text.encode("latin-1", errors="replace").decode("utf-8", errors="surrogateescape")
    if how == "mac-newlines":
        return text.replace("\n", "\r")
    return text


def survey_csv(kind: str, encodings: list[str]) -> st.SearchStrategy[str]:
    rows = st.integers(0, 60).flatmap(lambda n: st.builds(
        _csv, st.just(kind),
        st.lists(st.lists(st.sampled_from(ANSWERS), min_size=1, max_size=4), min_size=n, max_size=n),
        st.lists(st.sampled_from(["oui", "Oui", "1", "non", ""]), min_size=n, max_size=n),
        st.sampled_from([";", ","]), st.sampled_from(["\n", "\r\n"])))
    return st.builds(_encoded, rows, st.sampled_from(encodings))


def csv_field(kind: str) -> F:
    odd = ["utf16-read-as-latin1", "utf8-read-as-cp1252", "latin1-read-as-utf8", "mac-newlines"]
    return F(survey_csv(kind, ["utf-8", "bom"]), st.one_of(
        survey_csv(kind, odd), hostile_texts,
        st.builds(lambda row, n: "termine;Q1\n" + row * n,
                  st.sampled_from(["oui;1\n", "oui;\udcff\n", '"oui;1\n', "\x00\n"]), st.sampled_from([1, 1_000, 30_000])),
        st.sampled_from(["", "\n", ";;;;", '"', "termine", "termine\x00;Q1\noui;1", "\ufeff\ufeff"])))


# ------------------------------------------------------------------------------------- events
def scores_field() -> F:
    shares = F(st.lists(st.sampled_from([0, 0.25, 0.75, 1, "0.25", Decimal("0.75")]), min_size=1, max_size=6),
               st.one_of(st.lists(st.one_of(st.sampled_from([0, 1]), hostile_numbers), max_size=6),
                         st.builds(lambda n: [1] * n, st.sampled_from([0, 20_000])), anything))
    engagements = record({str(n): score() for n in range(1, 9)})
    by_engagement = record({"engagements": engagements, "gold_criteria": optional(score())})
    by_points = record({"control_points": record({str(n): shares for n in range(1, 9)}),
                        "gold_control_points": optional(shares)})
    strange = st.one_of(
        st.dictionaries(st.one_of(st.sampled_from(["0", "9", "-1", "1e3", "١", " 1", "true", str(10**30), "\udcff"]),
                                  st.text(max_size=5)), hostile_numbers, max_size=9).map(lambda e: {"engagements": e}),
        st.builds(lambda e, c: {"engagements": e, "control_points": c}, engagements.valid, by_points.valid),
        anything)
    return F(st.one_of(by_engagement.valid, by_points.valid), st.one_of(by_engagement.hostile, by_points.hostile, strange))


def site_field() -> F:
    site = record({"id": F(st.builds(lambda n: f"site-{n}", st.integers(0, 99)), st.one_of(st.sampled_from(SITES), anything)),
                   "name": text_field(), "domains": optional(id_list(DOMAINS), nullable=False)})
    return F(st.lists(site.valid, min_size=1, max_size=2, unique_by=lambda s: s["id"]),
             st.one_of(st.lists(st.one_of(site.valid, site.hostile), max_size=3), anything))


@dataclass(frozen=True)
class VisitLength:
    """visit_end written as a length, made a date once visit_start is drawn (a visit of one to four days)."""

    days: int


def _visit_end(event: dict[str, Any], today: date) -> dict[str, Any]:
    if isinstance(event.get("visit_end"), VisitLength):
        start = event.get("visit_start")
        event = {**event, "visit_end": (start if isinstance(start, date) else today) + timedelta(days=event["visit_end"].days)}
    return event


def event_fields(today: date) -> dict[str, list[dict[str, F]]]:
    """The fields of each event type (survey twice: the summary, and the raw CSV), as in spplus/lifecycle/events.py."""
    # A fact's date: mostly today (the stages' events are all dated today, so it is then in order).
    day = F(st.one_of(st.just(today), st.just(today), past(today, 30), past(today, 400)), hostile_dates(today))
    # Audit dates: within a year, or after the years the cycle's calendar holds.
    ahead = F(st.one_of(st.integers(0, 400).map(lambda n: today + timedelta(days=n)), beyond_calendar(today)),
              hostile_dates(today))
    return {
        "self_assessment": [{"done_on": day, "global_result": optional(score())}],
        "survey": [
            {"kind": choice(["user", "agent"]), "closed_on": day, "solicited": number(1, 5_000),
             "summary": record({"note": score(), "admissible": number(0, 400)})},
            *[{"kind": F(st.just(kind), anything), "closed_on": day, "solicited": number(1, 2_000), "csv": csv_field(kind)}
              for kind in ("user", "agent")],
        ],
        "audit_dates": [{"audit": choice(["initial", "followup"]), "visit_start": ahead,
                         "visit_end": F(st.integers(0, 3).map(VisitLength), hostile_dates(today)), "sites": id_list(SITES)}],
        "dossier": [{"received_on": day, "contents": id_list(DOSSIER)}],
        "complements_requested": [{"requested_on": day, "items": id_list(DOSSIER)}],
        "audit_plan": [{"sent_on": day, "auditors": F(st.lists(text_field().valid, min_size=1, max_size=3),
                                                      st.one_of(st.lists(anything, max_size=3), anything))}],
        "visit": [{"scores": scores_field()}],
        "report": [{"sent_on": day, "received_on": day}],
        "observations": [{"received_on": day, "text": text_field()}],
        "decision": [{"decided_on": day, "tier": F(st.sampled_from([*TIERS, None]), anything),
                      "reason": optional(text_field())}],
        "action_plan": [{"received_on": day}],
        "suspension": [{"reason": choice(SUSPENSION_REASONS), "effective": day, "note": optional(text_field())}],
        "suspension_lifted": [{"effective": day}],
        "withdrawal": [{"reason": choice(WITHDRAWAL_REASONS), "effective": day, "note": optional(text_field())}],
        "renewal": [{"requested_on": day, "contract_signed": day,
                     "certification_body": optional(text_field(st.sampled_from(["oc-props", "oc-other"])))}],
        "perimeter_extension": [{"requested_on": day, "sites": site_field(),
                                 "domains": optional(F(st.just([]), id_list(DOMAINS).hostile), nullable=False),
                                 "agents_added": number(0, 500),
                                 "new_cycle": optional(F(st.booleans(), hostile_numbers), nullable=False)}],
        "appeal": [{"lodged_on": day, "grounds": text_field()}],
        "appeal_decision": [{"decided_on": day, "outcome": choice(APPEAL_OUTCOMES),
                             "tier": optional(F(st.sampled_from(TIERS), anything))}],
        "rules_edition_change": [{"edition": text_field(st.sampled_from(["proposal-1", "2023-08-31"])),
                                  "reason": text_field()}],
    }


def events(today: date, type_: str | None = None) -> st.SearchStrategy[Any]:
    """One event of ``type_`` (any type of the CycleEvent union when None): well-formed, with one hostile
    field, with any mix, or misshapen — in that order, so shrinking goes towards a well-formed event."""
    shapes = [record(fields, type=name) for name, variants in event_fields(today).items()
              if type_ in (None, name) for fields in variants]
    well_formed = st.one_of(*[s.valid for s in shapes]).map(lambda e: _visit_end(e, today))
    hostile = st.one_of(*[s.hostile for s in shapes]).map(lambda e: _visit_end(e, today))
    return st.one_of(well_formed, well_formed, hostile, hostile, hostile.flatmap(misshapen))


def misshapen(event: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The same event with a field left out, a field too many, another type, or not an object at all."""
    keys = sorted(k for k in event if k != "type")
    variants: list[st.SearchStrategy[Any]] = [
        st.builds(lambda k, v: {**event, k: v}, st.sampled_from(["extra", "event_id", "actor", "__proto__", "\udcff"]), anything),
        st.builds(lambda t: {**event, "type": t}, st.one_of(
            st.sampled_from(["", "Visit", "visit ", "central_visit", "rules_edition_change"]), hostile_texts)),
        st.sampled_from([None, [], "visit", 42, [event]]),
    ]
    if keys:
        variants.append(st.sampled_from(keys).map(lambda k: {key: v for key, v in event.items() if key != k}))
    return st.one_of(*variants)


# ------------------------------------------------------------------------------------- where the cycle stands
def stages(today: date) -> dict[str, list[dict[str, Any]]]:
    """Well-formed events that bring a fresh cycle to each phase, so every event type meets a state it can apply to."""
    day = today.isoformat()
    path = one_day_cycle(day)
    labelled = path[:10]
    return {
        "preparation": [],
        "prerequisites": path[:3],
        "dates set": path[:4],
        "dossier and plan": path[:6],
        "visited": path[:7],
        "reported": path[:8],
        "observed": path[:9],
        "labelled": labelled,
        "refused": path[:9] + [{"type": "decision", "decided_on": day, "tier": None, "reason": "refused for the test"}],
        "suspended": labelled + [{"type": "suspension", "reason": "own-request", "effective": day}],
        "appealed": labelled + [{"type": "appeal", "lodged_on": day, "grounds": "the visit missed a site"}],
        "extension pending": labelled + [{"type": "perimeter_extension", "requested_on": day, "agents_added": 3,
                                          "sites": [{"id": "gare", "name": "Gare"}]}],
    }


# Where each event type can be applied (the first stage is tried first), so that its handler runs, not
# only its validator; any other stage is drawn too, where the event is to be refused.
APPLIES_AT = {
    "self_assessment": ["preparation", "labelled"],
    "survey": ["preparation", "prerequisites", "labelled"],
    "audit_dates": ["prerequisites", "dates set", "labelled", "extension pending"],
    "dossier": ["dates set", "dossier and plan"],
    "complements_requested": ["dossier and plan"],
    "audit_plan": ["dates set"],
    "visit": ["dossier and plan"],
    "report": ["visited"],
    "observations": ["reported"],
    "decision": ["observed"],
    "action_plan": ["suspended", "labelled"],
    "suspension": ["labelled"],
    "suspension_lifted": ["suspended"],
    "withdrawal": ["labelled", "suspended"],
    "renewal": ["labelled"],
    "perimeter_extension": ["labelled"],
    "appeal": ["labelled", "refused"],
    "appeal_decision": ["appealed"],
    "rules_edition_change": ["preparation", "labelled"],
}


def stage_for(type_: str, today: date) -> st.SearchStrategy[str]:
    """A stage where ``type_`` applies (mostly), or any stage."""
    applies = st.sampled_from(APPLIES_AT[type_])
    return st.one_of(applies, applies, applies, st.sampled_from(sorted(stages(today))))


# ------------------------------------------------------------------------------------- candidacies
def candidates(today: date, body: str) -> st.SearchStrategy[dict[str, Any]]:
    """A candidacy as POST /cycles receives it, less its id (set by the test, unique per example)."""
    site = record({"id": F(st.sampled_from(SITES), anything), "name": text_field(),
                   "domains": optional(id_list(DOMAINS), nullable=False)})
    sites = F(st.lists(site.valid, min_size=1, max_size=2, unique_by=lambda s: s["id"]),
              st.one_of(st.lists(st.one_of(site.valid, site.hostile), max_size=3), anything))
    authority = record({"type": choice(["commune", "epci", "region", "special-status"]), "domains": id_list(DOMAINS)})
    candidacy = record({
        "name": text_field(), "sites": sites, "agents_in_contact": number(1, 500),
        "territory": F(st.sampled_from(TERRITORIES),
                       st.one_of(st.sampled_from(["narnia", "Moselle", "METROPOLE", "metropole ", ""]), anything)),
        "contract_signed": F(st.one_of(st.just(today), past(today, 300)), hostile_dates(today)),
        "authority": optional(F(st.nothing(), authority.hostile)),
        "network": optional(F(st.nothing(), anything)),
    }, certification_body=body)
    return st.one_of(candidacy.valid, candidacy.hostile, candidacy.hostile.flatmap(misshapen))
