"""Transfers of a candidacy to another body: pending until the receiving body accepts, decided once."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from spplus.records import (AlreadyDecided, BodyRegister, NotAuthorised, TransferConflict, TransferStatus,
                            TransferStore, UnknownBody, UnknownTransfer, db)

ON = date(2026, 5, 1)
RENEWAL = {"type": "renewal", "certification_body": "oc-beta", "contract_signed": "2026-04-20"}


@pytest.fixture
def transfers(db_url) -> TransferStore:
    register = BodyRegister(db_url)
    register.add("oc-alpha", "OC Alpha", date(2023, 8, 31), by="DITP")
    register.add("oc-beta", "OC Beta", date(2023, 8, 31), by="DITP")
    register.add("oc-gamma", "OC Gamma", date(2023, 8, 31), date(2026, 5, 31), by="DITP")
    return TransferStore(db_url)


def test_request_then_accept_once(transfers):
    asked = transfers.request("mairie-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)
    assert (asked.status, asked.decided_by, asked.event) == (TransferStatus.pending, None, RENEWAL)
    assert transfers.list_for("oc-beta") == [asked]  # addressed to it, pending
    assert transfers.list_for("oc-alpha") == [asked]  # sent by it
    assert transfers.list_for("oc-gamma") == []
    accepted = transfers.accept(asked.id, by="OC Beta", on=ON)
    assert (accepted.status, accepted.decided_by) == (TransferStatus.accepted, "OC Beta")
    assert accepted.decided_at is not None and accepted.decided_at.tzinfo is not None
    with pytest.raises(AlreadyDecided, match=f"transfer {asked.id} was already accepted by OC Beta") as again:
        transfers.accept(asked.id, by="OC Beta", on=ON)
    assert again.value.transfer == accepted
    for decide in (transfers.refuse, transfers.cancel):
        with pytest.raises(AlreadyDecided):
            decide(asked.id, by="OC Alpha")
    assert transfers.get(asked.id) == accepted
    assert transfers.list_for("oc-beta") == []  # decided: no longer waiting for it
    assert transfers.list_for("oc-alpha") == [accepted]  # the sender keeps seeing what became of it


def test_refuse_and_cancel_each_once(transfers):
    first = transfers.request("mairie-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)
    assert transfers.refuse(first.id, by="OC Beta").status == TransferStatus.refused
    second = transfers.request("mairie-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)
    assert transfers.cancel(second.id, by="OC Alpha").status == TransferStatus.cancelled
    with pytest.raises(AlreadyDecided, match="already cancelled by OC Alpha"):
        transfers.accept(second.id, by="OC Beta", on=ON)
    assert [t.status for t in transfers.list()] == [TransferStatus.refused, TransferStatus.cancelled]
    with pytest.raises(UnknownTransfer):
        transfers.refuse("tr-nope", by="OC Beta")


def test_one_transfer_waits_at_a_time_per_candidacy(transfers):
    asked = transfers.request("mairie-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)
    with pytest.raises(TransferConflict, match=f"already has a transfer to oc-beta waiting .*{asked.id}"):
        transfers.request("mairie-de-rive", "oc-alpha", "oc-gamma", {"type": "renewal"}, by="OC Alpha", on=ON)
    transfers.request("gare-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)  # another candidacy
    assert len(transfers.list(TransferStatus.pending)) == 2


def test_only_a_registered_and_authorised_body_receives(transfers):
    with pytest.raises(UnknownBody, match="oc-zeta is not in the register"):
        transfers.request("mairie-de-rive", "oc-alpha", "oc-zeta", {"type": "renewal"}, by="OC Alpha", on=ON)
    with pytest.raises(NotAuthorised, match="oc-gamma's authorisation ended on 2026-05-31"):
        transfers.request("mairie-de-rive", "oc-alpha", "oc-gamma", {"type": "renewal"}, by="OC Alpha",
                          on=date(2026, 6, 1))
    with pytest.raises(ValueError, match="same body"):
        transfers.request("mairie-de-rive", "oc-alpha", "oc-alpha", {"type": "renewal"}, by="OC Alpha", on=ON)
    with pytest.raises(ValueError, match="must be the same body"):
        transfers.request("mairie-de-rive", "oc-alpha", "oc-gamma", RENEWAL, by="OC Alpha", on=ON)
    # Authorised when asked, no longer when it would accept: refused, and the transfer still waits.
    asked = transfers.request("mairie-de-rive", "oc-alpha", "oc-gamma", {"type": "renewal"}, by="OC Alpha", on=ON)
    with pytest.raises(NotAuthorised, match="ended on 2026-05-31"):
        transfers.accept(asked.id, by="OC Gamma", on=date(2026, 6, 2))
    assert transfers.get(asked.id).status == TransferStatus.pending


@pytest.mark.parametrize("decisions", ["accept", "mixed"])
def test_replicas_deciding_at_once_exactly_one_wins(db_url, transfers, decisions):
    """Eight API replicas (an engine and a pool each) decide the same transfer at the same instant."""
    asked = transfers.request("mairie-de-rive", "oc-alpha", "oc-beta", RENEWAL, by="OC Alpha", on=ON)
    engines = [db.make_engine(db_url) for _ in range(8)]
    replicas = [TransferStore(engine) for engine in engines]
    for replica in replicas:  # each has its connection open already, so they really start together
        replica.get(asked.id)
    start = threading.Barrier(len(replicas))
    won: list[tuple[int, TransferStatus]] = []
    lost: list[int] = []
    failed: list[BaseException] = []

    def decide(index: int, replica: TransferStore) -> None:
        kind = "accept" if decisions == "accept" else ("accept", "refuse", "cancel")[index % 3]
        start.wait()
        try:
            if kind == "accept":
                result = replica.accept(asked.id, by=f"replica {index}", on=ON)
            else:
                result = getattr(replica, kind)(asked.id, by=f"replica {index}")
            won.append((index, result.status))
        except AlreadyDecided:
            lost.append(index)
        except BaseException as exc:  # noqa: BLE001 — reported below
            failed.append(exc)

    threads = [threading.Thread(target=decide, args=(i, r)) for i, r in enumerate(replicas)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()
    assert failed == []
    assert len(won) == 1 and len(lost) == len(replicas) - 1
    final = transfers.get(asked.id)
    assert (final.decided_by, final.status) == (f"replica {won[0][0]}", won[0][1])
