"""Checks across values that a schema alone cannot make: a rule set that contradicts itself is refused.

Each check yields ``(file, path, message)``; the loader turns the path into a line and column.
Each check reads only the files it names in :data:`CHECKS`, so the loader runs every check whose
files were read and validated: a broken file holds back only the checks that need it.
"""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel

from .models import (
    Anchor, CalendarsFile, CentralFile, Dated, DeadlinesFile, EngagementsFile, PerimetersFile, ProceduresFile, RuleSet,
    SurveysFile, TiersFile,
)

Problem = tuple[str, tuple[Any, ...], str]

# The reasons and outcomes the engine itself acts upon: the rule files name them, the engine must find them.
ENGINE_VOCABULARY = {
    "suspension_reasons": {"no-action-plan", "repeated-postponements", "audit-refused", "mark-misuse", "own-request"},
    "withdrawal_reasons": {"followup-not-done", "suspension-not-lifted", "mark-rules-broken", "no-renewal"},
    "appeal_outcomes": {"upheld", "dismissed"},
}


def check_rule_set(rules: RuleSet) -> list[Problem]:
    """Every check, on a whole edition."""
    files = {f"{name}.yaml": getattr(rules, name) for name in type(rules).model_fields if name != "content_hash"}
    return check_files({name: value for name, value in files.items() if value is not None})


def check_files(files: Mapping[str, BaseModel]) -> list[Problem]:
    """Every check whose files are all in ``files`` (by file name, as read and validated); the others are skipped."""
    return [
        problem
        for needs, check in CHECKS
        if all(name in files for name in needs)
        for problem in check(*(files[name] for name in needs))
    ]


def _entries(dated: Dated[Any]) -> Iterator[tuple[date, Any]]:
    for start, entry in sorted(dated.values.items()):
        yield start, entry.value


def _duplicates(items: list[Any], attr: str) -> Iterator[tuple[int, Any]]:
    counts = Counter(getattr(item, attr) for item in items)
    seen: set[Any] = set()
    for index, item in enumerate(items):
        value = getattr(item, attr)
        if counts[value] > 1 and value in seen:
            yield index, value
        seen.add(value)


def _tiers(tiers_file: TiersFile) -> Iterator[Problem]:
    for start, tiers in _entries(tiers_file.tiers):
        base = ("tiers", "values", start, "value")
        for index, tier_id in _duplicates(tiers, "id"):
            yield "tiers.yaml", base + (index, "id"), f"tier {tier_id!r} is declared twice"
        for index in range(1, len(tiers)):
            lower, higher = tiers[index - 1], tiers[index]
            for name in ("audit_per_engagement", "agent_survey", "user_survey", "gold_criteria"):
                low, high = getattr(lower, name), getattr(higher, name)
                if low is not None and high is None:
                    yield (
                        "tiers.yaml", base + (index, name),
                        f"{higher.id}.{name} is null but the lower tier {lower.id} requires {low}; tiers are listed lowest first and each asks at least as much as the one below",
                    )
                elif low is not None and high is not None and high < low:
                    yield (
                        "tiers.yaml", base + (index, name),
                        f"{higher.id}.{name} ({high}) is below {lower.id}.{name} ({low}); tiers are listed lowest first and each asks at least as much as the one below",
                    )


def _engagements(engagements_file: EngagementsFile) -> Iterator[Problem]:
    for start, engagements in _entries(engagements_file.engagements):
        base = ("engagements", "values", start, "value")
        for index, number in _duplicates(engagements, "number"):
            yield "engagements.yaml", base + (index, "number"), f"engagement {number} is declared twice"
        numbers = sorted(e.number for e in engagements)
        if numbers != list(range(1, len(numbers) + 1)):
            yield "engagements.yaml", base, f"engagements must be numbered 1 to {len(numbers)} without gaps, got {numbers}"


def _surveys(surveys: SurveysFile) -> Iterator[Problem]:
    for start, scale in _entries(surveys.scale):
        base = ("scale", "values", start, "value")
        both = set(scale.points) & set(scale.neutral)
        for text in sorted(both):
            yield "surveys.yaml", base + ("neutral",), f"{text!r} is both a scored answer and a neutral one"
        for text in sorted(set(scale.unanswered) & (set(scale.points) | set(scale.neutral))):
            yield "surveys.yaml", base + ("unanswered",), f"{text!r} cannot mean 'no answer' and be an answer"

    for start, user in _entries(surveys.user):
        base = ("user", "values", start, "value")
        yield from _question_ids("surveys.yaml", base, user.questions)
        overall = [q for q in user.questions if q.engagement is None]
        if len(overall) != 1:
            yield "surveys.yaml", base + ("questions",), f"the user survey needs exactly one overall-satisfaction question (engagement: null), found {len(overall)}"

    for start, agent in _entries(surveys.agent):
        base = ("agent", "values", start, "value")
        yield from _question_ids("surveys.yaml", base, agent.questions)
        bands = agent.bands
        for index, band in enumerate(bands):
            if band.max_agents is not None and band.max_agents < band.min_agents:
                yield "surveys.yaml", base + ("bands", index, "max_agents"), f"band ends ({band.max_agents}) before it starts ({band.min_agents})"
            if band.max_agents is None and index != len(bands) - 1:
                yield "surveys.yaml", base + ("bands", index, "max_agents"), "only the last band may be open-ended (max_agents: null)"
            if index:
                previous = bands[index - 1]
                if previous.max_agents is not None and band.min_agents <= previous.max_agents:
                    yield "surveys.yaml", base + ("bands", index, "min_agents"), f"band starting at {band.min_agents} overlaps the band {previous.min_agents}–{previous.max_agents}; list bands in order, without overlap"
                elif previous.max_agents is not None and band.min_agents > previous.max_agents + 1:
                    yield "surveys.yaml", base + ("bands", index, "min_agents"), f"headcounts {previous.max_agents + 1}–{band.min_agents - 1} fall in no band"
        if bands and bands[0].min_agents > 1:
            yield "surveys.yaml", base + ("bands", 0, "min_agents"), f"headcounts 1–{bands[0].min_agents - 1} fall in no band; the first band starts at 1 (or 0)"
        if bands and bands[-1].max_agents is not None:
            yield "surveys.yaml", base + ("bands", len(bands) - 1, "max_agents"), "the last band must be open-ended (max_agents: null) so every headcount has a band"


def _user_survey_engagements(surveys: SurveysFile, engagements_file: EngagementsFile) -> Iterator[Problem]:
    """The user survey scores each engagement in force, and only those."""
    for start, user in _entries(surveys.user):
        base = ("user", "values", start, "value")
        try:
            engagements = {e.number for e in engagements_file.engagements.at(start)}
        except LookupError:
            yield "surveys.yaml", base, f"no engagements are in force on {start} for the user survey to score"
            continue
        for index, question in enumerate(user.questions):
            if question.engagement is not None and question.engagement not in engagements:
                yield "surveys.yaml", base + ("questions", index, "engagement"), f"engagement {question.engagement} does not exist on {start}"
        missing = sorted(engagements - {q.engagement for q in user.questions})
        if missing:
            yield "surveys.yaml", base + ("questions",), f"no user-survey question scores engagement(s) {missing}"


def _question_ids(file: str, base: tuple[Any, ...], questions: list[Any]) -> Iterator[Problem]:
    for index, value in _duplicates(questions, "id"):
        yield file, base + ("questions", index, "id"), f"question id {value!r} is used twice"
    for index, value in _duplicates(questions, "column"):
        yield file, base + ("questions", index, "column"), f"CSV column {value!r} is mapped twice"


def _calendars(calendars: CalendarsFile) -> Iterator[Problem]:
    import holidays  # the loader runs outside workflows; the library checks the codes it knows

    for start, territories in _entries(calendars.territories):
        base = ("territories", "values", start, "value")
        for index, value in _duplicates(territories, "id"):
            yield "calendars.yaml", base + (index, "id"), f"territory {value!r} is declared twice"
        for index, territory in enumerate(territories):
            source = territory.holidays
            try:
                cls = holidays.country_holidays(source.country).__class__
            except NotImplementedError:
                yield "calendars.yaml", base + (index, "holidays", "country"), f"the holidays library has no country {source.country!r}"
                continue
            known = set(getattr(cls, "subdivisions", ())) | set(getattr(cls, "subdivisions_aliases", {}))
            if source.subdivision is not None and source.subdivision not in known:
                yield "calendars.yaml", base + (index, "holidays", "subdivision"), f"the holidays library has no subdivision {source.subdivision!r} for {source.country}; known: {', '.join(sorted(cls.subdivisions))}"
    for start, weekend in _entries(calendars.weekend):
        if len(set(weekend)) != len(weekend) or len(weekend) >= 7:
            yield "calendars.yaml", ("weekend", "values", start, "value"), "the weekend lists each day once and leaves working days"
    yield from _time_zones(calendars)


@functools.cache
def _known_time_zones() -> frozenset[str]:
    import zoneinfo  # the tz database of the OS, or the `tzdata` package

    return frozenset(zoneinfo.available_timezones())


def _time_zones(calendars: CalendarsFile) -> Iterator[Problem]:
    """Each time zone is one the tz database knows, and every territory has one whenever it is listed."""
    if calendars.time_zones is None:
        # (A file without the key is refused by the schema; this is `time_zones: null`.)
        yield "calendars.yaml", ("time_zones",), "time_zones: every territory needs its IANA time zone, e.g. metropole: Europe/Paris"
        return
    known = _known_time_zones()
    territory_ids = {t.id for _, territories in _entries(calendars.territories) for t in territories}
    for start, zones in _entries(calendars.time_zones):
        base = ("time_zones", "values", start, "value")
        for territory_id, name in zones.items():
            if territory_id not in territory_ids:
                yield "calendars.yaml", base + (territory_id, "[key]"), f"time zone for an unknown territory {territory_id!r}; the territories are listed under territories"
            if name not in known:
                hint = difflib.get_close_matches(name, sorted(known), n=1)
                suggestion = f"did you mean {hint[0]!r}?" if hint else "write an IANA name such as 'Europe/Paris' or 'Pacific/Noumea'"
                yield "calendars.yaml", base + (territory_id,), f"unknown time zone {name!r} for {territory_id}; {suggestion}"
    # Every territory in force on a day has a time zone in force that day: checked on each day either rule changes.
    missing: dict[tuple[Any, ...], list[str]] = {}
    for day in sorted(set(calendars.territories.values) | set(calendars.time_zones.values)):
        try:
            territories = calendars.territories.at(day)
        except LookupError:
            continue
        try:
            zones_start, zones = calendars.time_zones.entry_at(day)
            where: tuple[Any, ...] = ("time_zones", "values", zones_start, "value")
            zones_value = zones.value
        except LookupError:
            where, zones_value = ("time_zones",), {}
        for territory in territories:
            if territory.id not in zones_value and territory.id not in missing.setdefault(where, []):
                missing[where].append(territory.id)
    for where, ids in missing.items():
        if ids:
            yield "calendars.yaml", where, f"no time zone for territory(ies) {', '.join(ids)}; every territory needs one"


def _written(file: str, model: BaseModel, key: str, example: str) -> Iterator[Problem]:
    """A key that histories from before it may lack, written `key: null` in a rule file (a file without the key
    is refused by the model)."""
    if getattr(model, key) is None:
        yield file, (key,), f"{key}: a rule file gives it dated values, e.g. {example}"


def _central(central: CentralFile) -> Iterator[Problem]:
    yield from _written("central.yaml", central, "followup_lower_majority", "keep_held_tier (Guide §3.9.2, Open)")


# The fact of a cycle the engine counts each delay from (the event it passes to `delay_date`). A rule file
# names it too, so that a reader sees it; one naming another fact would be silently ignored, so it is refused.
COUNTED_FROM: dict[str, Anchor] = {
    "dossier": Anchor.audit_start, "complements": Anchor.visit_start, "audit_plan": Anchor.visit_start,
    "report": Anchor.visit_end, "observations": Anchor.report_received, "central_corrective_actions": Anchor.report_received,
    "survey_launch_recommended": Anchor.audit_start, "survey_max_age": Anchor.audit_start,
    "self_assessment_max_age": Anchor.audit_start, "quality_indicators_min_age": Anchor.audit_start,
    "new_survey_campaign": Anchor.campaign_closed, "validity": Anchor.decision, "renewal_invitation": Anchor.expiry,
    "new_application": Anchor.refusal_notified, "followup_preparation": Anchor.decision, "followup_target": Anchor.decision,
    "followup_window": Anchor.followup_target, "central_followup_window": Anchor.followup_target,
    "action_plan": Anchor.followup_decision, "suspension_max": Anchor.suspension_start,
    "mark_removal": Anchor.withdrawal_effective, "network_local_surveys": Anchor.initial_audit,
    "young_local_label_age": Anchor.withdrawal_effective, "late_followup_target": Anchor.withdrawal_effective,
    "annual_self_assessment": Anchor.initial_self_assessment,
}


def _anchors(deadlines: DeadlinesFile) -> Iterator[Problem]:
    for key, anchor in COUNTED_FROM.items():
        dated = getattr(deadlines, key, None)
        if dated is None:
            continue
        for start, value in _entries(dated):
            if getattr(value, "anchor", anchor) != anchor:
                yield "deadlines.yaml", (key, "values", start, "value", "anchor"), (
                    f"the engine counts {key} from {anchor.value}: anchor: {anchor.value}")


def _deadlines(deadlines: DeadlinesFile) -> Iterator[Problem]:
    yield from _anchors(deadlines)
    yield from _written("deadlines.yaml", deadlines, "late_followup_target",
                        "{amount: 2, unit: months, direction: after, anchor: withdrawal_effective, movable: false}")
    if deadlines.late_followup_target is not None:
        for start, delay in _entries(deadlines.late_followup_target):
            base = ("late_followup_target", "values", start, "value")
            if delay.direction != "after":
                yield "deadlines.yaml", base + ("direction",), "the late follow-up's target comes after the withdrawal: direction: after"
    yield from _written("deadlines.yaml", deadlines, "annual_self_assessment",
                        "{amount: 12, unit: months, direction: after, anchor: initial_self_assessment, movable: true}")
    if deadlines.annual_self_assessment is not None:
        for start, delay in _entries(deadlines.annual_self_assessment):
            base = ("annual_self_assessment", "values", start, "value")
            if delay.direction != "after":
                yield "deadlines.yaml", base + ("direction",), "each year ends after the self-assessment it counts from: direction: after"
            if delay.amount < 1:
                yield "deadlines.yaml", base + ("amount",), "a year of self-assessment lasts at least 1 " + delay.unit.value
    for start, followups in _entries(deadlines.central_followups):
        base = ("central_followups", "values", start, "value")
        previous = 0
        for index, followup in enumerate(followups):
            if followup.preparation_months > followup.target_months:
                yield "deadlines.yaml", base + (index, "preparation_months"), "preparation comes after the follow-up it prepares"
            if followup.target_months <= previous:
                yield "deadlines.yaml", base + (index, "target_months"), "central follow-ups are listed in order of their target month"
            previous = followup.target_months


def _procedures(procedures: ProceduresFile) -> Iterator[Problem]:
    yield from _written("procedures.yaml", procedures, "repeated_postponements", "2 (Guide §5.3.1, Open)")
    yield from _written("procedures.yaml", procedures, "quality_indicators_too_recent", "refuse (Guide §3.5.1, Open)")
    yield from _written("procedures.yaml", procedures, "missing_annual_self_assessment", "breach (Guide §3.9.1, Open)")
    for field, needed in ENGINE_VOCABULARY.items():
        dated = getattr(procedures, field)
        for start, items in _entries(dated):
            base = (field, "values", start, "value")
            for index, value in _duplicates(items, "id"):
                yield "procedures.yaml", base + (index, "id"), f"{value!r} is declared twice"
            missing = sorted(needed - {item.id for item in items})
            if missing:
                yield "procedures.yaml", base, f"the engine acts on {', '.join(missing)}: keep these ids in {field}"
    for start, items in _entries(procedures.dossier_contents):
        for index, value in _duplicates(items, "id"):
            yield "procedures.yaml", ("dossier_contents", "values", start, "value", index, "id"), f"{value!r} is declared twice"


def _perimeters(perimeters: PerimetersFile) -> Iterator[Problem]:
    for start, kinds in _entries(perimeters.authority_types):
        base = ("authority_types", "values", start, "value")
        try:
            known = {d.id for d in perimeters.domains.at(start)}
        except LookupError:
            yield "perimeters.yaml", base, f"no domains are in force on {start}"
            continue
        for index, value in _duplicates(kinds, "id"):
            yield "perimeters.yaml", base + (index, "id"), f"authority type {value!r} is declared twice"
        for index, kind in enumerate(kinds):
            for field in ("socle_all", "socle_one_of", "optional"):
                for position, domain in enumerate(getattr(kind, field)):
                    if domain not in known:
                        yield "perimeters.yaml", base + (index, field, position), f"unknown domain {domain!r}; the domains are listed under domains"


# Each check and the files it reads, in the order they run.
CHECKS: tuple[tuple[tuple[str, ...], Callable[..., Iterator[Problem]]], ...] = (
    (("tiers.yaml",), _tiers),
    (("central.yaml",), _central),
    (("engagements.yaml",), _engagements),
    (("surveys.yaml",), _surveys),
    (("surveys.yaml", "engagements.yaml"), _user_survey_engagements),
    (("calendars.yaml",), _calendars),
    (("deadlines.yaml",), _deadlines),
    (("procedures.yaml",), _procedures),
    (("perimeters.yaml",), _perimeters),
)
