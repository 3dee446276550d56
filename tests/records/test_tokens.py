"""API tokens in the records' database: shown once, kept hashed, revoked for every replica at once."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import datetime, timezone

import pytest
from structlog.testing import capture_logs

from spplus.api.tokens import Role, Token, TokenStore
from spplus.records import db


def test_create_authenticate_list_revoke(db_url):
    tokens = TokenStore(db_url)
    alpha, alpha_secret = tokens.create(Role.body, "OC Alpha, bureau de Lyon", "oc-alpha")
    ditp, ditp_secret = tokens.create(Role.ditp, "DITP")
    assert alpha_secret.startswith("spp_") and alpha_secret not in alpha.model_dump_json()
    assert alpha.hash == hashlib.sha256(alpha_secret.encode()).hexdigest()
    assert tokens.authenticate(alpha_secret) == alpha
    assert tokens.authenticate(ditp_secret).role == Role.ditp
    assert tokens.authenticate("spp_forged") is None
    assert tokens.authenticate(alpha.hash) is None  # the stored hash is not a secret that works
    assert [t.id for t in tokens.list()] == [alpha.id, ditp.id]
    assert tokens.list()[0].created.tzinfo is not None
    revoked = tokens.revoke(alpha.id)
    assert revoked.revoked is not None
    assert tokens.authenticate(alpha_secret) is None
    assert tokens.revoke(alpha.id).revoked == revoked.revoked  # again: the first date stays
    assert tokens.authenticate(ditp_secret) is not None
    with pytest.raises(KeyError, match="no token 'nope'"):
        tokens.revoke("nope")


def test_a_body_token_names_its_body_and_only_it(db_url):
    tokens = TokenStore(db_url)
    with pytest.raises(ValueError, match="names its certification body"):
        tokens.create(Role.body, "no body")
    with pytest.raises(ValueError, match="names its certification body"):
        tokens.create(Role.operator, "astreinte", "oc-alpha")
    assert tokens.list() == []


def test_two_replicas_one_revokes_the_other_refuses_at_once(db_url):
    """Two API replicas, each with its own engine and pool on the one database."""
    first, second = db.make_engine(db_url), db.make_engine(db_url)
    try:
        replica_a, replica_b = TokenStore(first), TokenStore(second)
        token, secret = replica_a.create(Role.body, "OC Beta", "oc-beta")
        kept, kept_secret = replica_b.create(Role.operator, "astreinte")
        assert replica_b.authenticate(secret) == token
        assert replica_a.authenticate(kept_secret) == kept
        replica_a.revoke(token.id)
        assert replica_b.authenticate(secret) is None
        # Written at the same time from both sides, nothing is lost (the file era's lost revocation).
        others = [replica_a.create(Role.ditp, f"a{i}")[0] for i in range(3)]
        replica_b.revoke(kept.id)
        assert {t.id for t in replica_a.list()} == {token.id, kept.id, *(t.id for t in others)}
        assert {t.id for t in replica_a.list() if t.revoked} == {token.id, kept.id}
    finally:
        first.dispose()
        second.dispose()


def _legacy_file(folder, secret: str = "spp_legacy-secret") -> tuple[list[dict], str]:
    """A tokens.json as the file-era TokenStore wrote it."""
    now = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    items = [
        Token(id="1a2b3c4d", name="OC Alpha", role=Role.body, body="oc-alpha",
              hash=hashlib.sha256(secret.encode()).hexdigest(), created=now),
        Token(id="5e6f7a8b", name="ancien", role=Role.operator, hash=hashlib.sha256(b"spp_old").hexdigest(),
              created=now, revoked=datetime(2026, 4, 1, tzinfo=timezone.utc)),
    ]
    data = [t.model_dump(mode="json") for t in items]
    (folder / "tokens.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data, secret


def test_a_legacy_tokens_json_is_imported_once_and_renamed(db_url, tmp_path):
    data, secret = _legacy_file(tmp_path)
    with capture_logs() as logs:
        tokens = TokenStore(db_url, legacy_file=tmp_path / "tokens.json")
    assert not (tmp_path / "tokens.json").exists()
    assert json.loads((tmp_path / "tokens.json.imported").read_text()) == data
    assert [(e["event"], e["imported"]) for e in logs if "legacy" in e["event"]] == [
        ("legacy tokens imported into the database", 2)]
    found = tokens.authenticate(secret)
    assert found is not None and (found.id, found.body, found.created) == (
        "1a2b3c4d", "oc-alpha", datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc))
    assert tokens.authenticate("spp_old") is None  # revoked in the file, revoked in the database
    # The same file put back (a restored backup): nothing imported twice, nothing changed.
    _legacy_file(tmp_path)
    again = TokenStore(db_url, legacy_file=tmp_path / "tokens.json")
    assert again.import_legacy((tmp_path / "tokens.json.imported")) == 0
    assert len(again.list()) == 2


def test_the_file_era_callers_path_means_engine_db_beside_it(tmp_path, monkeypatch):
    """`TokenStore(data / "tokens.json")`, as app.py and the CLI call it: the data folder's engine.db."""
    monkeypatch.delenv(db.DATABASE_URL_SETTING, raising=False)
    _, secret = _legacy_file(tmp_path)
    try:
        tokens = TokenStore(tmp_path / "tokens.json")
        assert tokens.authenticate(secret) is not None
        assert (tmp_path / "tokens.json.imported").exists()
        assert stat.S_IMODE(os.stat(tmp_path / "engine.db").st_mode) == 0o600
        created = tokens.create(Role.ditp, "DITP")[1]
        assert TokenStore(tmp_path / "tokens.json").authenticate(created) is not None
    finally:
        db.dispose_all()
