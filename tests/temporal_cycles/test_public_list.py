"""The public list of labelled services, as the DITP publishes it (§2.3, §3.8.1, §5.3.1, §5.3.2), on a real
Temporal dev server with per-workflow time skipping: each row is read from the server's visibility store
(spplus.client.public_list), never from the cycle's own state.

What the guide says (seed 002):

* §2.3, §3.8.1: « Le service public labellisé est inscrit sur la liste des services publics labellisés diffusée
  sur les sites internet de la DITP »; the label is « valable pour une durée de trois ans à partir de sa date
  d'obtention » (the digest: decided on D, valid up to but not including D + 3 years, the expiry).
* §5.3.1: a suspension « entraîne, durant toute la période de la suspension, la publication de cette information
  sur le site de la DITP »; « le délai maximum de suspension … est de 12 mois »; « la levée de la suspension
  n'entraîne pas de prolongation de la durée de validité ».
* §5.3.2: the withdrawal implies « le retrait du service public concerné de la liste des services publics
  labellisés publiée sur le site de la DITP à partir de la date effective du retrait »; at the end of the 3-year
  cycle without renewal « il perd ainsi son label à échéance de validité de l'attestation ».
* A suspension not lifted after 12 months: §5.3.2 « une décision de retrait … peut être prise … si le service
  public labellisé n'a pas pris les mesures requises pour lever une décision de suspension ». The guide leaves
  it to the body; rules/procedures.yaml automatic_actions.withdraw_when_suspension_not_lifted: true (the rule
  file's choice) makes the engine withdraw on the day the 12 months are reached.

Each test labels a fresh cycle bronze (steps.audit: visit 60 days after today, report 10 days later, decision
11 days after the report) and counts every later date from that decision D by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from spplus import client as engine

from .steps import audit, prerequisites

DAY = timedelta(days=1)


async def row_of(cycle) -> dict[str, Any] | None:
    rows = [r for r in await engine.public_list(cycle.client) if r["candidate"] == cycle.candidate.id]
    assert len(rows) <= 1, rows  # one row per label
    return rows[0] if rows else None


async def listed(cycle, expected: Callable[[dict[str, Any] | None], bool], what: str) -> dict[str, Any] | None:
    """The cycle's row once the visibility store shows ``expected`` (it is updated a moment after the cycle acts)."""
    row = None
    for _ in range(100):
        row = await row_of(cycle)
        if expected(row):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: the public list shows {row!r}")


def shown(tier: str, status: str, expires: date) -> Callable[[dict[str, Any] | None], bool]:
    return lambda row: row is not None and (row["tier"], row["status"], row["suspended"], row["expires"]) == \
        (tier, status, status == "suspended", expires.isoformat())


def absent(row: dict[str, Any] | None) -> bool:
    return row is None


async def labelled_bronze(cycle) -> date:
    t0 = await cycle.today()
    await prerequisites(cycle, t0, user_note=75, agent_note=55)  # bronze-level surveys (§2.2.1)
    return await audit(cycle, t0 + timedelta(days=60), score=60, tier="bronze")


# ---------------------------------------------------------------------------------------------- suspended
async def test_a_suspended_label_is_listed_as_suspended_while_it_lasts_and_as_valid_once_lifted(cycle):
    decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)  # §2.3
    row = await listed(cycle, shown("bronze", "valid", expiry), "labelled (§3.8.1)")
    assert row["certification_body"] == "oc-alpha"

    # §5.3.1: suspended at the service's own request 30 days after the decision: shown as suspended that day…
    suspended = decided + timedelta(days=30)
    await cycle.go_to(suspended)
    await cycle.send({"type": "suspension", "reason": "own-request", "effective": suspended.isoformat(), "note": "réorganisation"})
    await listed(cycle, shown("bronze", "suspended", expiry), "suspended (§5.3.1)")

    # …and « durant toute la période de la suspension »: still so 200 days later.
    lifted = suspended + timedelta(days=200)
    await cycle.go_to(lifted)
    await listed(cycle, shown("bronze", "suspended", expiry), "200 days into the suspension (§5.3.1)")

    # Lifted: listed as valid again, the expiry unchanged (« n'entraîne pas de prolongation »).
    await cycle.send({"type": "suspension_lifted", "effective": lifted.isoformat()})
    await listed(cycle, shown("bronze", "valid", expiry), "lifted (§5.3.1)")


async def test_a_suspension_not_lifted_leaves_the_list_when_its_12_months_end(cycle):
    decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)
    suspended = decided + timedelta(days=10)
    await cycle.go_to(suspended)
    await cycle.send({"type": "suspension", "reason": "mark-misuse", "effective": suspended.isoformat()})
    await listed(cycle, shown("bronze", "suspended", expiry), "suspended (§5.3.1)")

    # §5.3.1: at most 12 months: the last day of the suspension is the day before suspended + 12 months.
    ends = suspended + relativedelta(months=12)
    await cycle.go_to(ends - DAY)
    await listed(cycle, shown("bronze", "suspended", expiry), "the suspension's last day (§5.3.1)")
    # rules/procedures.yaml withdraw_when_suspension_not_lifted: withdrawn on that date, off the list (§5.3.2).
    await cycle.go_to(ends)
    await listed(cycle, absent, "withdrawn when the 12 months of suspension ended (§5.3.2)")
    state = await cycle.state()
    assert state.withdrawal["effective"] == ends.isoformat() and state.withdrawal["reason"] == "suspension-not-lifted"


# ---------------------------------------------------------------------------------------------- withdrawn
async def test_a_withdrawn_label_leaves_the_list_on_its_effective_date_and_stays_off(cycle):
    decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)
    withdrawn = decided + timedelta(days=100)
    await cycle.go_to(withdrawn - DAY)
    await listed(cycle, shown("bronze", "valid", expiry), "the day before the withdrawal")

    await cycle.go_to(withdrawn)
    await listed(cycle, shown("bronze", "valid", expiry), "the withdrawal day, before it is notified")
    await cycle.send({"type": "withdrawal", "reason": "mark-rules-broken", "effective": withdrawn.isoformat()})
    await listed(cycle, absent, "withdrawn (§5.3.2: « à partir de la date effective du retrait »)")

    # The cycle goes on until the mark is dropped (§5.3.2: within 2 months), but the label is not listed again.
    state = await cycle.state()
    assert state.withdrawal["mark_removed_by"] == (withdrawn + relativedelta(months=2)).isoformat()
    await cycle.go_to(withdrawn + relativedelta(months=1))
    await listed(cycle, absent, "a month after the withdrawal")


async def test_a_withdrawal_of_a_suspended_label_takes_it_off_the_list(cycle):
    """§5.3.2 « si le service public labellisé n'a pas pris les mesures requises pour lever une décision de
    suspension »: the body withdraws before the 12 months; off the list on the effective date."""
    decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)
    suspended = decided + timedelta(days=20)
    await cycle.go_to(suspended)
    await cycle.send({"type": "suspension", "reason": "audit-refused", "effective": suspended.isoformat()})
    await listed(cycle, shown("bronze", "suspended", expiry), "suspended (§5.3.1)")
    withdrawn = suspended + timedelta(days=90)
    await cycle.go_to(withdrawn)
    await cycle.send({"type": "withdrawal", "reason": "suspension-not-lifted", "effective": withdrawn.isoformat()})
    await listed(cycle, absent, "withdrawn while suspended (§5.3.2)")


# ---------------------------------------------------------------------------------------------- expired
async def test_a_label_not_renewed_leaves_the_list_on_its_expiry_date(cycle):
    """§2.3, §5.3.2: decided on D, the label holds to D + 3 years − 1 day, its last valid day, and « il perd ainsi
    son label à échéance de validité »: on D + 3 years it is no longer listed. (No follow-up audit is held here:
    the window's close is a breach the body is told of, and the label still holds, §3.9.1, §5.3.2.)"""
    decided = await labelled_bronze(cycle)
    expiry = decided + relativedelta(years=3)
    await cycle.go_to(expiry - DAY)
    await listed(cycle, shown("bronze", "valid", expiry), "the last valid day (§2.3)")
    await cycle.go_to(expiry)
    await listed(cycle, absent, "expired (§5.3.2)")
    state = await cycle.state()
    assert state.label_status.value == "expired" and state.withdrawal["effective"] == expiry.isoformat()
