"""Staff sessions live on the server: the cookie is a random id, logout and the session list end
them for good, they expire, and staff pages are never stored by the browser."""

import base64
import re

import httpx
import pyotp
from sqlalchemy import func, select

from server.people.roles import Role
from server.people.session_rules import token_hash
from server.storage.tables import StaffSessionRow
from server.web.staff_cookie import COOKIE
from tests.conftest import csrf_of, post_form
from tests.factories import PASSWORD, a_staff_member, enrol_parent, seed_series


async def add_staff(client, clock, role=Role.COORDINATOR, **kwargs):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now, role, **kwargs)


async def logged_in(client, email, agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"):
    """A fresh browser (cookie jar) logged in as ``email``; returns its cookies."""
    client.cookies.clear()
    done = await client.post(
        "/staff/login",
        data={
            "csrf_token": await _csrf(client),
            "email": email,
            "password": PASSWORD,
            "next": "/staff",
        },
        headers={"user-agent": agent},
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff", done.text
    return httpx.Cookies(client.cookies)


async def _csrf(client) -> str:
    return csrf_of((await client.get("/staff/login")).text)


async def session_rows(client):
    async with client.app.state.test_database.unit_of_work() as db:
        return list(await db.scalars(select(StaffSessionRow).order_by(StaffSessionRow.id)))


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_a_cookie_copied_before_logout_opens_no_staff_page_after_it(client, clock):
    await add_staff(client, clock)
    copied = await logged_in(client, "coordinator@example.org")
    assert (await client.get("/staff/security")).status_code == 200

    out = await post_form(client, "/staff", "/staff/logout", {})
    assert out.status_code == 303
    assert f"{COOKIE}=" in out.headers["set-cookie"]  # the browser is told to drop it
    assert await session_rows(client) == []

    client.cookies = copied  # someone kept a copy of the cookie
    for page in ("/staff", "/staff/security", "/staff/people"):
        assert signed_out(await client.get(page)), page


async def test_the_staff_cookie_is_a_random_id_and_the_database_keeps_only_its_hash(client, clock):
    staff = await add_staff(client, clock)
    cookies = await logged_in(client, "coordinator@example.org")
    security = await client.get("/staff/security")
    secret = security.text.split('id="totp-secret">')[1].split("<")[0]

    value = cookies[COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # 32 random bytes, url-safe base64
    assert len(base64.urlsafe_b64decode(value + "=")) == 32  # nothing but them
    assert staff.email not in value and secret not in value
    for name, cookie in client.cookies.items():  # no cookie at all carries the pending secret
        assert secret not in cookie, name

    [row] = await session_rows(client)
    assert row.token_hash == token_hash(value) and value not in row.token_hash
    assert row.totp_setup == secret  # the two-factor secret on offer stays on the server
    assert row.browser == "Firefox / Linux"


async def test_two_factor_setup_keeps_its_secret_on_the_server_until_confirmed(client, clock):
    await add_staff(client, clock)
    await logged_in(client, "coordinator@example.org")
    page = await client.get("/staff/security")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    again = await client.get("/staff/security")
    assert secret in again.text  # the same secret until it is confirmed

    code = pyotp.TOTP(secret).at(clock.now)
    turned_on = await post_form(client, "/staff/security", "/staff/security/totp", {"code": code})
    assert turned_on.status_code == 200
    [row] = await session_rows(client)
    assert row.totp_setup is None


async def test_a_login_waiting_for_its_code_opens_only_the_code_page(client, clock):
    staff = await add_staff(client, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        row = await db.get(type(staff), staff.id)
        row.totp_secret = pyotp.random_base32()
        secret = row.totp_secret
    client.cookies.clear()
    step = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": staff.email, "password": PASSWORD, "next": "/staff/security"},
    )
    assert step.headers["location"] == "/staff/login/code"
    pending = client.cookies[COOKIE]
    assert signed_out(await client.get("/staff"))
    [waiting] = await session_rows(client)
    assert waiting.code_due

    done = await post_form(
        client, "/staff/login/code", "/staff/login/code", {"code": pyotp.TOTP(secret).at(clock.now)}
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff/security"
    assert client.cookies[COOKIE] != pending  # a fresh id once the second factor is given
    [signed_in] = await session_rows(client)
    assert not signed_in.code_due and signed_in.token_hash != waiting.token_hash

    clock.advance(minutes=6)  # a login left at the code step does not last
    client.cookies = httpx.Cookies({COOKIE: pending})
    assert (await client.get("/staff/login/code")).headers["location"] == "/staff/login"


async def test_a_session_ends_after_the_idle_limit_without_requests(client, clock):
    await add_staff(client, clock)
    await logged_in(client, "coordinator@example.org")
    clock.advance(minutes=59)
    assert (await client.get("/staff")).status_code == 200
    clock.advance(minutes=59)  # busy: each request restarts the idle clock
    assert (await client.get("/staff")).status_code == 200
    clock.advance(minutes=61)
    assert signed_out(await client.get("/staff"))


async def test_a_session_ends_at_the_absolute_limit_however_busy(client, clock):
    await add_staff(client, clock)
    await logged_in(client, "coordinator@example.org")
    for _ in range(23):  # every half hour for eleven and a half hours
        clock.advance(minutes=30)
        assert (await client.get("/staff")).status_code == 200
    clock.advance(minutes=31)
    assert signed_out(await client.get("/staff"))


async def test_staff_see_their_own_sessions_and_end_another_one(client, clock):
    await add_staff(client, clock)
    other = await add_staff(client, clock, Role.FACILITATOR)
    phone = await logged_in(
        client, "coordinator@example.org", "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile"
    )
    await logged_in(client, other.email)
    laptop = await logged_in(client, "coordinator@example.org")
    rows = await session_rows(client)
    phone_row = next(r for r in rows if r.browser == "Chrome / Android")

    page = await client.get("/staff/security")
    listed = re.findall(r'data-session-id="(\d+)"', page.text)
    assert sorted(int(i) for i in listed) == sorted(
        r.id for r in rows if r.staff_id != other.id
    )  # their own two, not the facilitator's
    assert "Chrome / Android" in page.text and "Firefox / Linux" in page.text

    ended = await post_form(
        client, "/staff/security", f"/staff/security/sessions/{phone_row.id}/end", {}
    )
    assert ended.headers["location"] == "/staff/security?done=session_ended"
    assert (await client.get("/staff")).status_code == 200  # this browser goes on
    client.cookies = phone
    assert signed_out(await client.get("/staff"))

    client.cookies = laptop
    facilitators = next(r for r in await session_rows(client) if r.staff_id == other.id)
    await post_form(
        client, "/staff/security", f"/staff/security/sessions/{facilitators.id}/end", {}
    )
    assert any(r.id == facilitators.id for r in await session_rows(client))  # not theirs to end


async def test_ending_all_sessions_signs_out_every_browser_of_that_person_only(client, clock):
    await add_staff(client, clock)
    other = await add_staff(client, clock, Role.FACILITATOR)
    first = await logged_in(client, "coordinator@example.org")
    facilitator = await logged_in(client, other.email)
    await logged_in(client, "coordinator@example.org")
    done = await post_form(client, "/staff/security", "/staff/security/sessions/end-all", {})
    assert done.headers["location"] == "/staff/login"
    assert signed_out(await client.get("/staff"))
    client.cookies = first
    assert signed_out(await client.get("/staff"))
    client.cookies = facilitator
    assert (await client.get("/staff")).status_code == 200


async def test_the_background_pass_deletes_expired_sessions(client, clock):
    await add_staff(client, clock)
    await logged_in(client, "coordinator@example.org")
    await client.app.state.background.run_once()
    assert len(await session_rows(client)) == 1
    clock.advance(minutes=61)
    await client.app.state.background.run_once()
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).select_from(StaffSessionRow)) == 0


async def test_staff_pages_and_exports_are_never_stored_by_the_browser(client, clock, org):
    await add_staff(client, clock)
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    await logged_in(client, "coordinator@example.org")
    for path in (
        "/staff",
        "/staff/security",
        f"/staff/series/{series_id}",
        f"/staff/series/{series_id}/report",
        f"/staff/series/{series_id}/report.csv",
        f"/staff/series/{series_id}/attendance",
        "/staff/login",
    ):
        response = await client.get(path)
        assert response.status_code in (200, 303), path
        assert response.headers["cache-control"] == "no-store", path
    assert "no-store" not in (await client.get("/")).headers.get("cache-control", "")


async def test_a_reissued_link_is_shown_once_in_the_answer_and_kept_in_no_session(
    client, clock, org
):
    await add_staff(client, clock)
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await logged_in(client, "coordinator@example.org")
    page = f"/staff/series/{series_id}"
    shown = await post_form(client, page, f"{page}/enrolments/{parent.enrolment.id}/reissue", {})
    assert shown.status_code == 200
    found = re.search(r'class="link-box" readonly value="([^"]+)"', shown.text)
    assert found is not None
    token = found.group(1).rsplit("/", 1)[1]
    assert token not in str(shown.headers)
    assert token not in (await client.get(page)).text  # once only
    for row in await session_rows(client):
        assert token not in repr(vars(row))
