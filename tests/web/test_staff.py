"""Staff: login and two-factor, planning a series, changing sessions."""

import html
import re
import urllib.parse
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from server.people.roles import Role
from server.storage.tables import NoticeRow, SeriesRow, SeriesStaffRow, StaffRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, enrol_parent, personal_page, seed_series


async def add_staff(client, clock, role=Role.COORDINATOR, **kwargs):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now, role, **kwargs)


async def log_in(client, email, password=PASSWORD):
    return await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": email, "password": password, "next": "/staff"},
    )


async def test_coordinator_logs_in_and_out(client, clock):
    await add_staff(client, clock)

    response = await log_in(client, "coordinator@example.org")
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert (await client.get("/staff")).status_code == 200

    await post_form(client, "/staff", "/staff/logout", {})
    after = await client.get("/staff")
    assert after.status_code == 303 and after.headers["location"].startswith("/staff/login")


async def test_wrong_password_is_refused_without_telling_which_part_was_wrong(client, clock):
    await add_staff(client, clock)
    wrong_password = await log_in(client, "coordinator@example.org", "wrong password!")
    unknown_email = await log_in(client, "nobody@example.org")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert 'data-code="login_failed"' in wrong_password.text
    assert 'data-code="login_failed"' in unknown_email.text


async def test_login_redirect_stays_on_this_site(client, clock):
    await add_staff(client, clock)
    response = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "coordinator@example.org", "password": PASSWORD, "next": "//evil.example/staff"},
    )
    assert response.headers["location"] == "/staff"


async def test_the_two_factor_qr_code_is_an_image_a_browser_can_draw(client, clock):
    await add_staff(client, clock)
    await log_in(client, "coordinator@example.org")
    page = await client.get("/staff/security")
    image = re.search(r'<img class="qr" src="([^"]+)"', page.text)
    assert image is not None
    media_type, _, payload = html.unescape(image.group(1)).partition(",")
    assert media_type.startswith("data:image/svg+xml")
    svg = urllib.parse.unquote(payload)
    # A standalone SVG image without its namespace is not drawn at all (a broken image).
    assert re.match(r"""<svg [^>]*\bxmlns=["']http://www\.w3\.org/2000/svg["']""", svg)


async def test_staff_member_turns_on_two_factor_and_then_needs_a_code(client, clock):
    await add_staff(client, clock)
    await log_in(client, "coordinator@example.org")
    page = await client.get("/staff/security")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    code = pyotp.TOTP(secret).at(clock.now)
    turned_on = await post_form(client, "/staff/security", "/staff/security/totp", {"code": code})
    assert turned_on.status_code == 200 and 'id="recovery-codes"' in turned_on.text
    clock.advance(seconds=30)  # the code that turned it on is used up
    await post_form(client, "/staff", "/staff/logout", {})

    step_one = await log_in(client, "coordinator@example.org")
    assert step_one.headers["location"] == "/staff/login/code"
    assert (await client.get("/staff")).status_code == 303  # not signed in yet
    wrong = await post_form(client, "/staff/login/code", "/staff/login/code", {"code": "000000"})
    assert wrong.status_code == 401
    right = await post_form(
        client, "/staff/login/code", "/staff/login/code", {"code": pyotp.TOTP(secret).at(clock.now)}
    )
    assert right.status_code == 303
    assert (await client.get("/staff")).status_code == 200


async def test_facilitator_cannot_open_coordinator_pages(client, clock):
    await add_staff(client, clock, Role.FACILITATOR)
    await log_in(client, "facilitator@example.org")
    assert (await client.get("/staff")).status_code == 200
    assert (await client.get("/staff/series/new")).status_code == 403
    assert (await client.get("/staff/people")).status_code == 403


def series_form(program_id: int, **overrides):
    return {
        "program_id": program_id,
        "title": "Eroryhmä syksy",
        "description": "Kuvaus",
        "life_situation": "separation",
        "cadence": "weekly",
        "weekday": "1",
        "interval": "1",
        "nth": "1",
        "local_time": "18:00",
        "first_on": "2026-10-20",
        "session_count": "8",
        "duration_minutes": "90",
        "media_mode": "chat",
        "themes": "Tutustuminen\nYhteistyövanhemmuus",
        "capacity": "8",
        "min_size": "4",
        "deadline_date": "",
        "deadline_time": "",
        "q1_label": "Lapsen ikä",
        "q1_options": "0–2 v | 3–6 v",
        **overrides,
    }


async def test_coordinator_creates_a_series_from_a_template_across_the_end_of_summer_time(
    client, clock
):
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    volunteer = await add_staff(client, clock, Role.VOLUNTEER)
    await log_in(client, "coordinator@example.org")
    chooser = await client.get("/staff/series/new")
    program_id = int(chooser.text.split("/staff/series/new?program=")[1].split('"')[0])
    prefilled = await client.get(f"/staff/series/new?program={program_id}")
    assert "Tutustuminen" in prefilled.text  # the template's themes, editable

    data = series_form(program_id) | {"staff_ids": [str(facilitator.id), str(volunteer.id)]}
    response = await post_form(
        client, f"/staff/series/new?program={program_id}", "/staff/series/new", data
    )

    assert response.status_code == 303
    detail = await client.get(response.headers["location"])
    assert detail.status_code == 200
    # Eight Tuesdays at 18:00 Helsinki time, before and after 25 October.
    assert detail.text.count("18.00") >= 8
    assert "ti 20.10.2026 18.00" in detail.text and "ti 27.10.2026 18.00" in detail.text
    assert "Veera" not in (await client.get("/")).text


async def test_invalid_series_form_keeps_the_input_and_names_each_bad_field(client, clock):
    await add_staff(client, clock)
    await log_in(client, "coordinator@example.org")
    chooser = await client.get("/staff/series/new")
    program_id = int(chooser.text.split("/staff/series/new?program=")[1].split('"')[0])

    data = series_form(program_id, title="x", capacity="0", local_time="25:99", session_count="999")
    response = await post_form(client, "/staff/series/new?program=1", "/staff/series/new", data)

    assert response.status_code == 422
    for field in ("title", "capacity", "local_time", "session_count"):
        assert f'id="{field}-error"' in response.text, field
    assert "Kuvaus" in response.text  # the rest of the input is kept
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).select_from(SeriesRow)) == 0


async def test_deadline_after_the_first_session_is_refused(client, clock):
    await add_staff(client, clock)
    await log_in(client, "coordinator@example.org")
    data = series_form(1, deadline_date="2026-12-01")
    response = await post_form(client, "/staff/series/new?program=1", "/staff/series/new", data)
    assert response.status_code == 422
    assert 'id="enrolment_deadline-error"' in response.text


async def test_coordinator_moves_and_cancels_a_session_and_parents_see_it(client, org, clock):
    database = client.app.state.test_database
    await add_staff(client, clock)
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await log_in(client, "coordinator@example.org")
    detail = await client.get(f"/staff/series/{series_id}")
    session_ids = [
        int(x) for x in detail.text.split('data-session-id="')[1:][0:2] for x in [x.split('"')[0]]
    ]

    page = f"/staff/series/{series_id}"
    moved = await post_form(
        client,
        page,
        f"{page}/sessions/{session_ids[0]}/move",
        {"date": "2026-10-20", "time": "17:15"},
    )
    assert moved.status_code == 303
    cancelled = await post_form(client, page, f"{page}/sessions/{session_ids[1]}/cancel", {})
    assert cancelled.status_code == 303

    personal = await personal_page(client, parent.token)
    assert "ti 20.10.2026 17.15" in personal.text
    async with database.unit_of_work() as db:
        kinds = set(await db.scalars(select(NoticeRow.kind)))
    assert {"session_moved", "session_cancelled"} <= kinds


async def test_session_cannot_be_moved_into_the_past(client, org, clock):
    database = client.app.state.test_database
    await add_staff(client, clock)
    series_id = await seed_series(database, org, clock.now)
    await log_in(client, "coordinator@example.org")
    detail = await client.get(f"/staff/series/{series_id}")
    session_id = detail.text.split('data-session-id="')[1].split('"')[0]
    page = f"/staff/series/{series_id}"
    yesterday = (clock.now - timedelta(days=1)).date().isoformat()
    response = await post_form(
        client, page, f"{page}/sessions/{session_id}/move", {"date": yesterday, "time": "18:00"}
    )
    assert response.status_code == 422
    assert 'data-code="session_in_past"' in response.text


async def test_coordinator_sees_the_series_that_needs_a_decision_and_cancels_it(client, org, clock):
    database = client.app.state.test_database
    await add_staff(client, clock)
    series_id = await seed_series(database, org, clock.now, min_size=3)
    await enrol_parent(database, org, series_id, "Yksin", clock.now)
    clock.advance(days=6)
    await log_in(client, "coordinator@example.org")

    dashboard = await client.get("/staff")
    assert 'id="flagged-heading"' in dashboard.text

    page = f"/staff/series/{series_id}"
    await post_form(client, page, f"{page}/cancel", {})
    dashboard = await client.get("/staff")
    assert 'id="flagged-heading"' not in dashboard.text


FEED_URL = re.compile(r'id="feed-url"[^>]*value="http://testserver(/calendar/staff/[^"]+)"')


async def make_feed_address(client) -> str:
    """Make a calendar feed address on the security page; returns the path it shows (once)."""
    made = await post_form(client, "/staff/security", "/staff/security/calendar-feed", {})
    assert made.status_code == 200
    found = FEED_URL.search(made.text)
    assert found, "the new address is shown"
    return found.group(1)


async def test_staff_calendar_feed_lists_own_sessions_only(client, org, clock):
    database = client.app.state.test_database
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    await seed_series(database, org, clock.now, title="Oma ryhmä", staff_ids=[facilitator.id])
    await seed_series(database, org, clock.now, title="Toisen ryhmä")
    await log_in(client, facilitator.email)
    path = await make_feed_address(client)
    client.cookies.clear()  # a calendar app sends no cookie: the address is enough

    feed = await client.get(path)

    assert feed.status_code == 200
    assert feed.text.count("BEGIN:VEVENT") == 4
    assert "Oma ryhmä" in feed.text and "Toisen ryhmä" not in feed.text
    assert (await client.get("/calendar/staff/" + "x" * 32 + ".ics")).status_code == 404


async def test_the_feed_address_is_shown_once_and_a_new_one_ends_the_old(client, clock):
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    await log_in(client, facilitator.email)
    before = await client.get("/staff/security")
    assert "/calendar/staff/" not in before.text
    assert 'action="/staff/security/calendar-feed"' in before.text

    old = await make_feed_address(client)
    assert (await client.get(old)).status_code == 200
    later = await client.get("/staff/security")
    assert old not in later.text and "/calendar/staff/" not in later.text
    async with client.app.state.test_database.unit_of_work() as db:
        row = await db.get(StaffRow, facilitator.id)
        assert row is not None and row.calendar_token_hash is not None
        assert old.split("/")[-1].removesuffix(".ics") not in row.calendar_token_hash

    new = await make_feed_address(client)
    assert new != old
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200


async def test_coordinator_adds_a_volunteer_with_an_alias(client, clock):
    await add_staff(client, clock)
    await log_in(client, "coordinator@example.org")
    data = {
        "role": "volunteer",
        "real_name": "Ville Vapaa",
        "alias": "",
        "email": "v@example.org",
        "password": "long enough pw",
    }
    missing_alias = await post_form(client, "/staff/people", "/staff/people", data)
    assert missing_alias.status_code == 422 and 'id="alias-error"' in missing_alias.text
    added = await post_form(client, "/staff/people", "/staff/people", data | {"alias": "Kokija"})
    assert added.status_code == 303
    again = await post_form(client, "/staff/people", "/staff/people", data | {"alias": "Kokija"})
    assert again.status_code == 409


async def test_coordinator_changes_who_is_assigned_to_a_series(client, org, clock):
    database = client.app.state.test_database
    await add_staff(client, clock)
    kept = await add_staff(client, clock, Role.FACILITATOR)
    dropped = await add_staff(client, clock, Role.VOLUNTEER)
    added = await add_staff(client, clock, Role.FACILITATOR, email="second@example.org")
    series_id = await seed_series(database, org, clock.now, staff_ids=[kept.id, dropped.id])
    await log_in(client, "coordinator@example.org")
    page = f"/staff/series/{series_id}"

    changed = await post_form(
        client, page, f"{page}/staff", {"staff_ids": [str(kept.id), str(added.id)]}
    )
    assert changed.status_code == 303
    cleared = await post_form(client, page, f"{page}/staff", {})
    assert cleared.status_code == 303
    again = await post_form(client, page, f"{page}/staff", {"staff_ids": [str(dropped.id)]})
    assert again.status_code == 303

    async with database.unit_of_work() as db:
        assigned = set(
            await db.scalars(
                select(SeriesStaffRow.staff_id).where(SeriesStaffRow.series_id == series_id)
            )
        )
    assert assigned == {dropped.id}
    detail = (await client.get(page)).text
    assert f'name="staff_ids" value="{dropped.id}" checked' in detail
    assert f'name="staff_ids" value="{kept.id}">' in detail
