"""The custom search attributes a cycle keeps up to date, so that lists are one visibility query.

Within PostgreSQL's per-namespace limits (10 Keyword, 3 Text, 3 Datetime, 3 Int): 7 Keyword, 1 Text, 2 Datetime, 2 Int.

Besides its search attributes, a cycle carries a memo, :data:`LISTING`: what the lists and the public list show of
it and no query filters on (its name, territory, sites with their names, the day its label was obtained). A memo is
returned with each row of a visibility list, so the public list is still one query, never one per cycle.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

CANDIDATE = SearchAttributeKey.for_keyword("SpCandidate")
CERTIFICATION_BODY = SearchAttributeKey.for_keyword("SpCertificationBody")
PHASE = SearchAttributeKey.for_keyword("SpPhase")
LABEL_STATUS = SearchAttributeKey.for_keyword("SpLabelStatus")
TIER = SearchAttributeKey.for_keyword("SpTier")
RULES_EDITION = SearchAttributeKey.for_keyword("SpRulesEdition")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("SpNextDeadline")
LABEL_EXPIRY = SearchAttributeKey.for_datetime("SpLabelExpiry")
# Operators' lists (since 0.3.0): breaches recorded in the cycle, and deadlines missed and still not done.
BREACHES = SearchAttributeKey.for_int("SpBreaches")
OVERDUE = SearchAttributeKey.for_int("SpOverdue")
# The pages' filters (issue 13): the candidate's territory (rules/calendars.yaml territories), set at the start;
# and the words of its name and of its sites' names (:func:`searchable`), a Text attribute searched word by word
# (« mairie rive » finds « Mairie de Rive »), which a Keyword cannot do but by whole value or prefix.
TERRITORY = SearchAttributeKey.for_keyword("SpTerritory")
NAMES = SearchAttributeKey.for_text("SpNames")

ALL = [CANDIDATE, CERTIFICATION_BODY, PHASE, LABEL_STATUS, TIER, RULES_EDITION, NEXT_DEADLINE, LABEL_EXPIRY, BREACHES, OVERDUE,
       TERRITORY, NAMES]

# The memo key of a cycle's listing (see the module's docstring and :func:`listing`).
LISTING = "listing"
# Temporal refuses a search attribute value over 2 KB: the words kept stop short of it (the name's come first).
NAMES_MAX_CHARS = 1800


def words(text: str) -> list[str]:
    """The words of ``text`` as searched: lower case, without accents, letters and digits only
    (« Hôtel-de-Ville d'Évry » → hotel, de, ville, d, evry). Stored and searched alike, so a match does not
    depend on how the visibility store (PostgreSQL, SQLite) splits and folds text."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", plain)


def searchable(name: str, site_names: list[str]) -> str:
    """What :data:`NAMES` holds: the distinct words of the name, then of the sites' names, within NAMES_MAX_CHARS."""
    kept: list[str] = []
    length = 0
    for word in words(" ".join([name, *site_names])):
        if word in kept:
            continue
        if length + len(word) + 1 > NAMES_MAX_CHARS:
            break
        kept.append(word)
        length += len(word) + 1
    return " ".join(kept)


def listing(candidacy: Any, attestation: Any = None) -> dict[str, Any]:
    """The cycle's :data:`LISTING` memo: name, territory, the sites its label names (its attestation's, else the
    candidacy's sites in its perimeter) with their names, and the day the label was obtained (None before)."""
    sites = list(getattr(candidacy, "sites", None) or [])
    names = {site.id: site.name for site in sites}
    if attestation is not None:
        ids = list(attestation.sites)
    elif hasattr(candidacy, "sites_in_perimeter"):
        ids = candidacy.sites_in_perimeter()
    else:
        ids = list(names)
    return {
        "name": candidacy.name, "territory": getattr(candidacy, "territory", None),
        "sites": [{"id": i, "name": names.get(i, i)} for i in ids],
        "valid_from": attestation.valid_from.isoformat() if attestation is not None else None,
    }


def listed_words(memo: dict[str, Any]) -> str:
    """:data:`NAMES` for a :func:`listing`."""
    return searchable(memo.get("name") or "", [site["name"] for site in memo.get("sites") or []])


def initial_search_attributes(candidacy: Any, attestation: Any = None) -> TypedSearchAttributes:
    """What a cycle carries from its start, before it opens: its candidate, its body, phase ``opening``, its
    territory and the words of its names.

    The API reads the body from here to decide who may see a cycle, even while it pins its rules. A
    continue-as-new keeps them (Temporal copies a run's search attributes to the next).
    """
    pairs = [
        SearchAttributePair(CANDIDATE, candidacy.id),
        SearchAttributePair(CERTIFICATION_BODY, candidacy.certification_body),
        SearchAttributePair(PHASE, "opening"),
    ]
    if getattr(candidacy, "territory", None):
        pairs.append(SearchAttributePair(TERRITORY, candidacy.territory))
    named = listed_words(listing(candidacy, attestation))
    if named:
        pairs.append(SearchAttributePair(NAMES, named))
    return TypedSearchAttributes(pairs)


def initial_memo(candidacy: Any, attestation: Any = None) -> dict[str, Any]:
    """The memo a cycle starts with (its run then keeps it true, see ``workflows/cycle.py``)."""
    return {LISTING: listing(candidacy, attestation)}
