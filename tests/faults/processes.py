"""The real processes a fault test breaks: a PostgreSQL and a Redis of its own, ``tupa serve``
instances, and a TCP proxy that can hold an instance's traffic to Redis.

Each is started by the test on ports of its own and may be killed, frozen or restarted; the
shared services on 5432 and 6379 are never touched.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import free_port, service_unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30.0


def postgres_binaries() -> Path:
    """The newest PostgreSQL server's bin directory, or a skip (a failure in CI) saying why not."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    if not found:
        service_unavailable("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    return found[-1].parent


class OwnPostgres:
    """A throwaway PostgreSQL cluster (trust, loopback, no fsync) in a temporary directory.

    ``initdb`` refuses to run as root: as root, the cluster belongs to the ``postgres`` user."""

    def __init__(self) -> None:
        self.bin = postgres_binaries()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                service_unavailable("running as root and there is no postgres user for initdb")
            self.user = "postgres"
        self.root = Path(tempfile.mkdtemp(prefix="tupa-faults-pg-"))
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        done = subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            user=self.user,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}\n{done.stderr}")

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop it as a restart would: every connection to it is cut."""
        with suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Instance:
    """One ``tupa serve`` process on a port of its own; it can be killed, frozen and started
    again on the same port."""

    name: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "output.log"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def start(self) -> None:
        self.launch()
        await self.ready()

    def launch(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
                cwd=self.workdir,
                env={**self.env, "TUPA_PUBLIC_URL": self.url},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, timeout: float = START_SECONDS) -> None:
        """Wait until ``/readyz`` answers 200 (its database and its bus are both there)."""
        deadline = time.monotonic() + timeout
        problem = "no answer yet"
        async with httpx.AsyncClient(timeout=1.0) as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited on start:\n{self.output()}")
                try:
                    answer = await http.get(f"{self.url}/readyz")
                    if answer.status_code == 200:
                        return
                    problem = f"/readyz {answer.status_code}: {answer.text[:200]}"
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(0.1)  # polling a process that is starting
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s ({problem})")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """``kill -9``: no shutdown, no goodbye to Redis or the database."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen one cannot stop
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def established(self) -> int:
        """How many TCP connections to this instance's port are open (sockets it has not let go)."""
        count = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with suppress(OSError), open(table) as lines:
                for line in list(lines)[1:]:
                    local, state = line.split()[1], line.split()[3]
                    if int(local.rsplit(":", 1)[1], 16) == self.port and state == "01":
                        count += 1
        return count


class HoldingProxy:
    """A TCP proxy to Redis whose client-to-Redis direction can be held: while held, what an
    instance sends to Redis (its publishes) waits, as on a congested network, and then goes on in
    order. Nothing is dropped."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.released = asyncio.Event()
        self.released.set()
        self.server: asyncio.Server | None = None
        self.holds = 0
        self.tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    def hold(self) -> None:
        self.holds += 1
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        for task in (
            asyncio.create_task(self._pump(reader, up_writer, held=True)),
            asyncio.create_task(self._pump(up_reader, writer, held=False)),
        ):
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, held: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if held:
                    await self.released.wait()
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with suppress(asyncio.CancelledError):
                await task
