"""A coordinator deactivates a staff account and can reactivate it; never the last coordinator."""

import pytest

from server.access import AccessChange, AccessReason
from server.errors import ErrorCode, TupaError
from server.people import deactivation
from server.people import service as people
from server.people.roles import Role
from server.scheduling import service as scheduling
from server.storage.tables import StaffRow
from tests.factories import PASSWORD, a_staff_member, seed_series


def recording(database):
    heard: list[object] = []

    async def listener(items):
        heard.extend(items)

    database.on_commit(listener)
    return heard


async def test_a_deactivated_account_is_refused_everywhere_and_reactivation_restores_it(
    database, clock
):
    heard = recording(database)
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, facilitator.id, clock.now)
    assert heard == [AccessChange(AccessReason.STAFF_DEACTIVATED, staff_id=facilitator.id)]
    async with database.unit_of_work() as db:
        row = await db.get(StaffRow, facilitator.id)
        assert row is not None and row.deactivated_at == clock.now and not row.active
        assert await people.staff_by_id(db, facilitator.id) is None

    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, facilitator.id, clock.now)  # again: nothing new
    assert len(heard) == 1

    async with database.unit_of_work() as db:
        await deactivation.reactivate(db, facilitator.id, clock.now)
    async with database.unit_of_work() as db:
        back = await people.staff_by_id(db, facilitator.id)
        assert back is not None and back.deactivated_at is None
        assert await people.check_password(db, people.login_of(facilitator), PASSWORD, clock.now)


async def test_the_last_active_coordinator_cannot_be_deactivated(database, clock):
    heard = recording(database)
    async with database.unit_of_work() as db:
        first = await a_staff_member(db, clock.now, email="first@example.org")
        second = await a_staff_member(db, clock.now, email="second@example.org")
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, second.id, clock.now)  # one coordinator remains
    with pytest.raises(TupaError) as refused:
        async with database.unit_of_work() as db:
            await deactivation.deactivate(db, first.id, clock.now)
    assert refused.value.code is ErrorCode.LAST_COORDINATOR
    assert heard == [AccessChange(AccessReason.STAFF_DEACTIVATED, staff_id=second.id)]
    async with database.unit_of_work() as db:
        assert await people.staff_by_id(db, first.id) is not None

    async with database.unit_of_work() as db:
        await deactivation.reactivate(db, second.id, clock.now)
    async with database.unit_of_work() as db:  # with two again, one may go, even themself
        await deactivation.deactivate(db, first.id, clock.now)
    async with database.unit_of_work() as db:
        assert await people.staff_by_id(db, first.id) is None


async def test_a_deactivated_account_cannot_log_in_and_is_told_only_what_a_wrong_password_is(
    database, clock
):
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        leaving = await a_staff_member(db, clock.now, Role.FACILITATOR)
        staying = await a_staff_member(db, clock.now, Role.FACILITATOR, email="staying@example.org")
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, leaving.id, clock.now)

    async def refusal(email, password):
        with pytest.raises(TupaError) as refused:
            async with database.unit_of_work() as db:
                await people.check_password(db, email, password, clock.now)
        return refused.value.code, refused.value.params

    right_password_deactivated = await refusal(leaving.email, PASSWORD)
    wrong_password_active = await refusal(staying.email, "not the password at all")
    assert (
        right_password_deactivated
        == wrong_password_active
        == (
            ErrorCode.LOGIN_FAILED,
            {},
        )
    )


async def test_staff_pickers_leave_out_a_deactivated_account_and_its_series_keep_it(
    database, org, clock
):
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        leaving = await a_staff_member(db, clock.now, Role.FACILITATOR)
        staying = await a_staff_member(
            db, clock.now, Role.FACILITATOR, email="staying@example.org", real_name="Sanna"
        )
    series_id = await seed_series(database, org, clock.now, staff_ids=[leaving.id, staying.id])
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, leaving.id, clock.now)
    async with database.unit_of_work() as db:
        assert [s.id for s in await people.assignable_staff(db)] == [staying.id]
        series = await scheduling.get_series(db, series_id)
        assert {s.member.real_name for s in series.staff} == {leaving.real_name, "Sanna"}
    with pytest.raises(TupaError) as refused:
        async with database.unit_of_work() as db:
            await scheduling.assign_staff(db, series_id, [leaving.id, staying.id])
    assert refused.value.code is ErrorCode.INVALID_INPUT
