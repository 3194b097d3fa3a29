"""The long-running task a component owns: started once, cancelled and awaited when it stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

# A cancellation can be lost: Python 3.11's asyncio.wait_for, which redis-py uses for every
# command, swallows one that arrives just as the command completes, and the task goes on (the
# Redis bus's publisher then waited for work forever). Until it ends it is cancelled again.
RECANCEL_SECONDS = 1.0


class OwnedTask:
    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        self._task = asyncio.create_task(work, name=self.name)

    async def stop(self) -> None:
        """Cancel the task and wait until it has really ended (idempotent); raises what it
        failed with, if it failed. A cancellation of the caller is not swallowed."""
        task = self._task
        if task is None:
            return
        task.cancel()
        # asyncio.wait never cancels the task, and lets the caller's own cancellation through.
        while not (await asyncio.wait({task}, timeout=RECANCEL_SECONDS))[0]:
            task.cancel()
        self._task = None
        with contextlib.suppress(asyncio.CancelledError):
            await task  # done: its own exception, if any


class FollowUps:
    """Short tasks a component starts without waiting for them, kept referenced until they end
    (asyncio holds only weak references to running tasks)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)
