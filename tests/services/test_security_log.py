"""The security log keeps, per staff member, what happened to their access and who else did it,
never a password, a code, a token or an address, and forgets lines after the configured time."""

from datetime import timedelta

from sqlalchemy import select

from server.background import BackgroundWork
from server.people import deactivation, password_resets, security_log, staff_sessions
from server.people.roles import Role
from server.people.security_log import SecurityEvent
from server.people.session_rules import SessionLimits
from server.storage.tables import StaffPasswordResetRow, StaffSecurityEventRow
from tests.factories import PASSWORD, a_staff_member

AGENT = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile"
LIMITS = SessionLimits(idle=timedelta(hours=1), absolute=timedelta(hours=12))


async def test_sessions_deactivation_and_reset_links_are_logged_with_who_did_them(database, clock):
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now, real_name="Kaisa Koordinaattori")
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        token = await staff_sessions.start(db, facilitator, clock.now, AGENT)
        await staff_sessions.start(db, facilitator, clock.now, AGENT, code_due=True)  # not yet in
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        await staff_sessions.sign_out(db, token, clock.now)
        await staff_sessions.start(db, facilitator, clock.now, AGENT)
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        _, reset = await password_resets.issue(db, facilitator.id, coordinator.id, clock.now)
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        await password_resets.use(db, reset, "uusi hyvä salasana", "uusi hyvä salasana", clock.now)
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, facilitator.id, clock.now, by=coordinator.id)
        await deactivation.deactivate(db, facilitator.id, clock.now, by=coordinator.id)  # again
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        await deactivation.reactivate(db, facilitator.id, clock.now)  # from the command line

    async with database.unit_of_work() as db:
        person, lines = await security_log.log_of(db, facilitator.id)
    assert person.id == facilitator.id
    assert [(line.event, line.by, line.browser) for line in lines] == [
        (SecurityEvent.ACTIVATED, None, None),
        (SecurityEvent.DEACTIVATED, "Kaisa Koordinaattori", None),
        (SecurityEvent.PASSWORD_RESET, None, None),
        (SecurityEvent.RESET_LINK_ISSUED, "Kaisa Koordinaattori", None),
        (SecurityEvent.LOGIN, None, "Chrome / Android"),
        (SecurityEvent.LOGOUT, None, None),
        (SecurityEvent.LOGIN, None, "Chrome / Android"),
    ]
    assert lines[0].at == clock.now and lines[-1].at == clock.now - timedelta(minutes=5)
    assert token not in repr(lines) and reset not in repr(lines)
    async with database.unit_of_work() as db:
        _, coordinators = await security_log.log_of(db, coordinator.id)
    assert coordinators == []  # what they did to others is in the others' logs


async def test_ending_sessions_is_logged_and_nothing_secret_is_kept(database, clock):
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now)
    async with database.unit_of_work() as db:
        await staff_sessions.start(db, staff, clock.now, AGENT)
        second = await staff_sessions.start(db, staff, clock.now, AGENT)
        row_id = (await staff_sessions.sessions_of(db, staff.id, clock.now, LIMITS))[0].id
    async with database.unit_of_work() as db:
        assert await staff_sessions.end(db, staff.id, row_id, clock.now)
        await staff_sessions.end_own(db, staff.id, clock.now)
    async with database.unit_of_work() as db:
        _, lines = await security_log.log_of(db, staff.id)
        rows = list(await db.scalars(select(StaffSecurityEventRow)))
    assert [line.event for line in lines] == [
        SecurityEvent.ALL_SESSIONS_ENDED,  # the same time: the later line first
        SecurityEvent.SESSION_ENDED,
        SecurityEvent.LOGIN,
        SecurityEvent.LOGIN,
    ]
    stored = repr([vars(r) for r in rows])
    for secret in (PASSWORD, second, str(staff.email), "127.0.0.1"):
        assert secret not in stored


async def test_lines_older_than_the_configured_days_are_deleted(database, clock):
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now)
        security_log.record(db, staff.id, SecurityEvent.LOGIN_FAILED, clock.now)
    clock.advance(days=300)
    async with database.unit_of_work() as db:
        security_log.record(db, staff.id, SecurityEvent.LOGIN, clock.now)
    clock.advance(days=66)
    async with database.unit_of_work() as db:
        assert await security_log.delete_older_than(db, clock.now, timedelta(days=365)) == 1
    async with database.unit_of_work() as db:
        _, lines = await security_log.log_of(db, staff.id)
    assert [line.event for line in lines] == [SecurityEvent.LOGIN]


async def test_the_background_pass_forgets_old_lines_and_reset_links_past_their_day(
    database, settings, clock
):
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now)
        security_log.record(db, coordinator.id, SecurityEvent.LOGIN, clock.now)
    async with database.unit_of_work() as db:
        await password_resets.issue(db, coordinator.id, None, clock.now)
    background = BackgroundWork(database, settings, None, clock)
    await background.run_once()
    async with database.unit_of_work() as db:
        assert len(list(await db.scalars(select(StaffPasswordResetRow)))) == 1
        assert len((await security_log.log_of(db, coordinator.id))[1]) == 2

    clock.advance(days=settings.security_log_days, seconds=1)
    await background.run_once()
    async with database.unit_of_work() as db:
        assert list(await db.scalars(select(StaffPasswordResetRow))) == []
        assert (await security_log.log_of(db, coordinator.id))[1] == []
