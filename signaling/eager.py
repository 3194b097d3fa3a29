"""Running a coroutine on the caller's stack as far as it goes without waiting.

Sending one RTP packet through aiortc (``RTCDtlsTransport._send_rtp``) and aioice is four
coroutines deep, yet it almost never waits: a UDP ``sendto`` either goes out or the kernel drops
it. The relay sends every packet to every subscriber, so a task per send would cost more than
the send, and awaiting each send in turn would let one subscriber whose send does wait (aioice
waits while a TURN channel is being bound) hold up everyone after it. :func:`start` runs the
send at once; only a send that really waits becomes a task, and the caller skips that subscriber
until it is done. Python 3.12's eager tasks do the same; Tupa supports 3.11.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


def start(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run ``coroutine`` until it finishes or first waits.

    Returns None when it finished; its exception, if it raised one, is raised here. When it
    waits, returns the task that finishes it (its exception is then the task's).
    """
    try:
        waited_on = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(coroutine, waited_on))


async def _finish(coroutine: Coroutine[Any, Any, None], waited_on: Any) -> None:
    """Go on the way an asyncio task would: wait for what the coroutine waits on, resume it."""
    try:
        while True:
            if waited_on is None:  # a bare yield, as in asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waited_on])
            try:
                # The coroutine's own ``await`` takes the future's result (or exception).
                waited_on = coroutine.send(None)
            except StopIteration:
                return
    finally:
        coroutine.close()
