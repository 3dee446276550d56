"""Shared fixtures: the project's rule set, loaded once, and working calendars built from it."""

from __future__ import annotations

from datetime import date

import pytest

from spplus.calendar import WorkingCalendar
from spplus.holiday_source import working_calendar
from spplus.rules.loader import load_rules
from spplus.rules.models import RuleSet


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="session")
def calendar_for(rules: RuleSet):
    cache: dict[str, WorkingCalendar] = {}

    def build(territory: str = "metropole") -> WorkingCalendar:
        if territory not in cache:
            cache[territory] = working_calendar(rules, territory, 2023, 2032, date(2026, 1, 1))
        return cache[territory]

    return build
