"""Issue 11, door 4: the worker, the API and the CLI reach a Temporal cluster over mTLS (or with an API key)."""

from __future__ import annotations

import pytest
from temporalio.service import TLSConfig

from spplus.settings import SettingError, Settings


def test_mtls_files_are_read_into_the_connection(tmp_path, monkeypatch):
    for name in ("cert", "key", "ca"):
        (tmp_path / f"{name}.pem").write_bytes(f"-----BEGIN {name}-----\n".encode())
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.internal:7233")
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(tmp_path / "cert.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_KEY", str(tmp_path / "key.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CA", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    tls = Settings.from_env().connect_options()["tls"]
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == b"-----BEGIN cert-----\n" and tls.client_private_key == b"-----BEGIN key-----\n"
    assert tls.server_root_ca_cert == b"-----BEGIN ca-----\n" and tls.domain == "temporal.internal"


def test_half_a_client_certificate_is_refused(tmp_path, monkeypatch):
    (tmp_path / "cert.pem").write_text("x")
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(tmp_path / "cert.pem"))
    monkeypatch.delenv("TEMPORAL_TLS_KEY", raising=False)
    with pytest.raises(SettingError, match="go together"):
        Settings.from_env().connect_options()


def test_a_missing_file_names_its_setting(monkeypatch):
    monkeypatch.setenv("TEMPORAL_TLS_CA", "/nowhere/ca.pem")
    with pytest.raises(SettingError, match="TEMPORAL_TLS_CA"):
        Settings.from_env()


def test_an_api_key_goes_over_tls(monkeypatch):
    for name in ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_API_KEY", "key-from-temporal-cloud")
    assert Settings.from_env().connect_options() == {"api_key": "key-from-temporal-cloud", "tls": True}


def test_the_embedded_server_is_plain_loopback(monkeypatch):
    for name in ("TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_TLS_CA", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().connect_options() == {}
