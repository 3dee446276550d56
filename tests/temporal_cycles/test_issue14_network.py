"""The §3.8.2 note's follow-up that lapses, through real central and local cycles on a Temporal dev server.

« En l'absence de labellisation du service public central … les services publics locaux audités et labellisés
conservent le bénéfice du résultat de leur audit … Ils devront se présenter à un audit de suivi à 18 mois si la
labellisation de leur service public central n'est pas intervenue entretemps. » (§3.8.2, note)

* A central service labelled tells its whole network, with one activity (activities/network.py tell_network) rather
  than one signal per local service: its history does not grow with the network.
* A local label owing that follow-up since its central service was refused drops it when told the central service is
  labelled (a new application, §3.8.2: possible 6 months after the refusal — a new central cycle; here its notice is
  sent by the activity itself, since a new application would draw its sample at random among the same services).

Networks of one local service: ⌈√1⌉ = 1 sampled (§3.1), ⌈0.75 × 1⌉ = 1 must be labelled (§2.2.2). The local service
scores 85 with surveys of 92 (users) and 85 (agents): « or » (§2.2.1); the central audit validates 18 of 20 control
points (90 % ≥ 75 %: labelled « or », the majority tier) or 14 of 20 (70 % < 75 %: refused).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from temporalio.api.enums.v1 import EventType
from temporalio.testing import ActivityEnvironment

from activities.network import NetworkNoticeRequest, tell_network
from spplus.network.machine import NetworkNotice

from . import test_central_cycle

central_factory = test_central_cycle.central_factory  # the fixture: a central cycle started on the server


async def until(read, condition, what: str, tries: int = 200):
    """The value ``read`` gives once ``condition`` holds on it (a signal or an activity is processed a moment later)."""
    value = None
    for _ in range(tries):
        value = await read()
        if condition(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: {value!r}")


async def test_a_central_label_tells_its_network_with_one_activity(central_factory):
    central = await central_factory(1)
    [local_id] = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits([local_id], t0, {local_id: 85})
    decided = await central.central_audit(t0 + timedelta(days=120), validated=18, total=20, tier="or")
    assert (await central.state()).label_status.value == "valid"

    async def scheduled():
        history = await central.handle.fetch_history()
        return [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                and e.activity_task_scheduled_event_attributes.activity_type.name == "tell_network"], history

    (calls, history) = await until(scheduled, lambda found: len(found[0]) == 1, "tell_network scheduled")
    payload = calls[0].activity_task_scheduled_event_attributes.input.payloads[0].data
    request = NetworkNoticeRequest.model_validate_json(payload)
    assert request.notice == NetworkNotice(kind="central_labelled", on=decided, central=central.candidate.id)
    assert request.local_ids == [local_id]

    async def completed():
        history = await central.handle.fetch_history()
        return [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]

    await until(completed, lambda done: any(b'1' == e.activity_task_completed_event_attributes.result.payloads[0].data
                                            for e in done), "tell_network told the local cycle")
    # The local service, labelled through this central service, owes no follow-up: the notice changes nothing for it.
    local = await central.local(local_id)
    view = await local.state()
    assert not [d for d in view.open_deadlines if d.key.startswith("label.followup")]
    assert any(d.key == "network.local_surveys" for d in view.open_deadlines)


async def test_a_follow_up_owed_since_a_central_refusal_lapses_when_the_central_service_is_labelled(central_factory, env):
    central = await central_factory(1)
    [local_id] = await central.sample(0)
    t0 = await central.today()
    await central.run_local_audits([local_id], t0, {local_id: 85})
    await central.central_audit(t0 + timedelta(days=120), validated=14, total=20, tier=None)
    assert (await central.state()).phase.value == "refused"
    # §3.8.2 note: the local label stands and owes the follow-up of §3.9.1, 18 months after its decision.
    local = await central.local(local_id)
    view = await until(local.state, lambda v: any(d.key == "label.followup_target" for d in v.open_deadlines),
                       "the local follow-up owed since the refusal")
    target = next(d for d in view.open_deadlines if d.key == "label.followup_target")
    assert target.due == view.attestation.valid_from + relativedelta(months=18)

    # The central service labelled « entretemps » (a new application, told by the activity as its cycle does): the
    # local follow-up lapses; the surveys of §3.9.2 are due 18 months after the initial audit (visit t0 + 60 days).
    # Each workflow keeps its own clock here: the local one is brought to the central one's day (the refusal's, or
    # later), which a new application labelled « entretemps » follows.
    relabelled = (await central.today()) + timedelta(days=1)
    await local.go_to(relabelled)
    told = await ActivityEnvironment(client=env.client).run(tell_network, NetworkNoticeRequest(
        notice=NetworkNotice(kind="central_labelled", on=relabelled, central=central.candidate.id),
        local_ids=[local_id, f"{local_id}-no-such-cycle"]))
    assert told == 1  # the cycle that runs; the other id has none, and is skipped
    view = await until(local.state, lambda v: not any(d.key.startswith("label.followup") for d in v.open_deadlines),
                       "the follow-up lapsed")
    surveys = next(d for d in view.open_deadlines if d.key == "network.local_surveys")
    assert surveys.due == t0 + timedelta(days=60) + relativedelta(months=18)
    assert view.label_status.value == "valid"
    [lapsed] = [e for e in await local.timeline() if e.kind == "network_notice" and "lapses" in e.summary]
    assert lapsed.on == relabelled and "§3.8.2" in lapsed.summary and "18 months" in lapsed.summary
