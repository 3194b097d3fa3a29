"""A component's long-running task really ends when the component stops."""

import asyncio

import pytest

from server.lifecycle import OwnedTask


async def test_a_task_that_loses_a_cancellation_is_cancelled_again_until_it_ends():
    """Python 3.11's asyncio.wait_for, which redis-py uses for every command, loses a cancellation
    that arrives just as the command completes; the Redis bus's publisher then waited for work
    forever, and so did whoever stopped it."""
    lost = asyncio.Event()

    async def loses_the_first_cancellation() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            lost.set()  # as wait_for does: the command's result, no CancelledError
        await asyncio.Event().wait()  # back to waiting for work that never comes

    task = OwnedTask("loses-one")
    task.start(loses_the_first_cancellation())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(task.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # never cancels what it waits for
    assert lost.is_set()
    assert stopping in done, "stop() still waiting for a task that lost its cancellation"


async def test_stopping_raises_what_the_task_failed_with():
    async def fails() -> None:
        raise ValueError("broken")

    task = OwnedTask("fails")
    task.start(fails())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="broken"):
        await task.stop()


async def test_a_cancellation_of_whoever_stops_the_task_reaches_them():
    """A stop that is itself cancelled (a shutdown's deadline) ends with CancelledError, and the
    task can still be stopped later."""
    ending = asyncio.Event()

    async def ends_only_when_allowed() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if ending.is_set():
                    raise

    task = OwnedTask("stubborn")
    task.start(ends_only_when_allowed())
    await asyncio.sleep(0)
    stopping = asyncio.create_task(task.stop())
    await asyncio.sleep(0.05)
    stopping.cancel()
    done, _ = await asyncio.wait({stopping}, timeout=5)
    ending.set()
    assert stopping in done and stopping.cancelled()
    await task.stop()
