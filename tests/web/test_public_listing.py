"""A series may be left off the public lists (server/scheduling/public_listing.py): the front page
and the public API leave it out, its own page still answers at its address (telling search
engines not to index it) and takes enrolments, and the coordinator changes it on the series page,
where its address is given to copy. A training for volunteers-to-be starts unlisted."""

from __future__ import annotations

from sqlalchemy import select

from server.people.roles import Role
from server.scheduling.programs import PROGRAM_TEMPLATES
from server.scheduling.public_listing import listed_by_default
from server.storage.tables import SeriesRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, seed_series

NOINDEX = '<meta name="robots" content="noindex">'


async def _listed(client, series_id: int) -> bool:
    async with client.app.state.test_database.unit_of_work() as db:
        return bool(await db.scalar(select(SeriesRow.listed).where(SeriesRow.id == series_id)))


async def _as_coordinator(client, clock) -> None:
    async with client.app.state.test_database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now, Role.COORDINATOR)
    login = {"email": coordinator.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303


def test_only_the_volunteer_training_starts_unlisted():
    unlisted = [t.slug for t in PROGRAM_TEMPLATES if not listed_by_default(t.slug)]
    assert unlisted == ["kokemuskumppanikoulutus"]
    assert listed_by_default("a-program-a-coordinator-made")


async def test_the_coordinator_takes_a_group_off_the_lists_and_it_stays_open_at_its_address(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, title="Iltaryhmä isille")
    other_id = await seed_series(database, org, clock.now, title="Aamuryhmä äideille")
    await _as_coordinator(client, clock)
    page = f"/staff/series/{series_id}"
    staff_page = (await client.get(page)).text
    assert f'action="/staff/series/{series_id}/listed"' in staff_page
    address = f"{client.app.state.settings.public_url}/series/{series_id}"
    assert f'value="{address}"' in staff_page

    off = await post_form(client, page, f"/staff/series/{series_id}/listed", {})
    assert off.headers["location"] == f"{page}?done=listed"
    assert await _listed(client, series_id) is False
    assert await _listed(client, other_id) is True

    front = (await client.get("/?lang=en")).text
    assert "Aamuryhmä äideille" in front and "Iltaryhmä isille" not in front
    listed_ids = [s["id"] for s in (await client.get("/api/v1/series")).json()]
    assert other_id in listed_ids and series_id not in listed_ids
    own_page = await client.get(f"/series/{series_id}")
    assert own_page.status_code == 200 and NOINDEX in own_page.text
    assert f'action="/series/{series_id}/enrol"' in own_page.text
    assert NOINDEX not in (await client.get(f"/series/{other_id}")).text
    assert "not listed publicly" in (await client.get("/staff?lang=en")).text

    on = await post_form(client, page, f"/staff/series/{series_id}/listed", {"listed": "on"})
    assert on.status_code == 303
    assert await _listed(client, series_id) is True
    assert "Iltaryhmä isille" in (await client.get("/")).text
