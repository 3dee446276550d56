"""Forms generated from the engine's models (the cycle's events, the candidacy), read back into data.

A form is a tree of :class:`FormField` built from a model's JSON schema: scalars (a date, a number, a
text, a choice), nested objects (a fieldset), lists of objects (a fixed number of rows, each a fieldset),
lists of scalars (checkboxes when the choices are known, else one per line), and mappings keyed by a
known list (the visit's scores by engagement). Every field is named by its path, ``quality_indicators.1.id``,
which is also where the model or the engine says a refusal lies: :func:`place_error` puts each message
beside its field, a nested one on its row.

A form knows how to show a field and how to read what was typed; it knows no rule. The choices it offers
(sites, dossier items, reasons, tiers, engagements) are read from the cycle's pinned rules by the page;
whether the event is acceptable is the engine's answer (the cycle's update validator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from ...lifecycle.events import Candidate, CycleEvent
from ...limits import SHORT_TEXT

_EVENTS = TypeAdapter(CycleEvent)

# Every event a certification body sends, in the order a cycle meets them (the DITP's rules_edition_change is
# not a body's: it has no form here). The candidacy page lists them all: which ones the cycle accepts now is
# the engine's answer when the form is sent, not a second copy of its rules in the page.
FORM_TYPES = (
    "self_assessment", "survey", "audit_dates", "dossier", "complements_requested", "audit_plan", "visit", "report",
    "observations", "decision", "action_plan", "suspension", "suspension_lifted", "withdrawal", "renewal",
    "perimeter_extension", "appeal", "appeal_decision",
)

TITLES = {
    "self_assessment": "Autodiagnostic",
    "survey": "Enquête (résultats du rapport)",
    "audit_dates": "Dates d'audit",
    "dossier": "Dossier de candidature",
    "complements_requested": "Demande de compléments",
    "audit_plan": "Plan d'audit",
    "visit": "Visite et notes d'audit",
    "report": "Rapport d'audit",
    "observations": "Observations du candidat",
    "decision": "Décision",
    "action_plan": "Plan d'actions",
    "suspension": "Suspension",
    "suspension_lifted": "Levée de la suspension",
    "withdrawal": "Retrait du label",
    "renewal": "Renouvellement",
    "perimeter_extension": "Extension du périmètre",
    "appeal": "Recours",
    "appeal_decision": "Décision sur le recours",
    # Not event forms: the banner shown on the candidacy page once these are recorded.
    "candidacy": "Candidature ouverte",
    "survey_csv": "Enquête (export CSV)",
}

# Fields a page does not show: set by the page itself (the body is the signed-in one), or sent another way
# (a survey's raw CSV has its own page, scored before it is recorded; a renewal with another body is a
# transfer, decided through the API).
EXCLUDED = {
    "candidate": {"certification_body"},
    "survey": {"csv", "summary.csv_sha256"},
    "renewal": {"certification_body"},
}

# Where a refusal naming a field the form does not show is put instead.
ALIASES = {("survey", "csv"): "summary"}

# (label, hint) by "<form>.<path>" first, then "<path>"; a path's list indices are left out.
LABELS: dict[str, tuple[str, str]] = {
    "done_on": ("Date de l'autodiagnostic", "Le jour où il a été fait."),
    "global_result": ("Résultat global (facultatif)", "Sur 100, par exemple 72,5."),
    "audit": ("Audit", "Initial, ou de suivi."),
    "visit_start": ("Premier jour de la visite", ""),
    "visit_end": ("Dernier jour de la visite", "Le même jour pour une visite d'un jour."),
    "audit_dates.sites": ("Sites visités", "Les sites tirés pour la visite."),
    "kind": ("Enquête", "Usagers ou agents."),
    "closed_on": ("Date de clôture de l'enquête", "Le dernier jour de la campagne."),
    "solicited": ("Personnes sollicitées", "Usagers ou agents à qui le questionnaire a été envoyé (nombre entier)."),
    "summary": ("Résultats du rapport d'enquête", ("Les chiffres du rapport. Pour faire noter l'export CSV par le moteur, "
                                                   "utilisez plutôt la page « Enquête : déposer l'export CSV ».")),
    "summary.note": ("Note globale", "Sur 100, par exemple 76,28."),
    "summary.admissible": ("Questionnaires recevables", "Nombre entier."),
    "summary.respondents": ("Répondants (facultatif)", "Les lignes de l'export."),
    "summary.completed": ("Questionnaires complétés (facultatif)", "Nombre entier."),
    "summary.engagement_notes": ("Notes par engagement (facultatif)", "Sur 100."),
    "summary.overall_note": ("Satisfaction globale (facultatif)", "Sur 100."),
    "dossier.received_on": ("Date de réception du dossier", "Reçu par demarche.numerique.gouv.fr (§3.5.1)."),
    "contents": ("Pièces reçues", "Cochez les pièces du dossier reçues (§3.5.1)."),
    "quality_indicators": ("Indicateurs de qualité de service (facultatif)",
                           "Chaque indicateur en place et sa date de mise en place (§3.5.1) ; laissez vides les lignes inutiles."),
    "quality_indicators.id": ("Indicateur", "Son identifiant, par exemple taux-decroche."),
    "quality_indicators.in_place_since": ("En place depuis le", ""),
    "complements_requested.requested_on": ("Date de la demande", ""),
    "items": ("Pièces demandées", "Les pièces manquantes, dues avant la visite (§3.5.2)."),
    "audit_plan.sent_on": ("Date d'envoi du plan d'audit", "Au plus tard 10 jours ouvrés avant la visite (§3.7.1)."),
    "auditors": ("Auditeurs", "Un nom par ligne."),
    "scores": ("Notes de la visite", "Donnez soit la note de chaque engagement, soit les points de ses points de contrôle."),
    "scores.engagements": ("Note par engagement", "Sur 100, par exemple 72,5."),
    "scores.gold_criteria": ("Critères Or (facultatif)", "Sur 100, quand ils sont audités."),
    "scores.control_points": ("Points de contrôle par engagement (au lieu des notes)",
                              "Les points séparés par des points-virgules, par exemple 1 ; 0,75 ; 0,25."),
    "scores.gold_control_points": ("Points de contrôle des critères Or (facultatif)", "Séparés par des points-virgules."),
    "report.sent_on": ("Date d'envoi du rapport", "Dans les 21 jours après la visite (§3.7.1)."),
    "report.received_on": ("Date de réception par le candidat", ""),
    "observations.received_on": ("Date de réception des observations", ""),
    "text": ("Observations", "Le texte reçu du candidat ; il ne change pas les notes."),
    "decided_on": ("Date de la décision", ""),
    "decision.tier": ("Niveau décidé", "« Refus » quand aucun niveau n'est accordé."),
    "decision.reason": ("Motif (si vous décidez autrement que la proposition)",
                        "Une décision différente de la proposition des règles est motivée par écrit."),
    "action_plan.received_on": ("Date de réception du plan d'actions", ""),
    "suspension.reason": ("Motif de la suspension", "§5.3.1."),
    "withdrawal.reason": ("Motif du retrait", "§5.3.2."),
    "effective": ("Date d'effet", ""),
    "note": ("Note (facultative)", ""),
    "renewal.requested_on": ("Date de la demande de renouvellement", ""),
    "renewal.contract_signed": ("Date de signature du nouveau contrat", ""),
    "perimeter_extension.requested_on": ("Date de la demande", ""),
    "perimeter_extension.sites": ("Sites ajoutés", "Une ligne par site ; laissez vides les lignes inutiles."),
    "perimeter_extension.domains": ("Domaines ajoutés (collectivités)", "Cochez les domaines ajoutés au périmètre."),
    "sites.id": ("Identifiant du site", "Lettres, chiffres, points et tirets, par exemple hdv."),
    "sites.name": ("Nom du site", ""),
    "sites.domains": ("Domaines servis (collectivités, facultatif)", "Un identifiant de domaine par ligne."),
    "agents_added": ("Agents ajoutés", "En contact avec les usagers (nombre entier, 0 si aucun)."),
    "new_cycle": ("Ouvrir un nouveau cycle de 3 ans", "Pour une extension plus grande en effectif que le contrat (§5.2)."),
    "lodged_on": ("Date du recours", ""),
    "grounds": ("Motifs du recours", ""),
    "appeal_decision.decided_on": ("Date de la décision sur le recours", ""),
    "outcome": ("Issue du recours", ""),
    "appeal_decision.tier": ("Niveau (si le recours est fondé)", "Le niveau que devient la décision."),
    "candidate.id": ("Identifiant de la candidature",
                     "Lettres minuscules, chiffres et tirets, par exemple mairie-de-rive ; il ne change plus."),
    "name": ("Nom du service candidat", "Tel qu'il figurera sur l'attestation."),
    "territory": ("Territoire", "Il fixe les jours fériés des échéances."),
    "candidate.sites": ("Sites en contact avec les usagers", "Une ligne par site ; laissez vides les lignes inutiles."),
    "agents_in_contact": ("Agents en contact avec les usagers", "Nombre entier."),
    "candidate.contract_signed": ("Date de signature du contrat", ""),
    "network": ("Service central (facultatif)", "L'identifiant du service central par lequel ce service est audité."),
    "authority": ("Périmètre d'une collectivité (facultatif)", "Seulement pour une commune, un EPCI, un département ou une région (§1.4.2)."),
    "authority.type": ("Type de collectivité", ""),
    "authority.domains": ("Domaines du périmètre", "Cochez les domaines déclarés."),
}

# Enumerations' values, in French.
CHOICES = {"initial": "Audit initial", "followup": "Audit de suivi", "user": "Usagers", "agent": "Agents"}

# Which list of the page's choices a field offers ("<form>.<path>" first, then "<path>").
CHOICE_SOURCES = {
    "audit_dates.sites": "sites", "contents": "dossier_items", "items": "dossier_items",
    "suspension.reason": "suspension_reasons", "withdrawal.reason": "withdrawal_reasons", "outcome": "appeal_outcomes",
    "decision.tier": "tiers", "appeal_decision.tier": "tiers", "territory": "territories", "authority.type": "authority_types",
    "authority.domains": "domains", "perimeter_extension.domains": "domains",
    "scores.engagements": "engagements", "scores.control_points": "engagements", "summary.engagement_notes": "engagements",
}

# The first choice of a select that may be left empty (the field is then left out, or null when required).
EMPTY_CHOICES = {"decision.tier": "Refus : aucun niveau", "appeal_decision.tier": "—", "authority.type": "—"}

# How many rows a list of objects shows (more once they are filled: one empty row is always left).
ROWS = {"candidate.sites": 4, "quality_indicators": 4, "perimeter_extension.sites": 2}
DEFAULT_ROWS = 3
MAX_ROWS = 200
ROW_NAMES = {"sites": "Site", "quality_indicators": "Indicateur"}

_INTEGER = re.compile(r"[+-]?\d{1,12}")
SHOWN_MAX = 60  # characters of what was typed that a refusal repeats
_CONTROL = re.compile(r"the text holds a control character \(U\+([0-9A-F]{4})\) at position (\d+)")  # spplus/fields.py
_FIELD_PREFIX = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*): ")


@dataclass
class FormField:
    """One field of a form, or a group of fields (``group``, ``rows``, ``keyed``) with its ``children``.

    ``widget``: date, decimal, integer, text, textarea, select, checkboxes, lines, numbers, boolean, group,
    rows (a list of objects, each row a group), keyed (a mapping, one child per known key).
    """

    path: tuple[str, ...]
    label: str
    hint: str
    widget: str
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    empty_choice: str | None = None
    value: Any = None
    error: str | None = None
    children: list[FormField] = field(default_factory=list)
    row_of: list[str] = field(default_factory=list)  # rows: the row each sent list item came from, in order

    @property
    def name(self) -> str:
        """The field's name in the form: its path, dotted (``quality_indicators.1.id``)."""
        return ".".join(self.path)

    @property
    def id(self) -> str:
        """The HTML id of its input (or fieldset): ``champ-quality_indicators-1-id``."""
        return "champ-" + "-".join(self.path)

    @property
    def leaf(self) -> str:
        return self.path[-1]


# ---------------------------------------------------------------------------------------------- building
def event_model(event_type: str) -> type[BaseModel]:
    """The event model of a type (``self_assessment`` → :class:`SelfAssessment`)."""
    union = get_args(CycleEvent)[0]
    for model in get_args(union):
        if model.model_fields["type"].default == event_type:
            return model
    raise LookupError(event_type)


def _event_types() -> set[str]:
    return {model.model_fields["type"].default for model in get_args(get_args(CycleEvent)[0])}


def form_fields(form: str, choices: dict[str, list[tuple[str, str]]] | None = None,
                rows: dict[str, int] | None = None) -> list[FormField]:
    """The fields of a form: an event type's, or ``candidate`` (a new candidacy), from the model's JSON schema.

    ``choices``: the lists a field may offer, by source (``sites``, ``dossier_items``, ``tiers``, ``engagements``…,
    see :data:`CHOICE_SOURCES`), each ``[(value, label)]``; ``rows``: how many rows a list of objects shows at
    least, by its path (``"*"``: every list), beside the default of :data:`ROWS`.
    """
    model = Candidate if form == "candidate" else event_model(form)
    schema = model.model_json_schema()
    builder = _Builder(form, schema.get("$defs", {}), choices or {}, rows or {})
    return builder.object_fields(schema, ())


@dataclass
class _Builder:
    """Builds one form's fields from its model's JSON schema (``defs``: the schema's ``$defs``)."""

    form: str
    defs: dict[str, Any]
    choices: dict[str, list[tuple[str, str]]]
    rows: dict[str, int]

    def resolve(self, prop: dict[str, Any]) -> dict[str, Any]:
        """A property's schema with its ``$ref`` and ``anyOf`` resolved: an optional value's null left out, a
        Decimal's number-or-text read as a number (whether a value may be left empty is ``required``)."""
        if "anyOf" in prop:
            variants = [v for v in prop["anyOf"] if v.get("type") != "null"]
            if {v.get("type") for v in variants} == {"number", "string"}:
                merged = {"type": "number"}
            else:
                merged = variants[0] if variants else {}
            prop = {**merged, **{k: v for k, v in prop.items() if k != "anyOf"}}
        if "$ref" in prop:
            target = self.defs[prop["$ref"].rsplit("/", 1)[1]]
            return self.resolve({**target, **{k: v for k, v in prop.items() if k != "$ref"}})
        return prop

    def key(self, path: tuple[str, ...], table: dict[str, Any]) -> Any:
        """A table's entry for a path: ``<form>.<path>`` first, then ``<path>`` (list indices left out)."""
        plain = ".".join(p for p in path if not p.isdigit())
        return table.get(f"{self.form}.{plain}", table.get(plain))

    def object_fields(self, schema: dict[str, Any], prefix: tuple[str, ...]) -> list[FormField]:
        """The fields of an object's properties (the event's ``type`` and the form's exclusions left out)."""
        out = []
        excluded = EXCLUDED.get(self.form, set())
        for name, prop in schema.get("properties", {}).items():
            path = (*prefix, name)
            plain = ".".join(p for p in path if not p.isdigit())
            if name == "type" and not prefix or plain in excluded:
                continue
            out.append(self.field_of(path, prop, name in schema.get("required", [])))
        return out

    def field_of(self, path: tuple[str, ...], prop: dict[str, Any], required: bool) -> FormField:
        """One field, its widget chosen from its schema and the choices the page knows for it."""
        resolved = self.resolve(prop)
        label, hint = self.key(path, LABELS) or (resolved.get("title", path[-1]), resolved.get("description", ""))
        f = FormField(path=path, label=label, hint=hint, widget="text", required=required, value=resolved.get("default"))
        source = self.key(path, CHOICE_SOURCES)
        known = self.choices.get(source) if source else None
        kind = resolved.get("type")
        if "enum" in resolved:
            f.widget, f.choices = "select", [(v, CHOICES.get(v, v)) for v in resolved["enum"]]
        elif resolved.get("format") == "date":
            f.widget = "date"
        elif kind == "boolean":
            f.widget, f.value = "boolean", bool(f.value)
        elif kind == "integer":
            f.widget = "integer"
        elif kind == "number":
            f.widget = "decimal"
        elif kind == "array":
            self.array(f, resolved, known)
        elif kind == "object" and "properties" in resolved:
            f.widget, f.children = "group", self.object_fields(resolved, path)
        elif kind == "object":
            self.keyed(f, resolved, known)
        elif known is not None:
            f.widget, f.choices = "select", known
            if f.value is None:  # a field with a default (the territory) is shown chosen, never empty
                f.empty_choice = self.key(path, EMPTY_CHOICES) or ("Choisissez dans la liste" if required else "—")
        elif resolved.get("maxLength", 0) > SHORT_TEXT:
            f.widget = "textarea"
        return f

    def array(self, f: FormField, schema: dict[str, Any], known: list[tuple[str, str]] | None) -> None:
        """A list: rows of objects, numbers on one line, checkboxes of the known choices, or one text per line."""
        items = self.resolve(schema.get("items", {}))
        f.value = []
        if items.get("type") == "object":
            f.widget = "rows"
            count = max(self.key(f.path, ROWS) or DEFAULT_ROWS, self.rows.get(f.name, 0), self.rows.get("*", 0))
            f.children = [self.row(f, items, str(i)) for i in range(min(count, MAX_ROWS))]
        elif items.get("type") == "number":
            f.widget, f.value = "numbers", ""
        elif known is not None:
            f.widget, f.choices = "checkboxes", known
        else:
            f.widget, f.value = "lines", ""

    def row(self, f: FormField, items: dict[str, Any], index: str) -> FormField:
        noun = ROW_NAMES.get(f.leaf, "Ligne")
        return FormField(path=(*f.path, index), label=f"{noun} {int(index) + 1}", hint="", widget="group", required=False,
                         children=self.object_fields(items, (*f.path, index)))

    def keyed(self, f: FormField, schema: dict[str, Any], known: list[tuple[str, str]] | None) -> None:
        """A mapping: one child per known key (an engagement's number), each of the values' widget."""
        values = schema.get("additionalProperties", {})
        f.widget = "keyed"
        for key, label in known or []:
            child = self.field_of((*f.path, key), values, False)
            child.label, child.hint = label, ""
            f.children.append(child)


# ---------------------------------------------------------------------------------------------- reading
def read_form(form_type: str, fields: list[FormField], form: dict[str, list[str]]) -> dict[str, Any]:
    """The data as typed (empty optional fields left out); the fields keep what was typed, to show it again."""
    data: dict[str, Any] = {} if form_type == "candidate" else {"type": form_type}
    for f in fields:
        present, value = _read(f, form)
        if present:
            data[f.leaf] = value
    return data


def _walk(fields: list[FormField]) -> list[FormField]:
    out = []
    for f in fields:
        out.append(f)
        out.extend(_walk(f.children))
    return out


def _read(f: FormField, form: dict[str, list[str]]) -> tuple[bool, Any]:
    """(whether the field is sent, its value) — an empty optional field is not sent; an empty required one is
    sent as null, for the model to refuse as missing beside it."""
    if f.widget in ("group", "rows", "keyed"):
        return _read_group(f, form)
    values = form.get(f.name, [])
    if f.widget == "checkboxes":
        f.value = [v for v in values if v]
        return (bool(f.value) or f.required), f.value
    if f.widget == "boolean":
        f.value = bool(values and values[0])
        return f.value, True
    text = (values[0] if values else "").strip()
    f.value = text
    if f.widget == "lines":
        items = [line.strip() for line in text.splitlines() if line.strip()]
        return (bool(items) or f.required), items
    if f.widget == "numbers":
        parts = [p.strip().replace(",", ".") for p in re.split(r"[;\s]+", text) if p.strip()]
        return (bool(parts) or f.required), parts
    if not text:
        return f.required, None
    if f.widget == "decimal":
        return True, text.replace(" ", "").replace("\u202f", "").replace(",", ".")
    if f.widget == "integer" and _INTEGER.fullmatch(text):
        return True, int(text)
    return True, text


def _read_group(f: FormField, form: dict[str, list[str]]) -> tuple[bool, Any]:
    if f.widget == "rows":
        items, f.row_of = [], []
        for row in f.children:
            sent, value = _read_group(row, form)
            if sent:
                items.append(value)
                f.row_of.append(row.leaf)
        return (bool(items) or f.required), items
    data: dict[str, Any] = {}
    for child in f.children:
        sent, value = _read(child, form)
        if sent and (child.widget != "boolean" or value):
            data[child.leaf] = value
    touched = any(_typed(child) for child in f.children)
    return (touched or f.required), data


def _typed(f: FormField) -> bool:
    """Whether anything was typed or chosen in a field (or inside it)."""
    if f.children:
        return any(_typed(child) for child in f.children)
    return bool(f.value) and f.widget != "boolean" or (f.widget == "boolean" and bool(f.value))


# ---------------------------------------------------------------------------------------------- refusals
def validate(event: dict[str, Any]) -> Any:
    """The event as the engine reads it (raises :class:`ValidationError`, placed by :func:`place_model_errors`)."""
    return _EVENTS.validate_python(event)


def validate_candidate(data: dict[str, Any]) -> Candidate:
    return Candidate.model_validate(data)


def place_model_errors(form_type: str, fields: list[FormField], exc: ValidationError) -> str | None:
    """Each model refusal beside its field (the first per field); what no field holds, as one message."""
    general: str | None = None
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        if form_type != "candidate" and loc and loc[0] in _event_types():
            loc = loc[1:]  # the tagged union's type comes first
        message = model_message(error)
        found = _FIELD_PREFIX.match(str(error.get("msg", "")))
        if not loc and found:
            loc = found.group(1).split(".")
        if not place_error(form_type, fields, ".".join(loc), message):
            general = general or message
    return general


def place_error(form_type: str, fields: list[FormField], where: str | None, message: str) -> bool:
    """Put ``message`` beside the field ``where`` names (``quality_indicators.0.in_place_since``: the sent list's
    first item, i.e. the row it came from), or the nearest field holding it. False when no field does."""
    if not where:
        return False
    head, _, rest = where.partition(".")
    loc = [ALIASES.get((form_type, head), head), *(rest.split(".") if rest else [])]
    target = _find(fields, loc)
    if target is None:
        return False
    if target.error is None:
        target.error = message
    return True


def _find(fields: list[FormField], loc: list[str]) -> FormField | None:
    """The deepest field along ``loc`` (list indices read through the rows they came from)."""
    head = next((f for f in fields if f.leaf == loc[0]), None) if loc else None
    if head is None:
        return None
    rest = loc[1:]
    if head.widget == "rows" and rest and rest[0].isdigit():
        index = int(rest[0])
        row_name = head.row_of[index] if index < len(head.row_of) else rest[0]
        row = next((r for r in head.children if r.leaf == row_name), None)
        if row is None:
            return head
        return _find(row.children, rest[1:]) or row
    if rest and head.children:
        return _find(head.children, rest) or head
    return head


def shown(given: Any, quoted: bool = True) -> str:
    """What was typed, as a refusal repeats it: at most :data:`SHOWN_MAX` characters (the field keeps it all)."""
    text = repr(given) if quoted else str(given)
    return text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX - 1] + "…"


def model_message(error: Any) -> str:
    """A model's refusal as a person reads it, in French where the kind is a common one."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if given is None or kind == "missing":  # an empty field the model needs (sent as null by the form)
        return "Ce champ est obligatoire."
    if kind.startswith("date"):
        return f"Écrivez une date au format AAAA-MM-JJ, par exemple 2026-11-30 (reçu : {shown(given)})."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"Écrivez un nombre entier, par exemple 64 (reçu : {shown(given)})."
    if kind == "finite_number":
        return f"Écrivez un nombre fini, par exemple 72,5 (reçu : {shown(given)})."
    if kind == "decimal_max_digits":
        return "Ce nombre a trop de chiffres."
    if kind.startswith("decimal") or kind in ("float_parsing", "float_type"):
        return f"Écrivez un nombre, par exemple 72,5 (reçu : {shown(given)})."
    if kind in ("enum", "literal_error"):
        return f"Choisissez une valeur de la liste (reçu : {shown(given)})."
    if kind in ("greater_than_equal", "greater_than"):
        return f"La valeur est au moins {ctx.get('ge', ctx.get('gt'))} (reçu : {shown(given, quoted=False)})."
    if kind in ("less_than_equal", "less_than"):
        return f"La valeur est au plus {ctx.get('le', ctx.get('lt'))} (reçu : {shown(given, quoted=False)})."
    if kind == "too_short":
        return "Choisissez ou écrivez au moins un élément."
    if kind in ("string_too_long", "too_long"):
        return f"C'est trop long : au plus {ctx.get('max_length')} {'caractères' if kind == 'string_too_long' else 'éléments'}."
    if kind == "string_too_short":
        return "Ce champ est obligatoire."
    if kind == "string_pattern_mismatch":
        return "Lettres minuscules, chiffres et tirets seulement, en commençant par une lettre ou un chiffre (par exemple mairie-de-rive)."
    message = str(error.get("msg", "valeur refusée")).removeprefix("Value error, ")
    control = _CONTROL.match(message)
    if control:
        return f"Ce texte contient un caractère invisible (U+{control.group(1)}, position {control.group(2)}) : retirez-le."
    if message.startswith("the text holds a lone surrogate"):
        return "Ce texte contient un caractère invalide : écrivez-le à nouveau, ou collez-le depuis un texte en UTF-8."
    return message


def first_error_id(fields: list[FormField]) -> str | None:
    """The id of the first field in error (the page's summary links to it)."""
    for f in _walk(fields):
        if f.error is not None:
            return f.id
    return None


__all__ = ["FORM_TYPES", "LABELS", "TITLES", "FormField", "event_model", "first_error_id", "form_fields", "place_error",
           "place_model_errors", "read_form", "validate", "validate_candidate"]
