"""Issue 11, door 6: page tokens survive a restart and a second replica, and expire (freezegun for the clock)."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from spplus.api.pagetokens import PageTokenRefused, PageTokens, page_token_key

QUERY = "WorkflowType IN ('LabelCycle') AND SpCertificationBody = 'oc-alpha'"


def test_two_replicas_on_one_data_folder_read_each_others_tokens(tmp_path, monkeypatch):
    monkeypatch.delenv("SPPLUS_PAGE_TOKEN_SECRET", raising=False)
    first, second = PageTokens(page_token_key(tmp_path)), PageTokens(page_token_key(tmp_path))  # a restart is the same
    assert second.read(first.issue(b"temporal-page-2", QUERY), QUERY) == b"temporal-page-2"
    assert stat.S_IMODE(os.stat(tmp_path / "page-token.key").st_mode) == 0o600


def test_the_deployment_secret_is_shared_by_replicas_on_different_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SPPLUS_PAGE_TOKEN_SECRET", "a secret from the compose file")
    a, b = PageTokens(page_token_key(tmp_path / "a")), PageTokens(page_token_key(tmp_path / "b"))
    assert b.read(a.issue(b"p", QUERY), QUERY) == b"p"
    monkeypatch.setenv("SPPLUS_PAGE_TOKEN_SECRET", "rotated")
    with pytest.raises(PageTokenRefused, match="not a token this API gave"):
        PageTokens(page_token_key(tmp_path / "a")).read(a.issue(b"p", QUERY), QUERY)


def test_a_token_is_bound_to_its_query_and_cannot_be_forged(tmp_path):
    tokens = PageTokens(b"k" * 32)
    token = tokens.issue(b"p", QUERY)
    forged = "^page_token: not a token this API gave for this query$"  # not « expired »: never a valid token
    with pytest.raises(PageTokenRefused, match=forged):
        tokens.read(token, QUERY.replace("oc-alpha", "oc-beta"))  # another body's list
    with pytest.raises(PageTokenRefused, match=forged):
        tokens.read(token[:-4] + "AAAA", QUERY)
    with pytest.raises(PageTokenRefused, match=forged):
        tokens.read("not base64 at all é", QUERY)


def test_a_token_expires_after_its_lifetime():
    tokens = PageTokens(b"k" * 32, lifetime_seconds=3600)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    with freeze_time(start):
        token = tokens.issue(b"p", QUERY)
    with freeze_time(start + timedelta(minutes=59)):
        assert tokens.read(token, QUERY) == b"p"
    with freeze_time(start + timedelta(minutes=61)):
        with pytest.raises(PageTokenRefused, match="expired"):
            tokens.read(token, QUERY)
