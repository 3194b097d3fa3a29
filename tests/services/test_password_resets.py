"""A coordinator's reset link sets a staff member's password once, within 24 hours, and ends all
their sessions; the database keeps only its hash; a staff member's own change needs the current
password and ends their other sessions."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.access import AccessChange, AccessReason
from server.errors import ErrorCode, TupaError
from server.people import deactivation, password_changes, password_resets, staff_sessions
from server.people import service as people
from server.people.roles import Role
from server.people.session_rules import token_hash
from server.storage.tables import StaffPasswordResetRow, StaffSessionRow
from tests.factories import PASSWORD, a_staff_member

NEW = "kolme karhua metsässä"


def heard_by(database):
    heard: list[object] = []

    async def listener(items):
        heard.extend(items)

    database.on_commit(listener)
    return heard


async def staff_and_coordinator(database, clock):
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now)
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    return facilitator, coordinator


async def signed_in_twice(database, clock, staff) -> list[int]:
    async with database.unit_of_work() as db:
        for _ in range(2):
            await staff_sessions.start(db, staff, clock.now, "Firefox/128.0")
        rows = await db.scalars(
            select(StaffSessionRow.id).where(StaffSessionRow.staff_id == staff.id)
        )
        return list(rows)


async def refused(database, action) -> TupaError:
    with pytest.raises(TupaError) as error:
        async with database.unit_of_work() as db:
            await action(db)
    return error.value


async def password_works(database, clock, staff, password) -> bool:
    async with database.unit_of_work() as db:
        try:
            await people.check_password(db, staff.email, password, clock.now)
        except TupaError:
            return False
        return True


async def test_a_reset_link_sets_the_password_once_and_ends_every_session(database, clock):
    facilitator, coordinator = await staff_and_coordinator(database, clock)
    sessions = await signed_in_twice(database, clock, facilitator)
    async with database.unit_of_work() as db:
        _, token = await password_resets.issue(db, facilitator.id, coordinator.id, clock.now)
    async with database.unit_of_work() as db:
        [row] = list(await db.scalars(select(StaffPasswordResetRow)))
        assert row.token_hash == token_hash(token) and token not in repr(vars(row))
        assert row.expires_at == clock.now + timedelta(hours=24)

    heard = heard_by(database)
    clock.advance(hours=23)
    async with database.unit_of_work() as db:
        await password_resets.use(db, token, NEW, NEW, clock.now)
    assert await password_works(database, clock, facilitator, NEW)
    assert not await password_works(database, clock, facilitator, PASSWORD)
    async with database.unit_of_work() as db:
        assert list(await db.scalars(select(StaffSessionRow))) == []
        assert list(await db.scalars(select(StaffPasswordResetRow))) == []
    assert heard == [
        AccessChange(AccessReason.STAFF_SIGNED_OUT, staff_id=facilitator.id, staff_session_id=i)
        for i in sessions
    ]  # their room sockets close on every instance

    again = await refused(
        database,
        lambda db: password_resets.use(
            db, token, "toinen salasana 2", "toinen salasana 2", clock.now
        ),
    )
    assert again.code is ErrorCode.RESET_LINK_INVALID
    assert await password_works(database, clock, facilitator, NEW)


@pytest.mark.parametrize("why", ["expired", "replaced", "deactivated", "reactivated", "unknown"])
async def test_a_reset_link_that_expired_was_replaced_or_whose_account_left_works_no_more(
    database, clock, why
):
    facilitator, coordinator = await staff_and_coordinator(database, clock)
    async with database.unit_of_work() as db:
        _, token = await password_resets.issue(db, facilitator.id, coordinator.id, clock.now)
    if why == "expired":
        clock.advance(hours=24)
    elif why == "replaced":
        async with database.unit_of_work() as db:
            _, newer = await password_resets.issue(db, facilitator.id, coordinator.id, clock.now)
            assert await password_resets.staff_for(db, newer, clock.now) is not None
    elif why == "deactivated":
        async with database.unit_of_work() as db:
            await deactivation.deactivate(db, facilitator.id, clock.now)
    elif why == "reactivated":  # the link does not come back with the account
        async with database.unit_of_work() as db:
            await deactivation.deactivate(db, facilitator.id, clock.now)
        async with database.unit_of_work() as db:
            await deactivation.reactivate(db, facilitator.id, clock.now)
    else:
        token = token[:-4] + "AAAA"
    async with database.unit_of_work() as db:
        assert await password_resets.staff_for(db, token, clock.now) is None
    error = await refused(database, lambda db: password_resets.use(db, token, NEW, NEW, clock.now))
    assert error.code is ErrorCode.RESET_LINK_INVALID
    assert await password_works(database, clock, facilitator, PASSWORD) is (why != "deactivated")


async def test_a_refused_new_password_leaves_the_reset_link_working(database, clock):
    facilitator, coordinator = await staff_and_coordinator(database, clock)
    async with database.unit_of_work() as db:
        _, token = await password_resets.issue(db, facilitator.id, coordinator.id, clock.now)
    for new, repeated, code in [
        ("qwertyuiop", "qwertyuiop", ErrorCode.PASSWORD_TOO_COMMON),
        ("lyhyt", "lyhyt", ErrorCode.INVALID_INPUT),
        (NEW, NEW + "!", ErrorCode.PASSWORDS_DIFFER),
    ]:
        error = await refused(
            database, lambda db, n=new, r=repeated: password_resets.use(db, token, n, r, clock.now)
        )
        assert error.code is code
    async with database.unit_of_work() as db:
        await password_resets.use(db, token, NEW, NEW, clock.now)
    assert await password_works(database, clock, facilitator, NEW)


async def test_no_link_is_made_for_a_deactivated_or_unknown_account(database, clock):
    facilitator, coordinator = await staff_and_coordinator(database, clock)
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, facilitator.id, clock.now)
    for staff_id in (facilitator.id, 9999):
        error = await refused(
            database, lambda db, s=staff_id: password_resets.issue(db, s, coordinator.id, clock.now)
        )
        assert error.code is ErrorCode.NOT_FOUND


async def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(
    database, clock
):
    facilitator, _ = await staff_and_coordinator(database, clock)
    here, elsewhere = await signed_in_twice(database, clock, facilitator)

    async def change(current, new=NEW, repeated=NEW):
        async with database.unit_of_work() as db:
            staff = await people.staff_by_id(db, facilitator.id)
            assert staff is not None
            return await password_changes.change_password(
                db, staff, current, new, repeated, here, clock.now
            )

    wrong = await refused(database, lambda db: change("not my password"))
    assert wrong.code is ErrorCode.LOGIN_FAILED
    with pytest.raises(TupaError) as common:
        await change(PASSWORD, "1234567890", "1234567890")
    assert common.value.code is ErrorCode.PASSWORD_TOO_COMMON
    assert await password_works(database, clock, facilitator, PASSWORD)

    heard = heard_by(database)
    assert await change(PASSWORD) == 1
    assert await password_works(database, clock, facilitator, NEW)
    async with database.unit_of_work() as db:
        assert list(await db.scalars(select(StaffSessionRow.id))) == [here]
    assert heard == [
        AccessChange(
            AccessReason.STAFF_SIGNED_OUT, staff_id=facilitator.id, staff_session_id=elsewhere
        )
    ]
