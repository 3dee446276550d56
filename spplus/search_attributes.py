"""The custom search attributes a cycle keeps up to date, so that lists are one visibility query.

Within PostgreSQL's per-namespace limits (10 Keyword, 3 Datetime, 3 Int): 6 Keyword, 2 Datetime, 2 Int.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

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

ALL = [CANDIDATE, CERTIFICATION_BODY, PHASE, LABEL_STATUS, TIER, RULES_EDITION, NEXT_DEADLINE, LABEL_EXPIRY, BREACHES, OVERDUE]


def initial_search_attributes(candidacy: Any) -> TypedSearchAttributes:
    """What a cycle carries from its start, before it opens: its candidate, its body, phase ``opening``.

    The API reads the body from here to decide who may see a cycle, even while it pins its rules.
    """
    return TypedSearchAttributes([
        SearchAttributePair(CANDIDATE, candidacy.id),
        SearchAttributePair(CERTIFICATION_BODY, candidacy.certification_body),
        SearchAttributePair(PHASE, "opening"),
    ])
