"""Bans on the staff pages, a held re-enrolment as the parent sees it, and the parent's page
saying plainly what they may join and when."""

import re
from datetime import timedelta

from sqlalchemy import select

from server.enrolment import bans
from server.people.roles import Role
from server.scheduling import service as scheduling
from server.storage.tables import EnrolmentRow, RoomRow
from tests.conftest import csrf_of, post_form
from tests.factories import PASSWORD, a_staff_member, enrol_parent, personal_page, seed_series

LINK = re.compile(r'id="personal-link"[^>]*value="http://testserver(/me/[A-Za-z0-9_-]+)"')


async def sign_in(client, clock, role=Role.COORDINATOR, **kwargs):
    async with client.app.state.test_database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, role, **kwargs)
    login = {"email": staff.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303
    return staff


async def status_of(client, enrolment_id):
    async with client.app.state.test_database.unit_of_work() as db:
        return await db.scalar(select(EnrolmentRow.status).where(EnrolmentRow.id == enrolment_id))


def row_of(html, enrolment_id, table):
    """The table row of one enrolment in the table with class ``table`` (among its others)."""
    section = re.split(rf'<table class="data(?: [\w-]+)* {table}"', html)[1].split("</table>")[0]
    return section.split(f'data-enrolment-id="{enrolment_id}"')[1].split("</tr>")[0]


async def test_coordinator_bans_from_the_enrolment_table_and_the_ban_is_listed_and_logged(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    waiting = await enrol_parent(database, org, series_id, "Puolukka", clock.now)
    await sign_in(client, clock)
    page = f"/staff/series/{series_id}"
    assert f"/enrolments/{banned.enrolment.id}/ban" in (await client.get(page)).text

    response = await post_form(client, page, f"{page}/enrolments/{banned.enrolment.id}/ban", {})

    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?done=banned"
    assert await status_of(client, banned.enrolment.id) == "banned"
    assert await status_of(client, waiting.enrolment.id) == "enrolled"
    html = (await client.get(page)).text
    listed = row_of(html, banned.enrolment.id, "bans")
    assert "Mustikka" in listed and "Kaisa Koordinaattori" in listed
    assert "ma 12.10.2026 12.00" in listed  # when, in Helsinki time
    assert f"/bans/{banned.enrolment.id}/lift" in listed
    log = (await client.get(f"{page}/moderation")).text
    entry = log.split('data-action="banned"')[1].split("</tr>")[0]
    assert "Kaisa Koordinaattori" in entry and "Mustikka" in entry


async def test_coordinator_lifts_a_ban_and_the_enrolment_stays_ended(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        await bans.ban(db, org, series_id, banned.enrolment.id, clock.now, "Olli Ohjaaja")
    await sign_in(client, clock)
    page = f"/staff/series/{series_id}"

    response = await post_form(client, page, f"{page}/bans/{banned.enrolment.id}/lift", {})

    assert response.headers["location"] == f"{page}?done=unbanned"
    html = (await client.get(page)).text
    assert 'class="data bans"' in html
    assert f'data-enrolment-id="{banned.enrolment.id}"' not in html.split('class="data bans"')[1]
    assert await status_of(client, banned.enrolment.id) == "removed"
    log = (await client.get(f"{page}/moderation")).text
    assert 'data-action="unbanned"' in log


async def test_ban_and_lift_need_the_csrf_token(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await sign_in(client, clock)

    response = await client.post(f"/staff/series/{series_id}/enrolments/{banned.enrolment.id}/ban")

    assert response.status_code == 403
    assert await status_of(client, banned.enrolment.id) == "enrolled"


async def test_the_series_facilitator_bans_and_lifts_on_the_bans_page(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(
            db, clock.now, Role.FACILITATOR, real_name="Olli Ohjaaja"
        )
    series_id = await seed_series(database, org, clock.now, staff_ids=[facilitator.id])
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@ex.org")
    login = {"email": facilitator.email, "password": PASSWORD, "next": "/staff"}
    await post_form(client, "/staff/login", "/staff/login", login)
    page = f"/staff/series/{series_id}/bans"
    bans_page = await client.get(page)
    assert bans_page.status_code == 200
    assert "m@ex.org" not in bans_page.text  # the facilitator sees pseudonyms only
    assert f'href="{page}"' in (await client.get("/staff")).text

    ban = await post_form(
        client, page, f"/staff/series/{series_id}/enrolments/{banned.enrolment.id}/ban", {}
    )
    assert ban.headers["location"] == f"{page}?done=banned"
    listed = row_of((await client.get(page)).text, banned.enrolment.id, "bans")
    assert "Olli Ohjaaja" in listed

    lift = await post_form(
        client, page, f"/staff/series/{series_id}/bans/{banned.enrolment.id}/lift", {}
    )
    assert lift.headers["location"] == f"{page}?done=unbanned"
    async with database.unit_of_work() as db:
        assert await bans.bans_in(db, series_id) == []


async def test_staff_not_running_the_series_cannot_ban(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await sign_in(client, clock, Role.FACILITATOR)
    page = f"/staff/series/{series_id}/bans"
    assert (await client.get(page)).status_code == 403
    token = csrf_of((await client.get("/staff")).text)

    response = await client.post(
        f"/staff/series/{series_id}/enrolments/{banned.enrolment.id}/ban",
        data={"csrf_token": token},
    )

    assert response.status_code == 403
    assert await status_of(client, banned.enrolment.id) == "enrolled"


async def test_a_re_enrolment_with_the_banned_address_is_held_and_looks_like_any_enrolment(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(
        database, org, series_id, "Mustikka", clock.now, email="mira@example.org"
    )
    async with database.unit_of_work() as db:
        await bans.ban(db, org, series_id, banned.enrolment.id, clock.now, "Kaisa")
    api = f"/api/v1/series/{series_id}/enrolments"

    normal = await client.post(api, json={"pseudonym": "Tavallinen", "email": "t@example.org"})
    held = await client.post(api, json={"pseudonym": "Uusi", "email": " MIRA@Example.ORG "})
    form = await post_form(
        client,
        f"/series/{series_id}",
        f"/series/{series_id}/enrol",
        {"pseudonym": "Kolmas", "email": "Mira@example.org"},
    )

    assert normal.status_code == held.status_code == 201
    assert held.json().keys() == normal.json().keys()
    assert held.json()["status"] == "pending_review"
    assert held.json()["waitlist_position"] is None
    assert form.status_code == 201
    assert "ban" not in form.text.lower() and "esto" not in form.text.lower()
    link = LINK.search(form.text)
    assert link, "the personal link is shown as for any enrolment"
    personal = (await personal_page(client, link.group(1).removeprefix("/me/"))).text
    assert "Ilmoittautumisesi on käsittelyssä" in personal
    assert "esto" not in personal.lower() and "Liity tapaamiseen" not in personal

    await sign_in(client, clock)
    page = f"/staff/series/{series_id}"
    html = (await client.get(page)).text
    async with database.unit_of_work() as db:
        waiting = await bans.held_in(db, series_id)
    first = waiting[0].enrolment.id
    assert "Mustikka" in row_of(html, first, "held")
    accepted = await post_form(client, page, f"{page}/enrolments/{first}/accept", {})
    assert accepted.headers["location"] == f"{page}?done=accepted"
    assert await status_of(client, first) == "enrolled"
    second = waiting[1].enrolment.id
    await post_form(client, page, f"{page}/enrolments/{second}/refuse", {})
    assert await status_of(client, second) == "refused"


async def series_with_parent(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        sessions = (await scheduling.get_series(db, series_id)).sessions
    return series_id, new, sessions


def join_buttons(html):
    return html.count("Liity tapaamiseen")


async def test_the_parent_page_says_when_joining_opens_and_offers_the_button_once_open(
    client, org, clock
):
    _series_id, new, sessions = await series_with_parent(client, org, clock)

    before = (await personal_page(client, new.token)).text
    clock.now = sessions[0].starts_at - timedelta(minutes=10)
    during = (await personal_page(client, new.token)).text

    assert join_buttons(before) == 0
    assert before.count("Liittyminen avautuu klo 17.30") == len(sessions)
    assert join_buttons(during) == 1
    assert during.count("Liittyminen avautuu klo 17.30") == len(sessions) - 1


async def test_no_join_button_for_a_cancelled_or_ended_session(client, org, clock):
    series_id, new, sessions = await series_with_parent(client, org, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        await scheduling.cancel_session(db, org, series_id, sessions[1].id, clock.now)
        db.add(RoomRow(session_id=sessions[0].id, opened_at=clock.now, ended_at=clock.now))
    clock.now = sessions[0].starts_at

    html = (await personal_page(client, new.token)).text

    assert join_buttons(html) == 0
    assert "Tapaaminen on päättynyt." in html
    clock.now = sessions[1].starts_at  # the cancelled one's time
    assert join_buttons((await personal_page(client, new.token)).text) == 0


async def test_a_banned_parent_is_told_plainly_and_gets_no_join_button(client, org, clock):
    series_id, new, sessions = await series_with_parent(client, org, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        await bans.ban(db, org, series_id, new.enrolment.id, clock.now, "Kaisa")
    clock.now = sessions[0].starts_at - timedelta(minutes=10)

    html = (await personal_page(client, new.token)).text

    assert "Et voi osallistua tähän ryhmään." in html
    assert "Ilmoittautunut" not in html
    assert join_buttons(html) == 0
    assert "Liittyminen avautuu" not in html
    assert "/withdraw" not in html


async def test_a_parent_whose_enrolment_was_ended_is_told_so_without_a_join_button(
    client, org, clock
):
    series_id, new, sessions = await series_with_parent(client, org, clock)
    await sign_in(client, clock)
    page = f"/staff/series/{series_id}"
    await post_form(client, page, f"{page}/enrolments/{new.enrolment.id}/remove", {})
    clock.now = sessions[0].starts_at

    html = (await personal_page(client, new.token)).text

    assert "Järjestäjä on päättänyt ilmoittautumisesi." in html
    assert join_buttons(html) == 0


async def test_the_parent_page_in_swedish_gives_the_opening_time_in_helsinki_time(
    client, org, clock
):
    _series_id, new, _sessions = await series_with_parent(client, org, clock)
    await personal_page(client, new.token)
    html = (await client.get("/me?lang=sv")).text
    assert "Du kan ansluta från kl. 17:30" in html
