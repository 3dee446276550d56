"""The engine's records, tested on both databases: a SQLite file, and a real PostgreSQL server.

PostgreSQL comes from Debian's package (``/usr/lib/postgresql/<version>/bin``). If it is missing, the
session installs it once (``apt-get install -y postgresql``, as root); if that fails the PostgreSQL
tests fail with the reason under CI (``CI=true``), and are skipped with the reason elsewhere. The
session starts a throw-away cluster in a temporary folder, on a free port of 127.0.0.1, as the
``postgres`` user (the server refuses to run as root), gives each test a database of its own, and
stops the cluster at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import URL

from spplus.records import db

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _install_postgres() -> str | None:
    """apt-get install postgresql, once; None if it worked, else why not."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    if os.geteuid() != 0:
        return "installing it needs root (apt-get install -y postgresql)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:  # a fresh machine may need its package lists first
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=900)
        result = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode == 0:
        return None
    return f"apt-get install -y postgresql failed: {(result.stderr or result.stdout).strip()[-800:]}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    folder: Path
    port: int
    as_user: list[str]  # the prefix that runs a command as postgres (nothing when not root)

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=120, check=False)

    def url(self, database: str, schema: str | None = None) -> str:
        query = {"options": f"-csearch_path={schema}"} if schema else {}
        return URL.create("postgresql+psycopg", username="postgres", host="127.0.0.1", port=self.port,
                          database=database, query=query).render_as_string(hide_password=False)

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                             autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """An empty database of the test's own: a fresh schema, first on the search path (a CREATE
        DATABASE costs 0.3 s; a schema nothing)."""
        schema = "t_" + uuid.uuid4().hex[:12]
        self.sql(f'CREATE SCHEMA "{schema}"', "records")
        return self.url("records", schema)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _postgres_bin()
        if bin_dir is None:
            why = _install_postgres()
            bin_dir = _postgres_bin()
            if bin_dir is None:
                raise RuntimeError(f"PostgreSQL's server is not installed and could not be: {why}")
        folder = Path(tempfile.mkdtemp(prefix="spplus-pg-"))  # in /tmp, where the postgres user can reach it
        as_user: list[str] = []
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(folder, postgres.pw_uid, postgres.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else ["sudo", "-u", "postgres"]
        server = cls(bin_dir, folder, 0, as_user)
        init = server.run(str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--no-sync")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()[-800:]}")
        for _ in range(3):  # a free port may be taken between the probe and the start
            server.port = _free_port()
            options = (f"-p {server.port} -h 127.0.0.1 -k {folder} -F -c max_connections=200 "
                       "-c full_page_writes=off -c synchronous_commit=off")
            started = server.run(str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"),
                                 "-w", "-t", "30", "-o", options, "start")
            if started.returncode == 0:
                server.sql("CREATE DATABASE records")
                return server
        log = (folder / "log").read_text(errors="replace")[-1500:] if (folder / "log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()[-800:]}\n{log}")

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    began = time.monotonic()
    try:
        server = PostgresServer.start()
    except Exception as exc:  # noqa: BLE001 — said, never swallowed
        if IN_CI:
            pytest.fail(f"PostgreSQL for tests/records could not be started: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL for tests/records could not be started: {exc}")
    print(f"\nPostgreSQL {server.bin.parts[-2]} started on 127.0.0.1:{server.port} in {time.monotonic() - began:.1f} s")
    try:
        yield server
    finally:
        db.dispose_all()
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind: a SQLite file in the test's folder, a PostgreSQL database."""
    if request.param == "sqlite":
        url = URL.create("sqlite+pysqlite", database=str(tmp_path / "engine.db")).render_as_string(hide_password=False)
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    yield url
    db.dispose_all()  # the engines of open_database: no connection left to a finished test's database
