"""Coordinators read each staff member's security log on the staff accounts page, in Helsinki
time and in the reader's language; no one else can, and it shows no address or secret."""

import re
from zoneinfo import ZoneInfo

import pytest

from server.i18n import Translator
from server.people.roles import Role
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member
from tests.web.login_support import (
    ATTACKER,
    OWNER,
    browser_at,
    log_in,
    send_code,
    turn_on_two_factor,
)

NEW = "kolme karhua metsässä"

LABELS = {
    "fi": ("Kirjautuminen", "Väärä salasana kirjautuessa", "Uloskirjautuminen"),
    "sv": ("Inloggning", "Fel lösenord vid inloggning", "Utloggning"),
    "en": ("Login", "Wrong password at login", "Logout"),
}


async def add_staff(client, clock, role=Role.COORDINATOR):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now, role)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_a_coordinator_reads_logins_failures_and_logouts_in_helsinki_time(
    client, clock, language
):
    await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, ATTACKER) as stranger, browser_at(client, OWNER) as owner:
        assert (await log_in(stranger, facilitator.email, "arvaus arvaus")).status_code == 401
        assert (await log_in(owner, facilitator.email)).status_code == 303
        clock.advance(minutes=5)
        await post_form(owner, "/staff", "/staff/logout", {})

    async with browser_at(client, OWNER) as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        accounts = await coordinator.get("/staff/people")
        assert f'href="/staff/people/{facilitator.id}/security-log"' in accounts.text
        page = await coordinator.get(f"/staff/people/{facilitator.id}/security-log?lang={language}")
    assert page.status_code == 200
    body = page.text.split("<tbody>")[1].split("</tbody>")[0]
    login, failure, logout = LABELS[language]
    assert body.index(logout) < body.index(login) < body.index(failure)  # newest first
    t = Translator(language, ZoneInfo("Europe/Helsinki"))
    assert t.datetime(clock.now, "long") in body  # 12.05 in Helsinki for 09.05 UTC
    assert "12" in t.datetime(clock.now, "long")
    for secret in (PASSWORD, "arvaus arvaus", ATTACKER, OWNER, "127.0.0.1"):
        assert secret not in page.text


async def test_only_coordinators_read_a_security_log(client, clock):
    coordinator = await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as browser:
        assert (
            await browser.get(f"/staff/people/{coordinator.id}/security-log")
        ).status_code == 303
        await log_in(browser, facilitator.email)
        for staff_id in (coordinator.id, facilitator.id):
            answer = await browser.get(f"/staff/people/{staff_id}/security-log")
            assert answer.status_code == 403
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, coordinator.email)
        assert (await browser.get("/staff/people/9999/security-log")).status_code == 404


async def test_two_factor_changes_code_failures_recovery_and_password_changes_are_logged(
    client, clock
):
    coordinator = await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, facilitator.email)
        _, answer = await turn_on_two_factor(browser, clock)
        recovery = re.findall(r"<li><code>([^<]+)</code></li>", answer.text)
        await post_form(browser, "/staff", "/staff/logout", {})
        clock.advance(minutes=1)
        await log_in(browser, facilitator.email)
        assert (await send_code(browser, "000000")).status_code == 401
        assert (await send_code(browser, recovery[0])).status_code == 303
        await post_form(
            browser,
            "/staff/security",
            "/staff/security/password",
            {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW},
        )
        await post_form(
            browser, "/staff/security", "/staff/security/totp/disable", {"password": NEW}
        )
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, coordinator.email)
        page = await browser.get(f"/staff/people/{facilitator.id}/security-log?lang=en")
    events = re.findall(r'data-event="([a-z_]+)"', page.text)
    assert events == [
        "two_factor_off",
        "password_changed",
        "login",
        "recovery_code_used",
        "code_failed",
        "logout",
        "two_factor_on",
        "login",
    ]
    assert recovery[0] not in page.text and NEW not in page.text
