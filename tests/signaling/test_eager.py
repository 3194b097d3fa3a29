"""Starting a send at once: finished on the spot, or handed to a task when it has to wait."""

from __future__ import annotations

import asyncio

import pytest

from signaling import eager


async def test_a_coroutine_that_never_waits_finishes_on_the_callers_stack() -> None:
    done: list[str] = []

    async def send() -> None:
        done.append("sent")

    assert eager.start(send()) is None
    assert done == ["sent"]


async def test_an_error_before_waiting_is_raised_to_the_caller() -> None:
    async def send() -> None:
        raise ConnectionError("not connected")

    with pytest.raises(ConnectionError):
        eager.start(send())


async def test_a_coroutine_that_waits_is_finished_by_a_task_with_its_results() -> None:
    bound = asyncio.get_running_loop().create_future()
    done: list[object] = []

    async def send() -> None:
        done.append(await bound)
        await asyncio.sleep(0)
        done.append("sent")

    task = eager.start(send())
    assert task is not None and not task.done() and done == []
    bound.set_result("channel bound")
    await task
    assert done == ["channel bound", "sent"]


async def test_a_waiting_send_sees_the_exception_of_what_it_waits_for() -> None:
    bound = asyncio.get_running_loop().create_future()

    async def send() -> None:
        await bound

    task = eager.start(send())
    assert task is not None
    bound.set_exception(ConnectionError("turn server gone"))
    with pytest.raises(ConnectionError):
        await task


async def test_cancelling_a_waiting_send_closes_the_coroutine() -> None:
    closed: list[bool] = []

    async def send() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            closed.append(True)

    task = eager.start(send())
    assert task is not None
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert closed == [True]
