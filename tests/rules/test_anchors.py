"""Each delay's anchor in rules/deadlines.yaml is the fact the engine counts it from, or the file is refused.

The engine passes a delay the date of one fact (the visit's first day for the complements, §3.5.2 « avant la visite
sur site »; the report's receipt for a central service's corrective actions, §3.7.2). A rule file naming another fact
would be read and ignored, so that the file and the dates disagree without a word: it is refused at its line.
"""

from __future__ import annotations

from spplus.rules.consistency import COUNTED_FROM
from spplus.rules.models import Anchor
from tests.test_yaml_loader import at, edit, folder, refusal, the_error, where  # noqa: F401

COMPLEMENTS = "{amount: 1, unit: days, direction: before, anchor: visit_start, movable: false}"


def test_every_delay_with_an_anchor_names_the_fact_the_engine_counts_from(rules) -> None:
    for key, anchor in COUNTED_FROM.items():
        dated = getattr(rules.deadlines, key)
        for entry in dated.values.values():
            assert entry.value.anchor == anchor, key
    # Every delay of the file that names an anchor is in the table: a new one cannot slip past the check.
    anchored = {name for name in type(rules.deadlines).model_fields
                if any(hasattr(entry.value, "anchor") for entry in getattr(getattr(rules.deadlines, name), "values", {}).values())}
    assert anchored and anchored == set(COUNTED_FROM)


def test_complements_counted_from_the_visits_last_day_are_refused_at_their_line(folder) -> None:
    # §3.5.2: the complements reach the body before the visit starts; a multi-day visit's last day is not that.
    text = edit(folder, "deadlines.yaml", COMPLEMENTS, COMPLEMENTS.replace("visit_start", "visit_end"))
    error = the_error(refusal(folder), folder, "deadlines.yaml", "counts complements from visit_start")
    line = where(text, "anchor: visit_end, movable: false")[0]
    assert error.line == line and "anchor: visit_start" in error.message
    assert COUNTED_FROM["central_corrective_actions"] == Anchor.report_received  # §3.7.2: from the report's receipt
