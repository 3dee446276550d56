"""A contract is « signed » on its territory's date: not yet tomorrow in Paris because it is tomorrow in Nouméa.

Found by a new user at 16:00 Paris on 30 November 2026: a candidacy in France métropolitaine with a contract dated
1 December opened, because the check before any cycle starts took the latest date on Earth (UTC+14). The clock
here is frozen (freezegun): 15:00 UTC is 16:00 in Paris (UTC+1 in winter) and 02:00 the next day in Nouméa (UTC+11).
"""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from spplus import client as engine
from tests.temporal_cycles.conftest import new_candidate


@freeze_time("2026-11-30 15:00:00", tz_offset=0)
def test_a_contract_dated_tomorrow_in_paris_is_refused_there_and_accepted_in_noumea():
    with pytest.raises(engine.EngineError) as refused:
        engine._refuse_unfit_candidacy(new_candidate(date(2026, 12, 1)), None)
    assert refused.value.field == "contract_signed"
    assert "2026-12-01 is in the future (today is 2026-11-30)" in refused.value.message
    engine._refuse_unfit_candidacy(new_candidate(date(2026, 12, 1), territory="nouvelle-caledonie"), None)  # 1 Dec there
    engine._refuse_unfit_candidacy(new_candidate(date(2026, 11, 30)), None)  # today in Paris


@freeze_time("2026-11-30 09:00:00", tz_offset=0)
def test_in_tahiti_the_contract_of_the_paris_date_is_not_yet_signed():
    # 09:00 UTC is 23:00 on 29 November in Papeete (UTC−10): a contract of 30 November is tomorrow there.
    with pytest.raises(engine.EngineError, match="today is 2026-11-29"):
        engine._refuse_unfit_candidacy(new_candidate(date(2026, 11, 30), territory="polynesie-francaise"), None)
