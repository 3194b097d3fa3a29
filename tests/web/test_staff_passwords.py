"""Passwords on the staff pages: one's own change (current password first, under the login
throttle; the other sessions end) and a coordinator's one-time reset link (shown once, mailed when
SMTP is configured, out of the address bar, valid 24 hours, ending every session)."""

import logging
import re

import httpx
from sqlalchemy import select

from server.people.roles import Role
from server.people.session_rules import token_hash
from server.storage.tables import OutboxRow, StaffPasswordResetRow, StaffRow, StaffSessionRow
from server.web.staff_cookie import COOKIE
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member
from tests.services.mail_support import queued
from tests.web.login_support import ATTACKER, OWNER, browser_at, log_in

NEW = "kolme karhua metsässä"
RESET_LINK = re.compile(r'id="reset-link"[^>]*value="(http://testserver/staff/reset/([^"]+))"')


def reset_link_in(html: str) -> tuple[str, str]:
    """The reset link a page shows, and its token."""
    found = RESET_LINK.search(html)
    assert found, "the page shows no reset link"
    return found.group(1), found.group(2)


async def add_staff(client, clock, role=Role.COORDINATOR):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now, role)


async def rows(client, row_type):
    async with client.app.state.test_database.unit_of_work() as db:
        return list(await db.scalars(select(row_type)))


def signed_out(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def change(browser, current, new=NEW, repeated=NEW) -> httpx.Response:
    return await post_form(
        browser,
        "/staff/security",
        "/staff/security/password",
        {"current_password": current, "new_password": new, "repeat_password": repeated},
    )


async def test_a_staff_member_changes_their_password_and_their_other_sessions_end(client, clock):
    staff = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as here, browser_at(client, OWNER) as elsewhere:
        assert (await log_in(here, staff.email)).status_code == 303
        assert (await log_in(elsewhere, staff.email)).status_code == 303

        done = await change(here, PASSWORD)
        assert done.headers["location"] == "/staff/security?done=password_changed#password"
        page = await here.get("/staff/security?done=password_changed")
        assert "Salasanasi on vaihdettu" in page.text
        assert (await here.get("/staff")).status_code == 200  # this browser goes on
        assert signed_out(await elsewhere.get("/staff"))
        assert len(await rows(client, StaffSessionRow)) == 1

        assert (await log_in(elsewhere, staff.email)).status_code == 401  # the old one
        assert (await log_in(elsewhere, staff.email, NEW)).status_code == 303


async def test_a_password_change_is_refused_for_a_wrong_current_or_a_weak_new_password(
    client, clock
):
    staff = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, staff.email)
        cases = [
            (("vaara salasana",), "password_wrong", "login_failed"),
            ((PASSWORD, "qwertyuiop", "qwertyuiop"), "password_too_common", "password_too_common"),
            ((PASSWORD, staff.email, staff.email), "password_too_common", "password_too_common"),
            ((PASSWORD, "lyhyt", "lyhyt"), "password_length", "invalid_input"),
            ((PASSWORD, "x" * 257, "x" * 257), "password_length", "invalid_input"),
            ((PASSWORD, NEW, NEW + "!"), "passwords_differ", "passwords_differ"),
        ]
        for args, done, code in cases:
            answer = await change(browser, *args)
            assert answer.headers["location"] == f"/staff/security?done={done}#password", args
            page = await browser.get(f"/staff/security?done={done}")
            assert f'data-code="{code}"' in page.text
        assert (await browser.get("/staff")).status_code == 200
    async with browser_at(client, OWNER) as other:
        assert (await log_in(other, staff.email)).status_code == 303  # unchanged


async def test_guessing_the_current_password_on_the_change_form_is_throttled(client, clock):
    staff = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, ATTACKER) as stolen, browser_at(client, OWNER) as owner:
        await log_in(stolen, staff.email)  # a browser left signed in
        for _ in range(5):
            await change(stolen, "arvaus arvaus")
        waiting = await change(stolen, PASSWORD)  # even the right one, from there
        assert waiting.headers["location"] == "/staff/security?done=too_many_attempts#password"
        assert (await log_in(owner, staff.email)).status_code == 303  # unchanged, owner not out


async def test_a_coordinator_makes_a_reset_link_shown_once_and_kept_as_a_hash(client, clock):
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        made = await post_form(
            coordinator, "/staff/people", f"/staff/people/{facilitator.id}/reset-link", {}
        )
        assert made.status_code == 200
        _, token = reset_link_in(made.text)
        assert "sähköpostiin" not in made.text  # no SMTP server: not mailed
        assert token not in (await coordinator.get("/staff/people")).text  # shown once
    [row] = await rows(client, StaffPasswordResetRow)
    assert row.token_hash == token_hash(token) and row.staff_id == facilitator.id
    assert await rows(client, OutboxRow) == []

    async with browser_at(client, OWNER) as other:
        await log_in(other, facilitator.email)
        refused = await other.post(
            f"/staff/people/{facilitator.id}/reset-link",
            data={"csrf_token": other.cookies.get("tupa_csrf", "")},
        )
        assert refused.status_code == 403


async def test_with_an_smtp_server_the_reset_link_is_mailed_to_the_person(client, clock, org):
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(update={"smtp_host": "smtp.example.org"})
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        made = await post_form(
            coordinator, "/staff/people", f"/staff/people/{facilitator.id}/reset-link?lang=en", {}
        )
        link, _ = reset_link_in(made.text)
    async with client.app.state.test_database.unit_of_work() as db:
        [mail] = await queued(db, org, "password_reset:%")
    assert mail.recipient == facilitator.email and mail.template == "password_reset"
    assert link in mail.body and "24" in mail.body


async def test_a_reset_link_leaves_the_address_bar_sets_the_password_once_and_ends_sessions(
    client, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        made = await post_form(
            coordinator, "/staff/people", f"/staff/people/{facilitator.id}/reset-link", {}
        )
        _, token = reset_link_in(made.text)
    async with browser_at(client, OWNER) as forgotten, browser_at(client, OWNER) as person:
        await log_in(forgotten, facilitator.email)  # a session left open somewhere

        opening = await person.get(f"/staff/reset/{token}")
        assert opening.status_code == 200
        assert 'http-equiv="refresh" content="0; url=/staff/reset"' in opening.text
        cookie = opening.headers["set-cookie"]
        assert "Path=/staff/reset" in cookie and "HttpOnly" in cookie
        form = await person.get("/staff/reset")
        assert form.status_code == 200 and token not in form.text
        assert facilitator.email in form.text  # for the browser's password manager

        weak = await post_form(
            person,
            "/staff/reset",
            "/staff/reset",
            {"new_password": "qwertyuiop", "repeat_password": "qwertyuiop"},
        )
        assert weak.status_code == 422 and 'data-code="password_too_common"' in weak.text
        done = await post_form(
            person, "/staff/reset", "/staff/reset", {"new_password": NEW, "repeat_password": NEW}
        )
        assert done.headers["location"] == "/staff/reset/done"
        assert 'tupa_reset=""' in done.headers["set-cookie"]
        assert signed_out(await forgotten.get("/staff"))
        sessions = await rows(client, StaffSessionRow)
        assert [s.staff_id for s in sessions if s.staff_id == facilitator.id] == []
        assert (await log_in(person, facilitator.email, NEW)).status_code == 303

    async with browser_at(client, OWNER) as again:
        await again.get(f"/staff/reset/{token}")
        used = await again.get("/staff/reset")
        assert used.status_code == 410 and 'data-code="reset_link_invalid"' in used.text
        assert 'name="new_password"' not in used.text
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert "GET /staff/reset/{token} 200" in "\n".join(server_lines)
    assert not [line for line in server_lines if token in line]  # the test client's own aside


async def test_a_reset_link_works_for_24_hours_only(client, clock):
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        made = await post_form(
            coordinator, "/staff/people", f"/staff/people/{facilitator.id}/reset-link", {}
        )
        _, token = reset_link_in(made.text)
    clock.advance(hours=24)
    async with browser_at(client, OWNER) as person:
        await person.get(f"/staff/reset/{token}")
        assert (await person.get("/staff/reset")).status_code == 410
        refused = await person.post(
            "/staff/reset",
            data={
                "csrf_token": person.cookies.get("tupa_csrf", ""),
                "new_password": NEW,
                "repeat_password": NEW,
            },
        )
        assert refused.status_code == 410
    async with browser_at(client, OWNER) as browser:
        assert (await log_in(browser, facilitator.email)).status_code == 303  # unchanged


async def test_a_malformed_reset_address_sets_no_cookie(client):
    for token in ("short", "x" * 101, "bad%20chars%20here%20and%20there%20and%20more"):
        answer = await client.get(f"/staff/reset/{token}")
        assert answer.status_code == 410 and "tupa_reset=" not in answer.headers.get(
            "set-cookie", ""
        ).replace('tupa_reset=""', "")
    assert COOKIE not in client.cookies


async def test_a_new_account_with_a_common_password_is_not_added(client, clock):
    await add_staff(client, clock)
    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        refused = await post_form(
            coordinator,
            "/staff/people",
            "/staff/people",
            {
                "email": "uusi@example.org",
                "real_name": "Uusi Ohjaaja",
                "role": "facilitator",
                "password": "1234567890",
            },
        )
    assert refused.status_code == 422
    assert re.search(r'id="password" name="password"[^>]*aria-invalid="true"', refused.text)
    assert "uusi@example.org" not in [s.email for s in await rows(client, StaffRow)]
