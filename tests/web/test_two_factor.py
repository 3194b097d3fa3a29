"""Two-factor codes work once, recovery codes let a staff member in without the phone, and every
form that takes a code or a password is throttled like the login."""

import re

import pyotp
from sqlalchemy import func, select

from server.storage.tables import RecoveryCodeRow, StaffRow
from tests.conftest import post_form
from tests.factories import a_staff_member
from tests.web.login_support import (
    ATTACKER,
    OWNER,
    browser_at,
    log_in,
    send_code,
    turn_on_two_factor,
)

EMAIL = "coordinator@example.org"
CODE = re.compile(r"<li><code>([a-z2-7-]+)</code></li>")


async def with_two_factor(client, clock):
    """A coordinator with two-factor on; the secret and the recovery codes shown."""
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
    async with browser_at(client, OWNER) as browser:
        assert (await log_in(browser, EMAIL)).status_code == 303
        secret, shown = await turn_on_two_factor(browser, clock)
    clock.advance(seconds=30)
    return secret, CODE.findall(shown.text)


async def test_an_app_code_logs_in_once(client, clock):
    secret, _ = await with_two_factor(client, clock)
    code = pyotp.TOTP(secret).at(clock.now)
    async with browser_at(client, OWNER) as first, browser_at(client, OWNER) as second:
        await log_in(first, EMAIL)
        await log_in(second, EMAIL)
        assert (await send_code(first, code)).status_code == 303
        replayed = await send_code(second, code)
        assert replayed.status_code == 401 and 'data-code="totp_invalid"' in replayed.text
        assert (await second.get("/staff")).status_code == 303

        clock.advance(seconds=30)
        assert (await send_code(second, pyotp.TOTP(secret).at(clock.now))).status_code == 303


async def test_ten_recovery_codes_are_shown_once_and_each_lets_its_owner_in_once(client, clock):
    _, codes = await with_two_factor(client, clock)
    assert len(codes) == len(set(codes)) == 10
    async with client.app.state.test_database.unit_of_work() as db:
        stored = list(await db.scalars(select(RecoveryCodeRow.code_hash)))
    assert len(stored) == 10 and not set(codes) & set(stored)

    async with browser_at(client, OWNER) as browser:
        await log_in(browser, EMAIL)
        assert (await send_code(browser, codes[0].upper())).status_code == 303
        page = await browser.get("/staff/security")
        assert not CODE.search(page.text)  # shown once, never again
        async with client.app.state.test_database.unit_of_work() as db:
            assert await db.scalar(select(func.count()).select_from(RecoveryCodeRow)) == 9
        await post_form(browser, "/staff", "/staff/logout", {})

        await log_in(browser, EMAIL)
        again = await send_code(browser, codes[0])
        assert again.status_code == 401 and 'data-code="totp_invalid"' in again.text


async def test_new_recovery_codes_end_the_old_ones_and_need_the_password(client, clock):
    secret, old = await with_two_factor(client, clock)
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, EMAIL)
        await send_code(browser, pyotp.TOTP(secret).at(clock.now))
        wrong = await post_form(
            browser, "/staff/security", "/staff/security/recovery-codes", {"password": "nope nope!"}
        )
        assert wrong.headers["location"] == "/staff/security?done=login_failed"
        made = await post_form(
            browser,
            "/staff/security",
            "/staff/security/recovery-codes",
            {"password": "correct horse battery"},
        )
        new = CODE.findall(made.text)
        assert len(new) == 10 and not set(new) & set(old)
        await post_form(browser, "/staff", "/staff/logout", {})
        await log_in(browser, EMAIL)
        assert (await send_code(browser, old[1])).status_code == 401
        assert (await send_code(browser, new[1])).status_code == 303


async def test_wrong_codes_make_that_address_wait_but_not_the_owner_elsewhere(client, clock):
    secret, _ = await with_two_factor(client, clock)
    async with browser_at(client, ATTACKER) as attacker, browser_at(client, OWNER) as owner:
        await log_in(attacker, EMAIL)  # the password is known to the attacker
        for _ in range(5):
            assert (await send_code(attacker, "000000")).status_code == 401
        waiting = await send_code(attacker, pyotp.TOTP(secret).at(clock.now))
        assert waiting.status_code == 429 and 'data-code="too_many_attempts"' in waiting.text

        await log_in(owner, EMAIL)
        assert (await send_code(owner, pyotp.TOTP(secret).at(clock.now))).status_code == 303


async def test_turning_two_factor_off_is_throttled_and_forgets_the_recovery_codes(client, clock):
    secret, _ = await with_two_factor(client, clock)
    async with browser_at(client, OWNER) as browser:
        await log_in(browser, EMAIL)
        await send_code(browser, pyotp.TOTP(secret).at(clock.now))
        for _ in range(5):
            wrong = await post_form(
                browser, "/staff/security", "/staff/security/totp/disable", {"password": "nope!"}
            )
            assert wrong.headers["location"] == "/staff/security?done=login_failed"
        waiting = await post_form(
            browser,
            "/staff/security",
            "/staff/security/totp/disable",
            {"password": "correct horse battery"},
        )
        assert waiting.headers["location"] == "/staff/security?done=too_many_attempts"
        page = await browser.get(waiting.headers["location"])
        assert 'data-code="too_many_attempts"' in page.text
        async with client.app.state.test_database.unit_of_work() as db:
            assert await db.scalar(select(StaffRow.totp_secret)) is not None

        clock.advance(minutes=16)
        off = await post_form(
            browser,
            "/staff/security",
            "/staff/security/totp/disable",
            {"password": "correct horse battery"},
        )
        assert off.headers["location"] == "/staff/security?done=off"
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(StaffRow.totp_secret)) is None
        assert await db.scalar(select(func.count()).select_from(RecoveryCodeRow)) == 0
