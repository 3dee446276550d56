"""Opening a central candidacy: the random draw of local services, and the wait for their decisions.

* §3.1, §3.3: the certification body audits « au moins (√n) services publics locaux … sélectionnés de
  manière aléatoire » (n: local services attached), « en arrondissant si nécessaire à l'entier supérieur ».
  The engine draws ``random.Random(seed).sample(sorted(population), k)`` with a seed the workflow gives
  and records it on the timeline, so anyone can redo the draw.
* §3.7.2: « l'audit du service public central est organisé après que les services publics locaux
  rattachés au candidat auront été audités (et les résultats d'audit disponibles pour chacun d'entre eux) ».
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from spplus.lifecycle.common import EventRefused
from spplus.network.machine import check
from spplus.network.state import CentralPhase

from .central_driver import CONTRACT, LOCALS_DECIDED, VISIT, CentralDriver, network, seed_for


def audit_dates(start: date = VISIT) -> dict:
    return {"type": "central_audit_dates", "visit_start": start.isoformat(), "visit_end": start.isoformat()}


@pytest.mark.parametrize(("n", "k"), [(1, 1), (4, 2), (16, 4), (100, 10), (101, 11), (2000, 45)])
def test_opening_draws_the_ceiling_of_the_square_root(rules, calendar_for, n, k):
    """§3.1, §3.3: ⌈√n⌉ — √4 = 2, √16 = 4, √100 = 10, √101 ≈ 10.05 → 11, √2000 ≈ 44.7 → 45 (44² = 1936)."""
    d = CentralDriver(rules, calendar_for(), n=n)
    [draw] = d.state.samples
    assert draw.size == k and len(draw.drawn) == k and len(set(draw.drawn)) == k
    assert draw.population == sorted(s["id"] for s in network(n))
    assert set(draw.drawn) <= set(d.state.network_ids)
    assert d.sample(0) == draw.drawn and d.state.audited == draw.drawn
    assert d.state.phase == CentralPhase.network_audits and d.state.year == 0


@pytest.mark.parametrize("n", [16, 101, 2000])
def test_the_draw_is_reproducible_from_the_seed_on_the_timeline(rules, calendar_for, n):
    """§3.3 (« sélectionnés de manière aléatoire »): random.Random(seed).sample(sorted(population), k) redoes it."""
    d = CentralDriver(rules, calendar_for(), n=n)
    [draw] = d.state.samples
    [entry] = d.entries("sample_drawn")
    seed = entry.data["seed"]
    assert seed == draw.seed
    assert random.Random(seed).sample(sorted(s["id"] for s in network(n)), draw.size) == draw.drawn
    assert f"seed {seed}" in entry.summary
    assert f"random.Random({seed}).sample(sorted(population), {draw.size})" in entry.summary
    assert entry.data["drawn"] == draw.drawn and entry.data["population"] == n


def test_start_locals_lists_exactly_the_drawn_services(rules, calendar_for):
    """§3.3: each drawn local service runs its own audit — the effects start exactly those cycles."""
    d = CentralDriver(rules, calendar_for(), n=100)
    by_id = {s.id: s for s in d.candidate.local_services}
    assert [s.id for s in d.opening.start_locals] == d.state.samples[0].drawn
    assert d.opening.start_locals == [by_id[i] for i in d.state.samples[0].drawn]
    assert d.opening.tell_locals == {}


def test_the_same_seeds_give_the_same_sample(rules, calendar_for):
    """§3.3: a replayed workflow (same named random streams) draws the same services."""
    first = CentralDriver(rules, calendar_for(), n=2000)
    again = CentralDriver(rules, calendar_for(), n=2000)
    assert first.state.samples[0].drawn == again.state.samples[0].drawn
    other = CentralDriver(rules, calendar_for(), n=2000, seed=lambda purpose: seed_for("another stream " + purpose))
    assert other.state.samples[0].seed != first.state.samples[0].seed
    assert other.state.samples[0].drawn != first.state.samples[0].drawn  # 45 of 2000: a collision is out of reach


def test_the_order_the_network_is_listed_in_does_not_change_the_draw(rules, calendar_for):
    """§3.3: the population is sorted before the draw, so listing the network differently changes nothing."""
    listed = network(100)
    shuffled = listed[:]
    random.Random(7).shuffle(shuffled)
    a = CentralDriver(rules, calendar_for(), local_services=listed)
    b = CentralDriver(rules, calendar_for(), local_services=list(reversed(listed)))
    c = CentralDriver(rules, calendar_for(), local_services=shuffled)
    assert a.state.samples[0].drawn == b.state.samples[0].drawn == c.state.samples[0].drawn
    assert a.state.samples[0].population == b.state.samples[0].population == c.state.samples[0].population


# ---------------------------------------------------------------------------------------------- waiting for the locals
def test_the_central_audit_is_refused_while_a_sampled_local_service_is_undecided(rules, calendar_for):
    """§3.7.2: the central audit comes after the sampled local services were audited, their results known."""
    d = CentralDriver(rules, calendar_for(), n=16)
    first, second, third, fourth = d.sample(0)
    message = d.refused(audit_dates())
    assert "§3.7.2" in message and all(s in message for s in (first, second, third, fourth))
    d.pass_to(LOCALS_DECIDED)
    d.local(first, "bronze")
    d.local(second, None)
    d.local(third, "or")
    message = d.refused(audit_dates())
    assert fourth in message and first not in message and second not in message and third not in message
    assert d.state.phase == CentralPhase.network_audits
    d.local(fourth, "argent")
    assert d.state.phase == CentralPhase.central_audit
    assert d.entries("network_audited")
    d.send(audit_dates())
    assert d.state.current_audit is not None and d.state.current_audit.visit_start == VISIT


def test_every_other_central_step_waits_for_the_audit_dates(rules, calendar_for):
    """§3.7.2: plan, visit, report and decision belong to a central audit whose dates are set."""
    d = CentralDriver(rules, calendar_for(), n=4)
    assert "dates" in d.refused({"type": "audit_plan", "sent_on": CONTRACT.isoformat(), "auditors": ["E. Roux"]})
    assert "dates" in d.refused({"type": "central_visit", "control_points": [True]})
    assert "dates" in d.refused({"type": "central_decision", "decided_on": CONTRACT.isoformat(), "tier": "bronze"})


def test_a_decision_for_a_service_not_in_the_sample_changes_nothing(rules, calendar_for):
    """§3.3: only the drawn services count for the year (a stray signal is ignored)."""
    d = CentralDriver(rules, calendar_for(), n=16)
    outsider = next(s for s in d.state.network_ids if s not in d.sample(0))
    d.pass_to(LOCALS_DECIDED)
    before = d.state.model_dump()
    effects = d.local(outsider, "or")
    assert d.state.model_dump() == before
    assert effects.start_locals == [] and effects.tell_locals == {} and effects.notes == []
    assert d.local("not-a-caf", "or").notes == [] and d.state.model_dump() == before


def test_a_decision_signalled_twice_changes_nothing(rules, calendar_for):
    """§3.7.2: a local result is known once; a repeated signal (even with another tier) is ignored."""
    d = CentralDriver(rules, calendar_for(), n=16)
    first = d.sample(0)[0]
    d.pass_to(LOCALS_DECIDED)
    d.local(first, "bronze")
    before = d.state.model_dump()
    d.local(first, "or", LOCALS_DECIDED + timedelta(days=3))
    assert d.state.model_dump() == before
    assert d.state.results[first].tier == "bronze"


def test_year_n_reaches_the_central_audit_even_below_75_percent(rules, calendar_for):
    """§3.8.2: in year N the body decides on the results as they are (a refusal is possible); presenting more
    services is the follow-up years' rule (§3.9.2)."""
    d = CentralDriver(rules, calendar_for(), n=16)
    d.pass_to(LOCALS_DECIDED)
    d.decide_sample([None, None, None, "bronze"])
    assert d.state.phase == CentralPhase.central_audit
    assert not d.entries("network_shortfall")


def test_a_repeated_event_id_is_applied_once(rules, calendar_for):
    """The body's retried send (same event id, same event) is recorded once; the same id with another
    event is refused, never taken for the first (issue 10, kind 3: a key is bound to its request)."""
    d = CentralDriver(rules, calendar_for(), n=16)
    first = {"type": "network_reports", "year": 2026, "kind": "self_assessment", "produced_by": d.state.network_ids[:3]}
    d.send(first, event_id="reports-1")
    before = d.state.model_dump()
    d.send(first, event_id="reports-1")
    assert d.state.model_dump() == before
    other = {"type": "network_reports", "year": 2026, "kind": "self_assessment", "produced_by": d.state.network_ids}
    with pytest.raises(EventRefused, match="this key was already used for another request"):
        check(d.state, d.envelope(other, "reports-1"), d.today)
    assert d.state.reports["2026:self_assessment"] == d.state.network_ids[:3]
