"""Two instances at once, on both databases: a two-factor code or a recovery code is accepted
once, and every failure counts."""

import asyncio
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from server.errors import ErrorCode, TupaError
from server.people import recovery_codes, two_factor
from server.people.throttle import Attempt, Throttle
from server.people.throttle_rules import ThrottleRules
from server.storage.tables import LoginFailureRow, StaffRow
from tests.factories import a_staff_member


async def twice_at_once(database, check):
    """Run ``check(db, staff)`` in two units of work at once; how many passed."""

    async def one() -> bool:
        try:
            async with database.unit_of_work() as db:
                staff = await db.get(StaffRow, 1)
                await check(db, staff)
        except TupaError as error:
            assert error.code is ErrorCode.TOTP_INVALID
            return False
        return True

    return sum(await asyncio.gather(one(), one()))


async def test_the_same_app_code_twice_at_once_is_accepted_once(database, clock):
    secret = pyotp.random_base32()
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now)
        staff.totp_secret = secret
    code = pyotp.TOTP(secret).at(clock.now)

    passed = await twice_at_once(
        database, lambda db, staff: two_factor.check_code(db, staff, code, clock.now)
    )
    assert passed == 1
    with pytest.raises(TupaError):  # and afterwards, an earlier step's code is refused too
        async with database.unit_of_work() as db:
            staff = await db.get(StaffRow, 1)
            earlier = pyotp.TOTP(secret).at(clock.now - timedelta(seconds=30))
            await two_factor.check_code(db, staff, earlier, clock.now)


async def test_the_same_recovery_code_twice_at_once_is_accepted_once(database, clock):
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now)
        staff.totp_secret = pyotp.random_base32()
        codes = await recovery_codes.make_anew(db, staff.id)

    passed = await twice_at_once(
        database, lambda db, staff: two_factor.check_code(db, staff, codes[3], clock.now)
    )
    assert passed == 1
    async with database.unit_of_work() as db:
        assert await recovery_codes.remaining(db, 1) == 9


async def test_failures_counted_at_once_all_count(database, clock):
    throttle = Throttle(ThrottleRules(), b"k" * 32)
    attempt = Attempt("someone@example.org", "203.0.113.5")

    async def fail() -> None:
        async with database.unit_of_work() as db:
            await throttle.count_failure(db, attempt, clock.now)

    await asyncio.gather(*(fail() for _ in range(4)))
    async with database.unit_of_work() as db:
        counted = list(await db.scalars(select(LoginFailureRow.failures)))
    assert counted == [4, 4, 4]
