"""The staff pages' session warning asks the server how long the session lasts and renews it:
asking is no activity, "Continue" restarts the idle clock only with the CSRF token, never past
the absolute limit, and only a signed-in staff member gets an answer."""

import httpx
from sqlalchemy import select

from server.storage.tables import StaffRow, StaffSessionRow
from server.web.staff_cookie import COOKIE
from tests.conftest import csrf_of
from tests.factories import a_staff_member
from tests.web.login_support import log_in

TIME_LEFT = "/staff/session/time-left"
CONTINUE = "/staff/session/continue"
HOUR, MINUTE = 3600, 60


async def signed_in_coordinator(client, clock) -> str:
    """A coordinator logged in in ``client``; returns a CSRF token of their pages."""
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now, email="coordinator@example.org")
    assert (await log_in(client, "coordinator@example.org")).status_code == 303
    return csrf_of((await client.get("/staff")).text)


async def the_session(client) -> StaffSessionRow:
    async with client.app.state.test_database.unit_of_work() as db:
        return (await db.scalars(select(StaffSessionRow))).one()


async def test_the_time_left_counts_down_without_renewing_the_session(client, clock):
    await signed_in_coordinator(client, clock)
    seen = (await the_session(client)).last_seen_at
    clock.advance(minutes=50)

    answer = await client.get(TIME_LEFT)

    assert answer.status_code == 200
    assert answer.json() == {
        "idle_seconds": 10 * MINUTE,
        "absolute_seconds": 12 * HOUR - 50 * MINUTE,
        "idle_warning_seconds": 2 * MINUTE,  # two minutes before the idle end
        "absolute_warning_seconds": 10 * MINUTE,  # and ten before the absolute end
    }
    assert (await the_session(client)).last_seen_at == seen  # asking is no activity
    clock.advance(minutes=11)
    assert (await client.get(TIME_LEFT)).status_code == 401  # so it ends all the same


async def test_a_short_idle_limit_is_warned_at_a_fifth_of_it(client, clock, settings):
    client.app.state.settings = settings.model_copy(update={"staff_session_idle_minutes": 5})
    await signed_in_coordinator(client, clock)

    answer = (await client.get(TIME_LEFT)).json()

    assert answer["idle_seconds"] == 5 * MINUTE
    assert answer["idle_warning_seconds"] == MINUTE


async def test_continue_restarts_the_idle_clock_and_answers_the_new_time(client, clock):
    csrf = await signed_in_coordinator(client, clock)
    seen = (await the_session(client)).last_seen_at
    clock.advance(minutes=58)

    answer = await client.post(CONTINUE, data={"csrf_token": csrf})

    assert answer.status_code == 200
    assert answer.json()["idle_seconds"] == HOUR
    assert answer.json()["absolute_seconds"] == 12 * HOUR - 58 * MINUTE
    renewed = (await the_session(client)).last_seen_at
    assert (renewed - seen).total_seconds() == 58 * MINUTE
    clock.advance(minutes=59)  # past the old idle end: the session still opens staff pages
    assert (await client.get("/staff")).status_code == 200


async def test_continue_without_the_csrf_token_renews_nothing(client, clock):
    await signed_in_coordinator(client, clock)
    seen = (await the_session(client)).last_seen_at
    clock.advance(minutes=58)

    for data in ({}, {"csrf_token": "x" * 43}):
        refused = await client.post(CONTINUE, data=data)
        assert refused.status_code == 403

    assert (await the_session(client)).last_seen_at == seen
    clock.advance(minutes=3)
    assert (await client.get(TIME_LEFT)).status_code == 401


async def test_continue_cannot_keep_a_session_past_its_absolute_limit(client, clock):
    csrf = await signed_in_coordinator(client, clock)
    for _ in range(23):  # busy every half hour until half an hour before the limit
        clock.advance(minutes=30)
        assert (await client.post(CONTINUE, data={"csrf_token": csrf})).status_code == 200
    near = await client.post(CONTINUE, data={"csrf_token": csrf})
    assert near.json()["absolute_seconds"] == 30 * MINUTE  # the renewal does not move it
    assert near.json()["idle_seconds"] == HOUR

    clock.advance(minutes=31)
    refused = await client.post(CONTINUE, data={"csrf_token": csrf})

    assert refused.status_code == 401
    assert refused.json() == {"code": "login_required"}
    assert (await client.get(TIME_LEFT)).status_code == 401


async def test_only_a_signed_in_staff_member_gets_an_answer(client, clock):
    csrf = await signed_in_coordinator(client, clock)
    csrf_cookie = client.cookies["tupa_csrf"]
    for staff_cookie in ({}, {COOKIE: "a" * 43}):  # no staff cookie, a made-up one
        client.cookies = httpx.Cookies({"tupa_csrf": csrf_cookie, **staff_cookie})
        assert (await client.get(TIME_LEFT)).status_code == 401
        refused = await client.post(CONTINUE, data={"csrf_token": csrf})
        assert refused.status_code == 401 and refused.json() == {"code": "login_required"}
    assert "idle_seconds" not in refused.text


async def test_a_deactivated_staff_member_gets_no_answer(client, clock):
    csrf = await signed_in_coordinator(client, clock)
    seen = (await the_session(client)).last_seen_at
    async with client.app.state.test_database.unit_of_work() as db:
        staff = (await db.scalars(select(StaffRow))).one()
        staff.deactivated_at = clock.now  # as `tupa staff deactivate` would, sessions aside
    clock.advance(minutes=5)
    assert (await client.get(TIME_LEFT)).status_code == 401
    assert (await client.post(CONTINUE, data={"csrf_token": csrf})).status_code == 401
    assert (await the_session(client)).last_seen_at == seen


async def test_staff_pages_carry_the_warning_in_their_language_and_other_pages_do_not(
    client, clock
):
    await signed_in_coordinator(client, clock)
    token = client.cookies[COOKIE]

    english = (await client.get("/staff?lang=en")).text
    assert '<dialog id="session-warning" class="session-warning" role="alertdialog"' in english
    assert "/session-warning.js" in english
    assert "you will be logged out in %(time)s. Choose Continue" in english  # the script fills it
    assert token not in english
    assert "aikaa on jäljellä %(time)s" in (await client.get("/staff?lang=fi")).text
    assert "det återstår %(time)s" in (await client.get("/staff?lang=sv")).text
    assert "aikaa on jäljellä %(time)s" in (await client.get("/staff?lang=se")).text

    client.cookies.delete(COOKIE)
    public = (await client.get("/?lang=en")).text
    assert "session-warning" not in public
