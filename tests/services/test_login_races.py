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


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        (("sama.nimi", None), ("Sama.Nimi", None), ErrorCode.LOGIN_NAME_TAKEN),
        ((None, "sama@example.org"), (None, "SAMA@example.org"), ErrorCode.EMAIL_TAKEN),
    ],
)
async def test_two_accounts_made_at_once_with_one_login_get_taken_not_an_error(
    database, clock, first, second, code
):
    """Two peer volunteers accept their invitations at the same moment with one login name (or a
    coordinator adds one address twice): neither check sees the other's uncommitted row, so the
    unique index decides, and the loser is told the name is taken rather than given a 500."""
    from server.people.roles import Role
    from server.people.service import NewStaff, create_staff
    from tests.factories import PASSWORD

    def account(login: tuple[str | None, str | None], name: str) -> NewStaff:
        login_name, email = login
        return NewStaff(email, name, Role.VOLUNTEER, PASSWORD, name, login_name=login_name)

    flushed, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with database.unit_of_work() as db:
            await create_staff(db, account(first, "Eka"), clock.now)
            flushed.set()
            await release.wait()

    async def latecomer() -> ErrorCode | None:
        await flushed.wait()
        # On SQLite the second write waits for the first to commit; on PostgreSQL the insert
        # waits on the unique index. Either way the first commits half a second from now.
        asyncio.get_running_loop().call_later(0.5, release.set)
        try:
            async with database.unit_of_work() as db:
                await create_staff(db, account(second, "Toka"), clock.now)
        except TupaError as error:
            return error.code
        return None

    _, refused = await asyncio.gather(holder(), latecomer())
    assert refused is code
    async with database.unit_of_work() as db:
        names = (await db.scalars(select(StaffRow.real_name))).all()
    assert names == ["Eka"]
