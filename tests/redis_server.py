"""A redis-server of the test's own, on a free port, that the test may stop and start again.

Fault tests restart Redis; the shared one (``TUPA_TEST_REDIS_URL``) serves every other test and
is never stopped. Nothing is saved to disk.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from tests.conftest import _redis_problem, free_port, service_unavailable

START_SECONDS = 10.0


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server is not installed")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        async with asyncio.timeout(START_SECONDS):
            while await _redis_problem(self.url):  # noqa: ASYNC110 (a process starting up)
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Stop it as a restart would: every connection to it is cut."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self.process = None
