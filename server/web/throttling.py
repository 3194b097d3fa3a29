"""Every form that takes a password or a two-factor code checks it through the login throttle.

A route hands the check to ``guarded`` with the account it is for; the client address is the one
uvicorn's proxy-headers handling gives the request. It is used for the throttle's keyed hashes
only: never logged, shown or stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.accessibility.feedback_rules import SendingLimit
from server.accessibility.sending_limit import SendCounter
from server.errors import TupaError
from server.people.throttle import COUNTED, Attempt, Throttle
from server.people.throttle_rules import ThrottleRules

Checked = TypeVar("Checked")


def throttle(request: Request) -> Throttle:
    settings = request.app.state.settings
    rules = ThrottleRules(
        failures_per_account_from_address=settings.login_failures_per_account_from_address,
        failures_per_address=settings.login_failures_per_address,
        wait=timedelta(minutes=settings.login_wait_minutes),
        delay_per_failure_seconds=settings.login_delay_seconds,
    )
    return Throttle(rules, settings.derived_key("login-throttle"))


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


# Enrolments per client address in an hour, by the form and the API together: enrolling needs no
# account, so without it a script could fill a group's seats with made-up names; a shelter or a
# library behind one address still enrols its families.
ENROLMENTS = SendingLimit(sends=20, window=timedelta(hours=1))


async def count_enrolment(request: Request, db: AsyncSession, now: datetime) -> None:
    """Count one enrolment from this client; raises TOO_MANY_SENDS past ``ENROLMENTS``. The caller
    answers that error itself, so that the count commits."""
    counter = SendCounter(ENROLMENTS, request.app.state.settings.derived_key("form-sends"))
    await counter.count(db, "enrol", client_address(request), now)


async def guarded(
    request: Request,
    db: AsyncSession,
    now: datetime,
    account: str,
    check: Callable[[], Awaitable[Checked]],
) -> Checked:
    """Run ``check`` (a password or code check) for ``account`` under the throttle.

    Raises TOO_MANY_ATTEMPTS without running it while this address waits for this account;
    otherwise waits as long as earlier failures ask, runs it, and counts a wrong password or code
    before re-raising it. The route must answer the error itself rather than let it propagate:
    the count is written in the request's unit of work, which a raised error rolls back.
    """
    limiter = throttle(request)
    attempt = Attempt(account, client_address(request))
    delay = await limiter.before_check(db, attempt, now)
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        result = await check()
    except TupaError as error:
        if error.code in COUNTED:
            await limiter.count_failure(db, attempt, now)
        raise
    await limiter.clear(db, attempt)
    return result


async def counted(
    request: Request,
    db: AsyncSession,
    now: datetime,
    account: str,
    action: Callable[[], Awaitable[Checked]],
) -> Checked:
    """Run ``action`` under the throttle that ``guarded`` uses, counting every run as
    ``guarded`` counts a failure: for what an address may do only a few times a while (the demo's
    one-click join, ``account`` naming it), not for checks of a secret. Raises TOO_MANY_ATTEMPTS
    without running it while the address waits; a run that raises is not counted (its unit of
    work rolls back)."""
    limiter = throttle(request)
    attempt = Attempt(account, client_address(request))
    delay = await limiter.before_check(db, attempt, now)
    if delay > 0:
        await asyncio.sleep(delay)
    await limiter.count_failure(db, attempt, now)
    return await action()
