"""Event forms generated from the event models (spplus.lifecycle.events), read back into an event.

A form knows how to show a field and how to read what was typed; it knows no rule. Whether the event
is acceptable is the engine's answer (the cycle's update validator), shown beside the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ...lifecycle.events import CycleEvent

_EVENTS = TypeAdapter(CycleEvent)

# The event types that have a page form today (each one tested); the others are sent through the API or the CLI.
FORM_TYPES = ("self_assessment", "audit_dates")

TITLES = {
    "self_assessment": "Autodiagnostic",
    "audit_dates": "Dates d'audit",
}

LABELS = {
    "done_on": ("Date de l'autodiagnostic", "Format : AAAA-MM-JJ, le jour où il a été fait."),
    "global_result": ("Résultat global (facultatif)", "Sur 100, par exemple 72,5."),
    "audit": ("Audit", "Initial, ou de suivi."),
    "visit_start": ("Premier jour de la visite", "Format : AAAA-MM-JJ."),
    "visit_end": ("Dernier jour de la visite", "Format : AAAA-MM-JJ."),
    "sites": ("Sites visités", "Les sites tirés pour la visite."),
}

CHOICES = {"initial": "Audit initial", "followup": "Audit de suivi"}


@dataclass
class FormField:
    name: str
    label: str
    hint: str
    widget: str  # date, decimal, integer, select, sites, text
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    error: str | None = None


def _model(event_type: str) -> type:
    from typing import get_args

    union = get_args(CycleEvent)[0]
    for model in get_args(union):
        if model.model_fields["type"].default == event_type:
            return model
    raise LookupError(event_type)


def form_fields(event_type: str, sites: list[tuple[str, str]]) -> list[FormField]:
    """The fields of an event type's form, from its model's JSON schema (``type`` excepted)."""
    schema = _model(event_type).model_json_schema()
    defs = schema.get("$defs", {})
    out = []
    for name, prop in schema["properties"].items():
        if name == "type":
            continue
        if "$ref" in prop:
            prop = {**defs[prop["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in prop.items() if k != "$ref"}}
        kinds = [p.get("type") for p in prop.get("anyOf", [prop])]
        label, hint = LABELS.get(name, (prop.get("title", name), prop.get("description", "")))
        f = FormField(name=name, label=label, hint=hint, widget="text", required=name in schema.get("required", []),
                      value=prop.get("default"))
        if "enum" in prop:
            f.widget, f.choices = "select", [(v, CHOICES.get(v, v)) for v in prop["enum"]]
        elif prop.get("format") == "date":
            f.widget = "date"
        elif name == "sites" and prop.get("type") == "array":
            f.widget, f.choices, f.value = "sites", sites, []
        elif "number" in kinds:
            f.widget = "decimal"
        elif "integer" in kinds:
            f.widget = "integer"
        out.append(f)
    return out


def read_form(event_type: str, fields: list[FormField], form: dict[str, list[str]]) -> dict[str, Any]:
    """The event as typed (empty optional fields left out); the fields keep what was typed, to show it again."""
    event: dict[str, Any] = {"type": event_type}
    for f in fields:
        values = form.get(f.name, [])
        if f.widget == "sites":
            f.value = [v for v in values if v]
            event[f.name] = f.value
            continue
        text = (values[0] if values else "").strip()
        f.value = text
        if not text:
            if f.required:
                event[f.name] = None  # refused by the model, as a missing value, beside its field
            continue
        event[f.name] = text.replace(",", ".") if f.widget == "decimal" else text
    return event


def model_errors(exc: ValidationError) -> dict[str, str]:
    """The model's refusals by field (the first of each): what the engine would answer, before it is asked."""
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        name = loc[1] if len(loc) > 1 else (loc[0] if loc else "")  # (event type, field, …)
        kind = str(error.get("type", ""))
        if error.get("input") is None and kind in ("date_type", "missing", "list_type"):
            message = "Ce champ est obligatoire."
        elif kind.startswith("date"):
            message = f"Écrivez une date au format AAAA-MM-JJ, par exemple 2026-11-30 (reçu : {error.get('input')!r})."
        elif kind == "too_short" and name == "sites":
            message = "Choisissez au moins un site."
        else:
            message = str(error.get("msg", "valeur refusée"))
        out.setdefault(name, message)
    return out


def validate(event: dict[str, Any]) -> Any:
    return _EVENTS.validate_python(event)
