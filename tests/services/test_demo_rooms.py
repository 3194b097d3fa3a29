"""The live demo sessions of `tupa serve --demo`: one per media mode, planned a few minutes ahead
and renewed before the current one ends, and a visitor's one-click enrolment in them."""

from datetime import timedelta

from server.demo_rooms import sessions as live
from server.demo_rooms.accounts import SIMULATED_ACCOUNTS
from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.scheduling.series import MediaMode
from tests.demo_support import OPENS_BEFORE


async def test_one_live_session_per_media_mode_starts_a_few_minutes_after_the_demo_does(
    database, org, clock
):
    async with database.unit_of_work() as db:
        planned = await live.renew(db, org, clock.now)
    async with database.unit_of_work() as db:
        again = await live.renew(db, org, clock.now)
        sessions = await live.live_sessions(db, clock.now)
        running = await live.running(db, clock.now, OPENS_BEFORE)

    assert again == [], "renewing right away plans nothing more"
    assert {MediaMode(s.media_mode) for s in planned} == set(MediaMode)
    assert set(sessions) == set(MediaMode)
    assert {s.id for s in running} == {s.id for s in planned}, "their rooms may open at once"
    for mode, session in sessions.items():
        assert timedelta(minutes=3) <= session.starts_at - clock.now <= timedelta(minutes=4)
        assert session.series.status == SeriesStatus.CONFIRMED.value  # nobody must decide
        assert session.series.enrolment_deadline == live.ends_at(session)
        leaders = {s.member.email for s in session.series.staff}
        assert {a.email for a in SIMULATED_ACCOUNTS} <= leaders
        async with database.unit_of_work() as db:
            history = await live.history_entrants(db, session)
        assert [p.name for p in history] == list(live.HISTORY_PARENTS[mode])
        # The stage is a public live: visitors may drop in without enrolling (issue 16).
        assert session.series.drop_in is (mode is MediaMode.STAGE)


async def test_the_next_live_session_is_planned_a_quarter_of_an_hour_before_the_current_ends(
    database, org, clock
):
    async with database.unit_of_work() as db:
        first = {s.media_mode: s.id for s in await live.renew(db, org, clock.now)}
    clock.advance(minutes=live.LENGTH_MINUTES - 20)
    async with database.unit_of_work() as db:
        assert await live.renew(db, org, clock.now) == []
    clock.advance(minutes=10)  # a quarter of an hour (less a few minutes) left
    async with database.unit_of_work() as db:
        second = {s.media_mode: s.id for s in await live.renew(db, org, clock.now)}
        sessions = await live.live_sessions(db, clock.now)
        running = {s.id for s in await live.running(db, clock.now, OPENS_BEFORE)}

    assert set(second) == set(first) and not set(second.values()) & set(first.values())
    assert {s.id for s in sessions.values()} == set(second.values()), "visitors go to the new"
    assert running == set(first.values()) | set(second.values()), "the old ones still run"
    clock.advance(minutes=20)
    async with database.unit_of_work() as db:
        running = {s.id for s in await live.running(db, clock.now, OPENS_BEFORE)}
    assert running == set(second.values())


async def test_a_visitor_joins_the_live_chat_under_a_generated_pseudonym_in_their_language(
    database, org, clock
):
    async with database.unit_of_work() as db:
        await live.renew(db, org, clock.now)
    clock.advance(minutes=10)  # the session has started: enrolment is still open
    async with database.unit_of_work() as db:
        first = await live.join_as_parent(db, org, MediaMode.CHAT, clock.now, "sv")
        second = await live.join_as_parent(db, org, MediaMode.CHAT, clock.now, "en")
        chat = (await live.live_sessions(db, clock.now))[MediaMode.CHAT]

    for new in (first, second):
        assert new.enrolment.series_id == chat.series_id
        assert new.enrolment.status == EnrolmentStatus.ENROLLED.value
        assert new.enrolment.email is None
        word, number = new.enrolment.pseudonym.rsplit(" ", 1)
        assert word in live.PSEUDONYM_WORDS and 10 <= int(number) <= 99
    assert first.enrolment.pseudonym != second.enrolment.pseudonym
    async with database.unit_of_work() as db:
        language = await live.parent_language(db, chat.series_id, first.enrolment.pseudonym)
    assert language == "sv"
