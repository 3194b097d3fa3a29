"""Whether a series holds chat messages with identifying details for approval (issue 21, point
2) is set by a coordinator on the series page or by the series' facilitator on its bans page."""

from sqlalchemy import select

from server.people.roles import Role
from server.storage.tables import SeriesRow
from tests.conftest import csrf_of, post_form
from tests.factories import PASSWORD, a_staff_member, seed_series


def _setting(series_id: int) -> str:
    """The setting's form, in whatever language the page is."""
    return f'action="/staff/series/{series_id}/identifying-held"'


async def _held(client, series_id):
    async with client.app.state.test_database.unit_of_work() as db:
        return await db.scalar(select(SeriesRow.identifying_held).where(SeriesRow.id == series_id))


async def _sign_in(client, staff):
    login = {"email": staff.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303


async def test_the_series_facilitator_turns_holding_on_and_off_on_the_bans_page(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    series_id = await seed_series(database, org, clock.now, staff_ids=[facilitator.id])
    await _sign_in(client, facilitator)
    page = f"/staff/series/{series_id}/bans"
    action = f"/staff/series/{series_id}/identifying-held"
    assert _setting(series_id) in (await client.get(page)).text
    assert await _held(client, series_id) is False

    on = await post_form(client, page, action, {"held": "on"})
    assert on.headers["location"] == f"{page}?done=holding"
    assert await _held(client, series_id) is True
    shown = (await client.get(f"{page}?done=holding")).text
    assert 'name="held" value="on" checked' in shown
    assert "Tästä eteenpäin avattavat huoneet noudattavat sitä" in shown  # the Finnish default

    await post_form(client, page, action, {})  # an unticked box is not sent at all
    assert await _held(client, series_id) is False


async def test_a_coordinator_sets_it_on_the_series_page(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now, Role.COORDINATOR)
    series_id = await seed_series(database, org, clock.now)
    await _sign_in(client, coordinator)
    page = f"/staff/series/{series_id}"
    assert _setting(series_id) in (await client.get(page)).text
    on = await post_form(
        client, page, f"/staff/series/{series_id}/identifying-held", {"held": "on"}
    )
    assert on.headers["location"] == f"{page}?done=holding"
    assert await _held(client, series_id) is True


async def test_staff_not_running_the_series_cannot_change_it(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        other = await a_staff_member(db, clock.now, Role.FACILITATOR)
        volunteer = await a_staff_member(db, clock.now, Role.VOLUNTEER)
    series_id = await seed_series(database, org, clock.now, staff_ids=[volunteer.id])
    for person in (other, volunteer):
        await _sign_in(client, person)
        token = csrf_of((await client.get("/staff")).text)
        response = await client.post(
            f"/staff/series/{series_id}/identifying-held",
            data={"csrf_token": token, "held": "on"},
        )
        assert response.status_code == 403
        assert await _held(client, series_id) is False
