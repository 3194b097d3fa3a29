"""A parent's calendar file and their individual times: a time they moved away from or cancelled
stays in it as CANCELLED, with the same UID and a higher SEQUENCE, until it has passed, so a
calendar app that imported the file before drops the old time when it imports it again (RFC
5545). The discreet file names no group, and an erasure leaves nothing of the old times."""

from datetime import date, datetime, time, timedelta

from icalendar import Calendar

from server.calendar import ics
from server.enrolment import service as enrolment_service
from server.enrolment.forgetting import Eraser, erase
from server.i18n import Translator
from server.scheduling import individual, individual_calendar
from server.storage.tables import EnrolmentRow
from tests.factories import enrol_parent, seed_series

Entries = dict[int, tuple[str, int, str]]  # session id: (STATUS, SEQUENCE, SUMMARY)


async def offered(database, org, series_id: int, now: datetime, days: int) -> int:
    async with database.unit_of_work() as db:
        day: date = (now + timedelta(days=days)).date()
        return (await individual.offer_time(db, org, series_id, day, time(16, 0), 45, now)).id


async def parent(database, org, series_id: int, now: datetime) -> int:
    new = await enrol_parent(database, org, series_id, "Mira", now)
    async with database.unit_of_work() as db:
        return (await enrolment_service.enrolment_by_token(db, new.token)).id


async def calendar(database, org, enrolment_id: int, now: datetime, discreet=False) -> Entries:
    """The individual times in the parent's calendar file, as a calendar app reads them."""
    async with database.unit_of_work() as db:
        enrolment = await db.get(EnrolmentRow, enrolment_id)
        assert enrolment is not None
        times = await individual_calendar.calendar_times(db, enrolment, now)
        body = ics.series_calendar(
            enrolment.series,
            org,
            now,
            Translator("en", org.zone),
            discreet=discreet,
            individual=times.held,
            released=times.released,
        )
        group = {s.id for s in enrolment.series.sessions}
    events = Calendar.from_ical(body).walk("VEVENT")
    entries: Entries = {}
    for event in events:
        session_id = int(str(event["uid"]).split("@")[0].removeprefix("tupa-session-"))
        assert session_id not in entries  # one entry per time, never the same UID twice
        if session_id not in group:
            status, sequence = str(event["status"]), int(str(event["sequence"]))
            entries[session_id] = (status, sequence, str(event["summary"]))
    return entries


async def act(database, enrolment_id: int, action, org, *args) -> None:
    """``action`` (book, move or cancel) for the parent, in a unit of work of its own."""
    async with database.unit_of_work() as db:
        enrolment = await db.get(EnrolmentRow, enrolment_id)
        await action(db, org, enrolment, *args)


async def test_a_moved_or_cancelled_time_stays_in_the_calendar_as_cancelled_until_it_has_passed(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    first, second = [await offered(database, org, series_id, clock.now, d) for d in (2, 3)]
    mira = await parent(database, org, series_id, clock.now)

    await act(database, mira, individual.book, org, first, clock.now)
    booked = await calendar(database, org, mira, clock.now)
    assert booked[first][0] == "CONFIRMED" and second not in booked

    await act(database, mira, individual.move, org, first, second, clock.now)
    moved = await calendar(database, org, mira, clock.now)
    assert moved[first][:1] == ("CANCELLED",) and moved[first][1] > booked[first][1]
    assert moved[second][0] == "CONFIRMED"

    await act(database, mira, individual.cancel, org, second, clock.now)
    cancelled = await calendar(database, org, mira, clock.now)
    assert {k: v[0] for k, v in cancelled.items()} == {first: "CANCELLED", second: "CANCELLED"}
    assert cancelled[second][1] > moved[second][1]
    assert "Testiryhmä" in cancelled[second][2]

    discreet = await calendar(database, org, mira, clock.now, discreet=True)
    assert {k: v[:2] for k, v in discreet.items()} == {k: v[:2] for k, v in cancelled.items()}
    assert all("Testiryhmä" not in summary for _, _, summary in discreet.values())

    # Shown until it has passed, as a time the parent held would be: then it is let go.
    first_over = clock.advance(days=2, hours=23)
    assert set(await calendar(database, org, mira, first_over)) == {second}
    assert await calendar(database, org, mira, first_over + timedelta(days=1)) == {}


async def test_a_time_booked_again_after_cancelling_is_in_the_calendar_once_and_confirmed(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    first = await offered(database, org, series_id, clock.now, 2)
    mira = await parent(database, org, series_id, clock.now)
    await act(database, mira, individual.book, org, first, clock.now)
    await act(database, mira, individual.cancel, org, first, clock.now)
    cancelled = await calendar(database, org, mira, clock.now)

    await act(database, mira, individual.book, org, first, clock.now)

    again = await calendar(database, org, mira, clock.now)
    assert again[first][0] == "CONFIRMED" and again[first][1] > cancelled[first][1]


async def test_an_erasure_leaves_no_trace_of_the_times_the_parent_gave_up(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    first, second = [await offered(database, org, series_id, clock.now, d) for d in (2, 3)]
    mira = await parent(database, org, series_id, clock.now)
    await act(database, mira, individual.book, org, first, clock.now)
    await act(database, mira, individual.move, org, first, second, clock.now)
    await act(database, mira, individual.cancel, org, second, clock.now)
    assert len(await calendar(database, org, mira, clock.now)) == 2

    async with database.unit_of_work() as db:
        await erase(db, org, series_id, mira, clock.now, Eraser("Mira", "parent"))

    async with database.unit_of_work() as db:
        enrolment = await db.get(EnrolmentRow, mira)
        assert enrolment is not None
        assert await individual_calendar.calendar_times(
            db, enrolment, clock.now
        ) == individual_calendar.CalendarTimes([], [])
