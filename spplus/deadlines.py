"""Every date of a cycle, computed from its facts and the rules, each with the rule behind it.

A person must be able to check any date the engine gives: each :class:`ComputedDate` names the
rule (``deadlines.audit_plan``), the edition, the date from which that rule's value applies, the
guide's section, and a sentence saying how the date was counted.

The value of a rule used is the one in force on the fact the delay counts from (the anchor).

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from .calendar import WorkingCalendar, apply_non_working_day_policy, shift
from .rules.models import AgeLimit, Anchor, Dated, Delay, RuleSet, Unit, Window


class ComputedDate(BaseModel):
    """A date the engine computed, and how."""

    model_config = ConfigDict(frozen=True)

    key: str
    date: date
    rule: str
    edition: str
    rule_from: date
    reference: str
    explanation: str


class CycleFacts(BaseModel):
    """The dates known of a cycle; every field is optional, deadlines follow from what is known."""

    model_config = ConfigDict(extra="forbid")

    territory: str = "metropole"
    audit_start: date | None = None
    visit_start: date | None = None
    visit_end: date | None = None
    report_received: date | None = None
    decision: date | None = None
    refusal_notified: date | None = None
    campaign_closed: date | None = None
    followup_decision: date | None = None
    suspension_start: date | None = None
    withdrawal_effective: date | None = None
    initial_audit: date | None = None

    def anchors(self) -> dict[Anchor, date]:
        known = {Anchor(name): value for name, value in self.model_dump().items() if name in Anchor.__members__ and value}
        # The visit is one day unless said otherwise; the audit starts with the visit.
        if Anchor.visit_start in known and Anchor.visit_end not in known:
            known[Anchor.visit_end] = known[Anchor.visit_start]
        if Anchor.visit_start in known and Anchor.audit_start not in known:
            known[Anchor.audit_start] = known[Anchor.visit_start]
        return known


_UNIT_WORDS = {Unit.days: "day", Unit.working_days: "working day", Unit.months: "month", Unit.years: "year"}


def _amount(amount: int, unit: Unit) -> str:
    word = _UNIT_WORDS[unit]
    return f"{amount} {word}{'' if amount == 1 else 's'}"


def delay_date(
    rules: RuleSet, key: str, anchor_date: date, calendar: WorkingCalendar | None = None, *, label: str | None = None
) -> ComputedDate:
    """The date of ``deadlines.<key>`` counted from ``anchor_date``."""
    dated: Dated[Delay] = getattr(rules.deadlines, key)
    start, entry = dated.entry_at(anchor_date)
    delay = entry.value
    backwards = delay.direction == "before"
    raw = shift(anchor_date, delay.amount, delay.unit, backwards, calendar)
    final = raw
    if delay.movable:
        final = apply_non_working_day_policy(raw, rules.calendars.deadline_on_non_working_day.at(anchor_date), calendar)
    where = f" ({calendar.territory} calendar)" if delay.unit == Unit.working_days and calendar else ""
    explanation = f"{_amount(delay.amount, delay.unit)} {delay.direction} the {delay.anchor.value.replace('_', ' ')} on {anchor_date.isoformat()}{where}"
    if final != raw:
        explanation += f"; {raw.isoformat()} is not a working day, moved to {final.isoformat()}"
    return ComputedDate(
        key=label or key,
        date=final,
        rule=f"deadlines.{key}",
        edition=rules.edition_id,
        rule_from=start,
        reference=entry.reference,
        explanation=explanation,
    )


def window_dates(rules: RuleSet, key: str, target: ComputedDate) -> tuple[ComputedDate, ComputedDate]:
    """The first and last days of ``deadlines.<key>`` around a target date (ends included or not)."""
    dated: Dated[Window] = getattr(rules.deadlines, key)
    start, entry = dated.entry_at(target.date)
    window = entry.value
    opens = shift(target.date, window.amount, window.unit, backwards=True)
    closes = shift(target.date, window.amount, window.unit, backwards=False)
    if not window.inclusive:
        opens, closes = shift(opens, 1, Unit.days, False), shift(closes, 1, Unit.days, True)
    span = _amount(window.amount, window.unit)
    common = dict(rule=f"deadlines.{key}", edition=rules.edition_id, rule_from=start, reference=entry.reference)
    return (
        ComputedDate(key=f"{target.key}_window_opens", date=opens, explanation=f"{span} before the target {target.date.isoformat()}, {'included' if window.inclusive else 'excluded'}", **common),
        ComputedDate(key=f"{target.key}_window_closes", date=closes, explanation=f"{span} after the target {target.date.isoformat()}, {'included' if window.inclusive else 'excluded'}", **common),
    )


class AgeCheck(BaseModel):
    """Whether something is old (or recent) enough at a fact, and the date that limit falls on."""

    ok: bool
    limit: ComputedDate
    document_date: date
    message: str


def age_check(rules: RuleSet, key: str, document_date: date, anchor_date: date, what: str) -> AgeCheck:
    """``deadlines.<key>`` against a document's date: « moins de 6 mois » / « dans les 12 mois » (at most)
    or « en place depuis au moins 6 mois » (at least), ends included or not as the rule says."""
    dated: Dated[AgeLimit] = getattr(rules.deadlines, key)
    start, entry = dated.entry_at(anchor_date)
    rule = entry.value
    bound = shift(anchor_date, rule.amount, rule.unit, backwards=True)
    span = _amount(rule.amount, rule.unit)
    anchor = rule.anchor.value.replace("_", " ")
    if rule.limit == "at_most":  # dated on or after `limit`
        limit = bound if rule.inclusive else shift(bound, 1, Unit.days, backwards=False)
        ok = limit <= document_date <= anchor_date
        wording = f"{'at most' if rule.inclusive else 'less than'} {span} before the {anchor} on {anchor_date.isoformat()}"
        fix = f"it must be dated {limit.isoformat()} or later"
    else:  # in place on or before `limit`
        limit = bound if rule.inclusive else shift(bound, 1, Unit.days, backwards=True)
        ok = document_date <= limit
        wording = f"{'at least' if rule.inclusive else 'more than'} {span} before the {anchor} on {anchor_date.isoformat()}"
        fix = f"it must date from {limit.isoformat()} or earlier"
    computed = ComputedDate(key=f"{key}_limit", date=limit, rule=f"deadlines.{key}", edition=rules.edition_id,
                            rule_from=start, reference=entry.reference, explanation=wording)
    if rule.limit == "at_most" and document_date > anchor_date:
        message = f"{what} is dated {document_date.isoformat()}, after the {anchor} on {anchor_date.isoformat()}"
    elif ok:
        message = f"{what} of {document_date.isoformat()} meets the limit ({wording})"
    else:
        message = f"{what} of {document_date.isoformat()} is {'too old' if rule.limit == 'at_most' else 'too recent'}: {fix} ({wording})"
    return AgeCheck(ok=ok, limit=computed, document_date=document_date, message=message)


def _in_force(dated: Dated[Delay], day: date) -> Anchor | None:
    try:
        return dated.at(day).anchor
    except LookupError:
        return None


def cycle_deadlines(rules: RuleSet, facts: CycleFacts, calendar: WorkingCalendar | None = None) -> list[ComputedDate]:
    """Every date that follows from the facts known, in date order."""
    anchors = facts.anchors()
    out: list[ComputedDate] = []

    def add(key: str, **kw: Any) -> ComputedDate | None:
        # The anchor is the one the value in force on that anchor's date names (a new dated value
        # may count from another fact).
        dated = getattr(rules.deadlines, key)
        for anchor in dict.fromkeys(entry.value.anchor for entry in dated.values.values()):
            if anchor in anchors and _in_force(dated, anchors[anchor]) == anchor:
                computed = delay_date(rules, key, anchors[anchor], calendar, **kw)
                out.append(computed)
                return computed
        return None

    for key in ("dossier", "survey_launch_recommended", "audit_plan", "report", "observations", "new_application",
                "new_survey_campaign", "action_plan", "suspension_max", "mark_removal", "network_local_surveys"):
        add(key)

    expiry = add("validity", label="expiry")
    if expiry is not None:
        anchors[Anchor.expiry] = expiry.date
        add("renewal_invitation")
        add("followup_preparation")
        target = add("followup_target")
        if target is not None:
            out.extend(window_dates(rules, "followup_window", target))
    return sorted(out, key=lambda d: (d.date, d.key))
