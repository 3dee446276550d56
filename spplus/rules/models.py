"""The schema of the rule files: one pydantic model per file, every rule a dated value.

In the manner of OpenFisca's parameters, a rule is never overwritten: it carries a list of
values, each with the date it applies from and the text it comes from. The value in force at a
date is the latest one that started on or before it, so the DITP adds a dated value and the
history of the rule stays readable.

Pure: importable inside the Temporal workflow sandbox (no I/O, no clock).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from typing_extensions import TypeAliasType

from ..limits import RULE_EDITION_ID_MAX

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def _number(value: object) -> object:
    # YAML integers arrive as int, decimals as Decimal (see yamlsource); JSON brings strings.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    if isinstance(value, int):
        return Decimal(value)
    return value


def _choice(enum: type[E]) -> Any:
    """An enum field that reads its value's text, and names the allowed ones when it is wrong."""

    def parse(value: object) -> object:
        if isinstance(value, enum):
            return value
        if isinstance(value, str) and value in enum._value2member_map_:
            return enum(value)
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ValueError(f"expected one of {allowed}, got {value!r}")

    return Annotated[enum, BeforeValidator(parse)]


Number = Annotated[Decimal, BeforeValidator(_number)]
Share = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=1)]
Score = Annotated[Decimal, BeforeValidator(_number), Field(ge=0, le=100)]
Text = Annotated[str, Field(min_length=1)]
Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleNotInForce(LookupError):
    """No value of a rule applies at the date asked."""


class Entry(Model, Generic[T]):
    """One dated value of a rule, with the text it comes from."""

    value: T
    reference: Text = Field(description="The text this value comes from, e.g. 'Guide du label, §3.7.1'.")
    note: str | None = Field(default=None, description="Why this value, where the text leaves a choice.")


class Dated(Model, Generic[T]):
    """A rule whose values are dated: the value in force at D is the latest one from on or before D."""

    description: Text
    values: dict[date, Entry[T]] = Field(min_length=1, description="Start date → value in force from that date.")

    def entry_at(self, when: date) -> tuple[date, Entry[T]]:
        starts = [start for start in self.values if start <= when]
        if not starts:
            first = min(self.values)
            raise RuleNotInForce(f"no value in force on {when.isoformat()} (the first applies from {first.isoformat()})")
        start = max(starts)
        return start, self.values[start]

    def at(self, when: date) -> T:
        return self.entry_at(when)[1].value


FILE_CONTEXT = {"rule_file": True}


def _written_in_files(*names: str) -> Any:
    """Keys a rule file must write out, though a history recorded before they existed may lack them.

    Rules pinned by running cycles come back from their histories in the shape they had then;
    a field added later takes its default there (the behaviour those cycles had), while the loader
    (which validates with FILE_CONTEXT) still refuses a rule file that leaves it out.
    """

    @model_validator(mode="before")
    @classmethod
    def check(cls: type, data: Any, info: ValidationInfo) -> Any:
        if info.context == FILE_CONTEXT and isinstance(data, dict):
            missing = [name for name in names if name not in data]
            if missing:
                raise ValueError(f"missing key(s) {', '.join(map(repr, missing))}")
        return data

    return check


def _required_in_schema(*names: str) -> Any:
    """Editors see these keys as required, as the loader has it (histories from before they existed may lack them)."""

    def extra(schema: dict[str, Any]) -> None:
        schema.setdefault("required", []).extend(names)

    return extra


# ---------------------------------------------------------------- edition.yaml
class EditionFile(Model):
    """Which edition of the rules this directory is: the id a cycle pins."""

    # It names the edition's folder and is pinned in every cycle: short, and safe as a file name.
    edition: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=RULE_EDITION_ID_MAX)]
    title: Text
    published: date
    sources: list[Text] = Field(min_length=1, description="The texts these rules are read from.")


# ---------------------------------------------------------------- engagements.yaml
class Engagement(Model):
    number: Annotated[int, Field(ge=1)]
    title: Text


class EngagementsFile(Model):
    """The engagements of the programme, as numbered in the audit grid (« les engagements »)."""

    engagements: Dated[list[Engagement]]


# ---------------------------------------------------------------- tiers.yaml
class Tier(Model):
    """One tier (« palier ») and its cumulative minimum scores, all out of 100."""

    id: Ident
    label: Text
    audit_per_engagement: Score = Field(description="Minimum audit score on each engagement.")
    gold_criteria: Score | None = Field(
        description="Minimum audit score on the additional gold criteria, or null when the tier has none."
    )
    agent_survey: Score
    user_survey: Score


class ScoreComparison(Model):
    """How a note is compared with a threshold: « atteint le score minimal » is 'at least'."""

    decimals: Annotated[int, Field(ge=0, le=6)] | None = Field(
        description="Round notes half-up to this many decimals before comparing; null compares exact values."
    )


class TiersFile(Model):
    """The tiers of a local public service's label, lowest first (§2.2.1)."""

    audit_scale: Dated[list[Share]]
    tiers: Dated[list[Tier]]
    comparison: Dated[ScoreComparison]


# ---------------------------------------------------------------- central.yaml
class Rounding(StrEnum):
    up = "up"


RoundingChoice = _choice(Rounding)


class TieBreak(StrEnum):
    lower = "lower"
    higher = "higher"


TieBreakChoice = _choice(TieBreak)


class CentralCriteria(Model):
    """What labels a central public service (§2.2.2, §3.8.2)."""

    control_points_min_share: Share = Field(description="Share of the central audit's yes/no points validated.")
    local_labelled_min_share: Share = Field(description="Share of the local services audited in the year that are labelled.")
    local_labelled_rounding: RoundingChoice
    tier_tie_break: TieBreakChoice = Field(description="Tier taken when two tiers are equally the most obtained.")


class Sampling(Model):
    """How many local services are drawn: the smallest k with k^root ≥ n (⌈√n⌉ for root 2)."""

    root: Annotated[int, Field(ge=1)]
    rounding: RoundingChoice
    minimum: Annotated[int, Field(ge=0)]


class LowerMajority(StrEnum):
    """The tier a central follow-up gives when most of the year's local labels are below the held tier."""

    keep_held_tier = "keep_held_tier"
    majority_tier = "majority_tier"


LowerMajorityChoice = _choice(LowerMajority)


class CentralFile(Model):
    model_config = ConfigDict(json_schema_extra=_required_in_schema("followup_lower_majority"))
    _lower_majority_written = _written_in_files("followup_lower_majority")

    criteria: Dated[CentralCriteria]
    sampling: Dated[Sampling]
    # Optional only for rule sets recorded in histories before it existed (their cycles kept the held tier);
    # a rule file must write it.
    followup_lower_majority: Dated[LowerMajorityChoice] | None = Field(
        default=None,
        description="At a central follow-up whose control points pass (§3.9.2), when most of the local services "
        "labelled that year obtained a tier below the one the central service holds: 'keep_held_tier' confirms the "
        "held tier, 'majority_tier' gives the tier most of them obtained.",
    )


# ---------------------------------------------------------------- surveys.yaml
class AnswerScale(Model):
    """The 4-step scale and the CSV texts that stand for each step (§3.4)."""

    points: dict[Text, Share] = Field(description="Answer text in the CSV export → points (0, 0.25, 0.75, 1).")
    neutral: list[Text] = Field(
        min_length=1, description="Answers meaning « non concerné / ne se prononce pas »: the question is neutralised."
    )
    unanswered: list[str] = Field(description="Cell texts meaning the question got no answer at all (e.g. empty).")


class Admissibility(Model):
    """A questionnaire is admissible (« recevable ») when completed and more than this share answered."""

    min_answered_share: Share
    strictly_more: bool = Field(description="True for « plus de 50 % »: exactly the share is not enough.")
    completed_column: str | None = Field(description="CSV column telling whether the questionnaire was completed.")
    completed_values: list[Text] = Field(description="Texts of that column that mean completed.")


class SurveyQuestion(Model):
    id: Ident
    column: Text = Field(description="The column of the CSV export holding this question's answers.")
    engagement: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="The engagement this question scores; null for the overall-satisfaction question."
    )


class UserSurvey(Model):
    """The user survey (« enquête usagers », §3.4.1)."""

    questions: list[SurveyQuestion] = Field(min_length=1)
    min_admissible: Annotated[int, Field(ge=0)]
    min_return_rate: Share


class HeadcountBand(Model):
    """Return rate required of the agent survey for a headcount band, both ends included."""

    min_agents: Annotated[int, Field(ge=0)]
    max_agents: Annotated[int, Field(ge=0)] | None
    min_return_rate: Share
    min_admissible: Annotated[int, Field(ge=0)]


class AgentSurvey(Model):
    """The agent survey (« enquête agents », §3.4.2): the note is the mean of its questions."""

    questions: list[SurveyQuestion] = Field(min_length=1)
    bands: list[HeadcountBand] = Field(min_length=1)


class SurveysFile(Model):
    scale: Dated[AnswerScale]
    admissibility: Dated[Admissibility]
    user: Dated[UserSurvey]
    agent: Dated[AgentSurvey]


# ---------------------------------------------------------------- deadlines.yaml
class Unit(StrEnum):
    days = "days"
    working_days = "working_days"
    months = "months"
    years = "years"


UnitChoice = _choice(Unit)


class Anchor(StrEnum):
    """The facts of a cycle a delay can count from."""

    audit_start = "audit_start"
    visit_start = "visit_start"
    visit_end = "visit_end"
    report_received = "report_received"
    decision = "decision"
    refusal_notified = "refusal_notified"
    campaign_closed = "campaign_closed"
    expiry = "expiry"
    followup_target = "followup_target"
    followup_decision = "followup_decision"
    suspension_start = "suspension_start"
    withdrawal_effective = "withdrawal_effective"
    initial_audit = "initial_audit"
    initial_self_assessment = "initial_self_assessment"


AnchorChoice = _choice(Anchor)


class Delay(Model):
    """A date counted from a fact of the cycle: amount × unit, before or after the anchor."""

    _movable_written = _written_in_files("movable")

    amount: Annotated[int, Field(ge=0)]
    unit: UnitChoice
    direction: Literal["before", "after"]
    anchor: AnchorChoice
    movable: bool = Field(
        default=True,
        description="True for a deadline to act by, which calendars.yaml's non-working-day switch may move; "
        "false for a date that is not a deadline (an expiry, a target, a date from which something is allowed)."
    )


class Window(Model):
    """A span around a target date, e.g. ± 2 months, ends included or not."""

    amount: Annotated[int, Field(ge=0)]
    unit: UnitChoice
    anchor: AnchorChoice
    inclusive: bool


class AgeLimit(Model):
    """How old something must be at a fact: at most (« moins de 6 mois », « dans les 12 mois ») or at least
    (« en place depuis au moins 6 mois »). ``inclusive`` says whether exactly the limit passes."""

    _limit_written = _written_in_files("limit")

    limit: Literal["at_most", "at_least"] = "at_most"
    amount: Annotated[int, Field(ge=1)]
    unit: UnitChoice
    anchor: AnchorChoice
    inclusive: bool


class CentralFollowUp(Model):
    target_months: Annotated[int, Field(ge=1)]
    preparation_months: Annotated[int, Field(ge=0)]


class DeadlinesFile(Model):
    """Every delay of the label's procedures, each dated and referenced."""

    model_config = ConfigDict(json_schema_extra=_required_in_schema("late_followup_target", "annual_self_assessment"))
    _late_followup_written = _written_in_files("late_followup_target", "annual_self_assessment")

    dossier: Dated[Delay]
    complements: Dated[Delay]
    audit_plan: Dated[Delay]
    report: Dated[Delay]
    observations: Dated[Delay]
    central_corrective_actions: Dated[Delay]
    survey_launch_recommended: Dated[Delay]
    survey_max_age: Dated[AgeLimit]
    self_assessment_max_age: Dated[AgeLimit]
    quality_indicators_min_age: Dated[AgeLimit]
    new_survey_campaign: Dated[Delay]
    validity: Dated[Delay]
    renewal_invitation: Dated[Delay]
    new_application: Dated[Delay]
    followup_preparation: Dated[Delay]
    followup_target: Dated[Delay]
    followup_window: Dated[Window]
    central_followups: Dated[list[CentralFollowUp]]
    central_followup_window: Dated[Window]
    action_plan: Dated[Delay]
    suspension_max: Dated[Delay]
    mark_removal: Dated[Delay]
    network_local_surveys: Dated[Delay]
    young_local_label_age: Dated[AgeLimit]
    # Optional only for rule sets recorded in histories before it existed (their cycles held that follow-up
    # within followup_window either side of the withdrawal + followup_window); a rule file must write it.
    late_followup_target: Dated[Delay] | None = Field(
        default=None,
        description="A local label that must pass its own follow-up audit because its central service's label was "
        "withdrawn (§5.3.2 note), when its own follow-up window had already closed by then: the new target date, "
        "counted from the withdrawal; the audit is held within followup_window either side of it.",
    )
    # Optional only for rule sets recorded in histories before it existed (their cycles set no yearly reminder and
    # did not check the yearly reports at the follow-up); a rule file must write it.
    annual_self_assessment: Dated[Delay] | None = Field(
        default=None,
        description="A labelled local service does a self-assessment every year (§3.9.1, §3.9.2 notes): the years are "
        "counted from the self-assessment its initial audit used; each year's last day is reminded, and the follow-up "
        "audit checks a report in every year ended by its visit (procedures.missing_annual_self_assessment).",
    )


# ---------------------------------------------------------------- calendars.yaml
class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def index(self) -> int:
        return list(Weekday).index(self)


WeekdayChoice = _choice(Weekday)


class HolidaySource(Model):
    """Where a territory's public holidays come from: the `holidays` library's country and subdivision."""

    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    subdivision: str | None


class Territory(Model):
    id: Ident
    label: Text
    holidays: HolidaySource


_ZONE_NAME = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


def _zone_name(value: object) -> object:
    # Whether the tz database knows the name is the loader's check (consistency.py): models stay pure.
    if isinstance(value, str) and not re.match(_ZONE_NAME, value):
        raise ValueError(f"{value!r} is not written as an IANA time zone name (Area/Place in plain ASCII, e.g. 'Europe/Paris')")
    return value


# Named aliases: the JSON Schema then names them (TimeZones) instead of spelling out their constraints.
TimeZoneName = TypeAliasType("TimeZoneName", Annotated[str, BeforeValidator(_zone_name), Field(
    pattern=_ZONE_NAME, description="An IANA time zone name (the tz database), e.g. 'Europe/Paris', 'Pacific/Noumea'.",
)])
TimeZones = TypeAliasType("TimeZones", dict[Ident, TimeZoneName])


class NonWorkingDayPolicy(StrEnum):
    keep = "keep"
    next_working_day = "next_working_day"


NonWorkingDayPolicyChoice = _choice(NonWorkingDayPolicy)


class CalendarsFile(Model):
    """Working days by territory (§3.7.1 « jours ouvrés »), and each territory's legal time."""

    # Editors see time_zones as required, as the loader has it (histories from before may lack it).
    model_config = ConfigDict(json_schema_extra=lambda schema: schema.setdefault("required", []).append("time_zones"))
    _time_zones_written = _written_in_files("time_zones")

    weekend: Dated[list[WeekdayChoice]]
    territories: Dated[list[Territory]]
    deadline_on_non_working_day: Dated[NonWorkingDayPolicyChoice]
    # Optional only for rule sets recorded in histories before it existed (their cycles count UTC days);
    # a rule file must write it, one zone for every territory (see consistency.py).
    time_zones: Dated[TimeZones] | None = Field(
        default=None,
        description="Territory id → its IANA time zone: a cycle's « today » is the date there, and its "
        "deadlines fall due at its midnight.",
    )


# ---------------------------------------------------------------- procedures.yaml
class Item(Model):
    id: Ident
    label: Text


class AutomaticActions(Model):
    """Where the guide says a label « may » be suspended or withdrawn, whether the engine does it itself.

    With a switch off, the engine records the breach and tells the body, who decides.
    """

    suspend_when_action_plan_missing: bool
    withdraw_when_suspension_not_lifted: bool


class RecentIndicators(StrEnum):
    """What the prerequisites of a visit do with a quality indicator in place for less than
    deadlines.quality_indicators_min_age at the audit (§3.5.1)."""

    refuse = "refuse"
    flag = "flag"


RecentIndicatorsChoice = _choice(RecentIndicators)


class MissingAnnualReport(StrEnum):
    """What the follow-up audit's visit does when a yearly self-assessment report is missing (§3.9.1)."""

    refuse = "refuse"
    breach = "breach"
    flag = "flag"


MissingAnnualReportChoice = _choice(MissingAnnualReport)


PostponementCount = TypeAliasType("PostponementCount", Annotated[int, Field(
    ge=1, description="A number of postponements of the same audit.",
)])


class ProceduresFile(Model):
    """Lists the guide fixes: the dossier's contents, the reasons to suspend or withdraw a label."""

    model_config = ConfigDict(json_schema_extra=_required_in_schema(
        "repeated_postponements", "quality_indicators_too_recent", "missing_annual_self_assessment"))
    _postponements_written = _written_in_files("repeated_postponements", "quality_indicators_too_recent",
                                               "missing_annual_self_assessment")

    automatic_actions: Dated[AutomaticActions]
    dossier_contents: Dated[list[Item]]
    suspension_reasons: Dated[list[Item]]
    withdrawal_reasons: Dated[list[Item]]
    appeal_outcomes: Dated[list[Item]]
    # Optional only for rule sets recorded in histories before it existed (their cycles warned at the 2nd
    # postponement); a rule file must write it.
    repeated_postponements: Dated[PostponementCount] | None = Field(
        default=None,
        description="From how many postponements of the same audit of a labelled service the service and the body "
        "are told that a « succession de reports d'audits » may justify a suspension (§5.3.1); the body decides.",
    )
    # Optional only for rule sets recorded in histories before it existed (their cycles did not check the
    # indicators' age); a rule file must write it.
    quality_indicators_too_recent: Dated[RecentIndicatorsChoice] | None = Field(
        default=None,
        description="A quality indicator of the dossier in place for less than deadlines.quality_indicators_min_age "
        "at the audit (§3.5.1): 'refuse' refuses the visit's scores until the audit is moved, 'flag' accepts them "
        "with a warning on the timeline.",
    )
    # Optional only for rule sets recorded in histories before it existed (their follow-ups did not check the
    # yearly reports); a rule file must write it.
    missing_annual_self_assessment: Dated[MissingAnnualReportChoice] | None = Field(
        default=None,
        description="A follow-up audit whose visit finds no self-assessment in a year of deadlines.annual_self_assessment "
        "ended by then (§3.9.1): 'refuse' refuses the visit's scores until the report is recorded, 'breach' takes them "
        "and records a breach the body is told of, 'flag' takes them with a warning on the timeline.",
    )


# ---------------------------------------------------------------- perimeters.yaml
class AuthorityType(Model):
    """A kind of local authority and the perimeter it must present (« périmètre socle », §1.4.2)."""

    id: Ident
    label: Text
    socle_all: list[Ident] = Field(description="Domains every perimeter of this kind includes.")
    socle_one_of: list[Ident] = Field(description="At least one of these, when the list is not empty.")
    agreed_domain: bool = Field(description="True when at least one domain besides socle_all is agreed with the body.")
    optional: list[Ident] = Field(description="Domains it may add to the socle.")


class PerimetersFile(Model):
    """Local authorities' perimeters (§1.4.2): the domains, and what each kind of authority must cover."""

    domains: Dated[list[Item]]
    authority_types: Dated[list[AuthorityType]]


# ---------------------------------------------------------------- the whole edition
RULE_FILES: dict[str, type[Model]] = {
    "edition.yaml": EditionFile,
    "engagements.yaml": EngagementsFile,
    "tiers.yaml": TiersFile,
    "central.yaml": CentralFile,
    "surveys.yaml": SurveysFile,
    "deadlines.yaml": DeadlinesFile,
    "calendars.yaml": CalendarsFile,
    "procedures.yaml": ProceduresFile,
    "perimeters.yaml": PerimetersFile,
}


class RuleSet(Model):
    """One edition of the rules, as loaded and checked; what a cycle pins."""

    edition: EditionFile
    content_hash: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    engagements: EngagementsFile
    tiers: TiersFile
    central: CentralFile
    surveys: SurveysFile
    deadlines: DeadlinesFile
    calendars: CalendarsFile
    procedures: ProceduresFile
    # Optional only for rule sets recorded in histories before it existed; the loader requires the file.
    perimeters: PerimetersFile | None = None

    @property
    def edition_id(self) -> str:
        return self.edition.edition

    def territory(self, territory_id: str, when: date) -> Territory:
        for territory in self.calendars.territories.at(when):
            if territory.id == territory_id:
                return territory
        known = ", ".join(t.id for t in self.calendars.territories.at(when))
        raise KeyError(f"unknown territory {territory_id!r}; known: {known}")

    def time_zone(self, territory_id: str, when: date) -> str | None:
        """The territory's IANA time zone in force at ``when``; None for a rule set from before time zones."""
        if self.calendars.time_zones is None:
            return None
        zones = self.calendars.time_zones.at(when)
        if territory_id not in zones:
            raise KeyError(f"no time zone for territory {territory_id!r} on {when.isoformat()}")
        return zones[territory_id]
