"""Failed logins slow down and make the guessing address wait, never lock the account's owner
out, and say nothing about which e-mail addresses are staff."""

import re

from sqlalchemy import select

from server.people import passwords
from server.storage.tables import LoginFailureRow
from tests.factories import a_staff_member
from tests.web.login_support import ATTACKER, OWNER, browser_at, log_in

EMAIL = "coordinator@example.org"
CSRF = re.compile(r'(csrf[_a-z]*"? ?(?:value)?=")[^"]+')


async def add_coordinator(client, clock):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now)


async def test_guessing_from_one_address_makes_it_wait_while_the_owner_logs_in_from_elsewhere(
    client, clock
):
    await add_coordinator(client, clock)
    async with browser_at(client, ATTACKER) as attacker, browser_at(client, OWNER) as owner:
        for _ in range(5):
            assert (await log_in(attacker, EMAIL, "guess guess guess")).status_code == 401

        waiting = await log_in(attacker, EMAIL)  # even the right password, from there
        assert waiting.status_code == 429
        assert 'data-code="too_many_attempts"' in waiting.text
        assert (await attacker.get("/staff")).status_code == 303

        assert (await log_in(owner, EMAIL)).status_code == 303
        assert (await owner.get("/staff")).status_code == 200

        clock.advance(minutes=16)
        assert (await log_in(attacker, EMAIL)).status_code == 303


async def test_one_address_guessing_many_accounts_waits_for_all_of_them(client, clock):
    await add_coordinator(client, clock)
    async with browser_at(client, ATTACKER) as attacker, browser_at(client, OWNER) as owner:
        for n in range(20):
            await log_in(attacker, f"someone{n}@example.org", "guess guess guess")
        assert (await log_in(attacker, EMAIL)).status_code == 429
        assert (await log_in(owner, EMAIL)).status_code == 303


async def test_a_success_forgets_the_failures_of_that_account_from_that_address(client, clock):
    await add_coordinator(client, clock)
    async with browser_at(client, OWNER) as owner:
        for _ in range(4):
            await log_in(owner, EMAIL, "typo typo typo")
        assert (await log_in(owner, EMAIL)).status_code == 303
        for _ in range(4):
            await log_in(owner, EMAIL, "typo typo typo")
        assert (await log_in(owner, EMAIL)).status_code == 303


async def test_an_unknown_address_is_answered_slowed_hashed_and_throttled_like_a_staff_one(
    client, clock, monkeypatch
):
    """Same answer, same number of Argon2 verifications, same waits, same point of waiting."""
    await add_coordinator(client, clock)
    client.app.state.settings.login_delay_seconds = 0.5
    waits: list[float] = []
    verifications: list[bool] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    real_verify = passwords.verify_password

    def counted_verify(stored: str | None, password: str) -> bool:
        verifications.append(True)
        return real_verify(stored, password)

    monkeypatch.setattr("server.web.throttling.asyncio.sleep", no_sleep)
    monkeypatch.setattr(passwords, "verify_password", counted_verify)

    async def six_guesses(email: str):
        waits.clear()
        verifications.clear()
        async with browser_at(client, ATTACKER) as attacker:
            answers = [await log_in(attacker, email, "guess guess guess") for _ in range(6)]
        seen = [(a.status_code, CSRF.sub("", a.text.replace(email, "EMAIL"))) for a in answers]
        return seen, list(waits), len(verifications)

    known = await six_guesses(EMAIL)
    clock.advance(minutes=16)
    unknown = await six_guesses("nobody@example.org")
    assert known == unknown
    assert [status for status, _ in known[0]] == [401] * 5 + [429]
    assert known[1] == [0.5, 1.0, 1.5, 2.0] and known[2] == 5


async def test_the_counters_keep_no_address_or_e_mail(client, clock):
    await add_coordinator(client, clock)
    async with browser_at(client, ATTACKER) as attacker:
        await log_in(attacker, EMAIL, "guess guess guess")
    async with client.app.state.test_database.unit_of_work() as db:
        rows = list(await db.scalars(select(LoginFailureRow)))
    assert len(rows) == 3
    stored = " ".join(f"{r.key_hash} {r.failures} {r.clears_at}" for r in rows)
    assert ATTACKER not in stored and EMAIL not in stored and "example" not in stored
