"""Dropping in to a live stage session (issue 16): who gets in, how a ban holds for the browser,
capacity and the join limit, and what the lifetime pass and erasure leave (both databases)."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accessibility.feedback_rules import SendingLimit
from server.accessibility.sending_limit import SendCounter
from server.enrolment import bans, forgetting
from server.enrolment import service as enrolment_service
from server.enrolment.links import token_hash
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance_sheet import EvaluationRules, attendance_sheet
from server.rooms.access import AccessRefused, parent_entrant
from server.rooms.frames import CloseCode
from server.scheduling import drop_in
from server.scheduling.room_rules import allow_drop_in
from server.scheduling.series import MediaMode
from server.storage.tables import (
    EnrolmentRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SessionRow,
)
from tests.factories import enrol_parent, seed_series

KEY = b"k" * 32
OPENS_BEFORE = timedelta(minutes=30)
IDLE = timedelta(hours=12)
BROWSER_A = "a" * 43
BROWSER_B = "b" * 43


async def a_live_series(database, org, clock, *, open_room=True, allowed=True, **overrides):
    """A stage series whose first session started five minutes ago, its room opened."""
    series_id = await seed_series(database, org, clock.now, media_mode=MediaMode.STAGE, **overrides)
    async with database.unit_of_work() as db:
        if allowed:
            await allow_drop_in(db, series_id, True)
        session = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id).order_by(SessionRow.id)
        )
        session.starts_at = clock.now - timedelta(minutes=5)
        if open_room:
            db.add(RoomRow(session_id=session.id, status="open", opened_at=clock.now))
        return series_id, session.id


async def join(database, clock, series_id, pseudonym, browser=BROWSER_A, address="192.0.2.1"):
    counter = SendCounter(SendingLimit(sends=20), KEY)
    async with database.unit_of_work() as db:
        request = drop_in.DropInRequest(pseudonym, browser, None)
        joined = await drop_in.join(
            db, series_id, request, counter, address, KEY, clock.now, OPENS_BEFORE, IDLE
        )
        return joined.enrolment.id, joined.session.id, joined.device, joined.returning


async def refused(database, clock, series_id, pseudonym, **kwargs) -> ErrorCode:
    with pytest.raises(TupaError) as error:
        await join(database, clock, series_id, pseudonym, **kwargs)
    return error.value.code


async def row(database, enrolment_id) -> EnrolmentRow:
    async with database.unit_of_work() as db:
        found = await db.get(EnrolmentRow, enrolment_id)
        assert found is not None
        return found


async def test_a_visitor_drops_in_without_email_or_seat_and_holds_a_device(database, org, clock):
    series_id, session_id = await a_live_series(database, org, clock)
    enrolment_id, joined_session, device, returning = await join(
        database, clock, series_id, " Ulpukka "
    )
    assert joined_session == session_id and not returning
    viewer = await row(database, enrolment_id)
    assert (viewer.status, viewer.drop_in, viewer.email, viewer.pseudonym) == (
        "drop_in",
        True,
        None,
        "Ulpukka",
    )
    assert viewer.device_hash == token_hash(device)
    assert viewer.browser_key == drop_in.browser_key(KEY, series_id, BROWSER_A)
    assert BROWSER_A not in (viewer.browser_key or "")
    async with database.unit_of_work() as db:
        series = await enrolment_service.lock_series(db, series_id)
        assert (await enrolment_service.occupancy(db, series)).enrolled == 0  # no seat taken


async def test_the_same_browser_gets_its_enrolment_back_under_its_pseudonym(database, org, clock):
    series_id, _ = await a_live_series(database, org, clock)
    first, _, first_device, _ = await join(database, clock, series_id, "Ulpukka")
    again, _, second_device, returning = await join(database, clock, series_id, "Toinen nimi")
    assert again == first and returning and first_device != second_device
    assert (await row(database, first)).pseudonym == "Ulpukka"
    assert (await row(database, first)).device_hash == token_hash(second_device)


async def test_nothing_to_drop_in_to_before_the_room_opens_or_where_the_series_allows_none(
    database, org, clock
):
    closed, _ = await a_live_series(database, org, clock, open_room=False)
    assert await refused(database, clock, closed, "Ulpukka") is ErrorCode.LIVE_NOT_RUNNING
    not_allowed, _ = await a_live_series(database, org, clock, allowed=False)
    assert await refused(database, clock, not_allowed, "Ulpukka") is ErrorCode.LIVE_NOT_RUNNING


async def test_a_chat_series_cannot_allow_drop_in(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    with pytest.raises(TupaError) as error:
        async with database.unit_of_work() as db:
            await allow_drop_in(db, series_id, True)
    assert error.value.code is ErrorCode.INVALID_INPUT


async def test_a_ban_holds_for_the_browser_for_the_whole_series_and_not_for_others(
    database, org, clock
):
    series_id, session_id = await a_live_series(database, org, clock)
    banned, *_ = await join(database, clock, series_id, "Häiriö")
    async with database.unit_of_work() as db:
        await bans.ban(db, org, series_id, banned, clock.now, "Fasi", session_id)
    assert (await row(database, banned)).status == "banned"
    assert await refused(database, clock, series_id, "Uusi nimi") is ErrorCode.LIVE_REFUSED
    other, *_ = await join(database, clock, series_id, "Ulpukka", browser=BROWSER_B)
    assert other != banned
    # Its next session too: the ban is on the series.
    async with database.unit_of_work() as db:
        rooms = await db.get(RoomRow, session_id)
        rooms.ended_at = clock.now
        later = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id, SessionRow.id != session_id)
        )
        later.starts_at = clock.now
        db.add(RoomRow(session_id=later.id, status="open", opened_at=clock.now))
    assert await refused(database, clock, series_id, "Kolmas") is ErrorCode.LIVE_REFUSED


async def test_a_pseudonym_in_use_in_the_series_is_refused(database, org, clock):
    series_id, _ = await a_live_series(database, org, clock)
    await enrol_parent(database, org, series_id, "Mira", clock.now)
    assert await refused(database, clock, series_id, "mira") is ErrorCode.PSEUDONYM_TAKEN
    assert await refused(database, clock, series_id, "x") is ErrorCode.INVALID_INPUT


async def test_seats_and_viewers_in_the_room_fill_the_capacity(database, org, clock):
    series_id, session_id = await a_live_series(database, org, clock, capacity=3)
    await enrol_parent(database, org, series_id, "Mira", clock.now)
    ids = []
    for n, browser in enumerate(("c" * 40, "d" * 40)):
        enrolment_id, *_ = await join(database, clock, series_id, f"Katsoja {n}", browser=browser)
        ids.append(enrolment_id)
        async with database.unit_of_work() as db:
            db.add(
                RoomMemberRow(
                    session_id=session_id,
                    peer=f"peer{n}",
                    enrolment_id=enrolment_id,
                    name=f"Katsoja {n}",
                    role="parent",
                    status="admitted",
                    created_at=clock.now,
                )
            )
    assert await refused(database, clock, series_id, "Neljäs", browser="e" * 40) is (
        ErrorCode.LIVE_FULL
    )
    # One already in the room always gets back.
    back, *_ = await join(database, clock, series_id, "Katsoja 0", browser="c" * 40)
    assert back == ids[0]


async def test_visitors_joining_at_once_for_the_last_place_get_it_once(database, org, clock):
    """Nobody has entered the room yet: a join holds its place from the join itself, so of
    several visitors joining at the same moment for the last place exactly one gets it."""
    series_id, _ = await a_live_series(database, org, clock, capacity=2)
    await enrol_parent(database, org, series_id, "Mira", clock.now)
    racers = 6

    async def warm_connection():
        async with database.sessions() as db:
            await db.execute(select(1))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(warm_connection() for _ in range(racers)))

    async def racer(n: int) -> str:
        try:
            await join(database, clock, series_id, f"Katsoja {n}", str(n) * 40, f"192.0.2.{10 + n}")
        except TupaError as error:
            return error.code.value
        return "joined"

    results = await asyncio.gather(*(racer(n) for n in range(racers)))

    assert sorted(results) == ["joined"] + ["live_full"] * (racers - 1)
    # The one who joined gets back in although they have not entered the room yet.
    winner = results.index("joined")
    again = await join(database, clock, series_id, "x", str(winner) * 40, "192.0.2.99")
    assert again[3]  # returning
    async with database.unit_of_work() as db:
        viewers = await db.scalars(select(EnrolmentRow).where(EnrolmentRow.drop_in.is_(True)))
        assert len(list(viewers)) == 1


async def test_joins_are_limited_per_address_without_keeping_it(database, org, clock):
    series_id, _ = await a_live_series(database, org, clock)
    for _ in range(20):
        await join(database, clock, series_id, "Ulpukka")
    await join(database, clock, series_id, "Ulpukka", address="198.51.100.7")  # counted apart
    with pytest.raises(TupaError) as error:
        await join(database, clock, series_id, "Ulpukka")
    assert error.value.code is ErrorCode.TOO_MANY_SENDS


async def test_viewers_are_counted_apart_from_the_cohort(database, org, clock):
    series_id, session_id = await a_live_series(database, org, clock)
    enrolment_id, *_ = await join(database, clock, series_id, "Ulpukka")
    async with database.unit_of_work() as db:
        member = RoomMemberRow(
            session_id=session_id,
            peer="viewerpeer",
            enrolment_id=enrolment_id,
            name="Ulpukka",
            role="parent",
            status="admitted",
            created_at=clock.now,
            admitted_at=clock.now,
        )
        db.add(member)
        await db.flush()
        db.add(
            PresenceRow(
                member_id=member.id, joined_at=clock.now, left_at=clock.now + timedelta(minutes=3)
            )
        )
        room = await db.get(RoomRow, session_id)
        room.ended_at = clock.now + timedelta(minutes=30)
    async with database.unit_of_work() as db:
        sheet = await attendance_sheet(db, series_id, EvaluationRules())
    assert sheet.participants == []
    assert sheet.drop_in_viewers[session_id] == 1


async def test_the_lifetime_pass_and_erasure_forget_the_browser_but_a_ban_keeps_it(
    database, org, clock
):
    series_id, session_id = await a_live_series(database, org, clock)
    kept, *_ = await join(database, clock, series_id, "Ulpukka")
    banned, *_ = await join(database, clock, series_id, "Häiriö", browser=BROWSER_B)
    async with database.unit_of_work() as db:
        await bans.ban(db, org, series_id, banned, clock.now, "Fasi", session_id)
    eraser = forgetting.Eraser("Kaisa", "coordinator")
    async with database.unit_of_work() as db:
        await forgetting.erase(db, org, series_id, kept, clock.now, eraser)
        await forgetting.erase(db, org, series_id, banned, clock.now, eraser)
    erased = await row(database, kept)
    assert (erased.browser_key, erased.device_hash, erased.status) == (None, None, "withdrawn")
    assert (await row(database, banned)).browser_key is not None
    assert await refused(database, clock, series_id, "Taas", browser=BROWSER_B) is (
        ErrorCode.LIVE_REFUSED
    )
    async with database.unit_of_work() as db:
        await forgetting.forget_personal_data(db, [series_id], clock.now)
    assert (await row(database, banned)).browser_key is None


async def test_the_room_lets_a_viewer_in_while_the_series_allows_drop_in_and_not_once_banned(
    database, org, clock
):
    series_id, session_id = await a_live_series(database, org, clock)
    enrolment_id, _, device, _ = await join(database, clock, series_id, "Ulpukka")
    async with database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        entrant = await parent_entrant(db, device, session, clock.now)
    assert (entrant.enrolment_id, entrant.name, entrant.role.value) == (
        enrolment_id,
        "Ulpukka",
        "parent",
    )
    async with database.unit_of_work() as db:
        await allow_drop_in(db, series_id, False)
    async with database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        with pytest.raises(AccessRefused) as off:
            await parent_entrant(db, device, session, clock.now)
    assert off.value.close_code == CloseCode.FORBIDDEN
    async with database.unit_of_work() as db:
        await allow_drop_in(db, series_id, True)
        await bans.ban(db, org, series_id, enrolment_id, clock.now, "Fasi", session_id)
    async with database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        with pytest.raises(AccessRefused) as banned:
            await parent_entrant(db, device, session, clock.now)
    assert banned.value.close_code == CloseCode.FORBIDDEN


async def test_a_banned_parents_address_kept_by_an_erasure_goes_with_the_lifetime_pass(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mira", clock.now, "m@example.org")
    async with database.unit_of_work() as db:
        await bans.ban(db, org, series_id, banned.enrolment.id, clock.now, "Fasi")
        await forgetting.erase(
            db,
            org,
            series_id,
            banned.enrolment.id,
            clock.now,
            forgetting.Eraser("K", "coordinator"),
        )
    assert (await row(database, banned.enrolment.id)).email == "m@example.org"  # the ban holds
    async with database.unit_of_work() as db:
        assert series_id in await forgetting.series_holding_personal_data(db)
        await forgetting.forget_personal_data(db, [series_id], clock.now)
    assert (await row(database, banned.enrolment.id)).email is None


async def test_a_parent_cannot_enrol_under_a_viewers_pseudonym(database, org, clock):
    series_id, _ = await a_live_series(
        database, org, clock, enrolment_deadline=clock.now + timedelta(days=1)
    )
    await join(database, clock, series_id, "Ulpukka")
    with pytest.raises(TupaError) as error:
        await enrol_parent(database, org, series_id, "ulpukka", clock.now)
    assert error.value.code is ErrorCode.PSEUDONYM_TAKEN
