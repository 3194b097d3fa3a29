"""Individual times on the pages: the facilitator's offer page, the parent's booking, moving and
cancelling, their calendar file, the refusals, and the report's separate count."""

import re
import secrets
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from server.evaluation.attendance_sheet import EvaluationRules
from server.evaluation.individual import individual_figures
from server.people.roles import Role
from server.scheduling import individual
from server.storage.tables import PresenceRow, RoomMemberRow, RoomRow, SessionRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, enrol_parent, personal_page, seed_series
from tests.services.individual_support import held_time


async def facilitator_signed_in(client, org, clock):
    """A facilitator assigned to a new series, signed in; returns the series id."""
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    series_id = await seed_series(
        client.app.state.test_database, org, clock.now, staff_ids=[facilitator.id]
    )
    login = {"email": facilitator.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303
    return series_id


async def times(client, series_id):
    async with client.app.state.test_database.unit_of_work() as db:
        return await individual.times_of_series(db, series_id)


async def test_the_facilitator_offers_a_time_in_helsinki_time_and_a_past_one_is_refused(
    client, org, clock
):
    series_id = await facilitator_signed_in(client, org, clock)
    page = f"/staff/series/{series_id}/individual"
    assert f'href="{page}"' in (await client.get("/staff")).text
    day = (clock.now + timedelta(days=2)).astimezone(org.zone).date()
    offer = {"date": day.isoformat(), "time": "16:30", "duration_minutes": "45"}

    response = await post_form(client, page, page, offer)

    assert response.headers["location"] == f"{page}?done=offered"
    (offered,) = await times(client, series_id)
    local = offered.session.starts_at.astimezone(org.zone)
    assert (local.date(), local.hour, local.minute) == (day, 16, 30)
    assert offered.session.starts_at.utcoffset() == timedelta(0)  # stored in UTC
    assert "16.30" in (await client.get(page)).text
    dashboard = (await client.get("/staff")).text
    assert "Yksilötapaaminen (ei varattu)" in dashboard  # the facilitator's upcoming sessions

    past = {**offer, "date": (day - timedelta(days=5)).isoformat()}
    refused = await post_form(client, page, page, past)
    assert refused.status_code == 422
    assert 'id="start-error"' in refused.text
    assert len(await times(client, series_id)) == 1


async def test_a_parent_books_moves_and_cancels_from_their_page(client, org, clock):
    series_id = await facilitator_signed_in(client, org, clock)
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        first, second = [
            (
                await individual.offer_time(
                    db,
                    org,
                    series_id,
                    (clock.now + timedelta(days=d)).date(),
                    clock.now.time(),
                    45,
                    clock.now,
                )
            ).id
            for d in (2, 3)
        ]
    mira = await enrol_parent(database, org, series_id, "Mira", clock.now)
    client.cookies.clear()
    page = (await personal_page(client, mira.token)).text
    assert f'action="/me/individual/{first}/book"' in page

    booked = await post_form(client, "/me", f"/me/individual/{first}/book", {})
    assert booked.status_code == 303
    page = (await client.get("/me")).text
    assert f'action="/me/individual/{first}/move"' in page
    assert f'action="/me/individual/{second}/book"' not in page  # one at a time

    moved = await post_form(client, "/me", f"/me/individual/{first}/move", {"to": str(second)})
    assert moved.headers["location"].startswith("/me?individual=moved")
    holders = {t.session.id: t.booked_by for t in await times(client, series_id)}
    assert holders == {first: None, second: "Mira"}

    calendar = (await client.get("/me/calendar.ics")).text
    entries = {
        str(event["uid"]): str(event["status"])
        for event in Calendar.from_ical(calendar).walk("VEVENT")
    }
    # The time moved away from stays in, cancelled, so an app that imported it drops it.
    assert entries[f"tupa-session-{first}@testserver"] == "CANCELLED"
    assert entries[f"tupa-session-{second}@testserver"] == "CONFIRMED"
    assert "Individual session" in calendar or "Yksilötapaaminen" in calendar
    discreet = (await client.get("/me/calendar.ics?discreet=1")).text
    assert "Testiryhmä" not in discreet
    room = await client.get(f"/me/sessions/{second}/room")
    assert room.status_code == 200  # the room page, with the same safety as a group's
    assert 'id="quick-exit"' in room.text and 'id="help-now"' in room.text
    assert f"/me/feedback/{second}" not in room.text  # feedback would name its one parent
    exported = (await client.get("/me/data.json")).json()
    assert [t["status"] for t in exported["individual_times"]] == ["planned"]

    cancelled = await post_form(client, "/me", f"/me/individual/{second}/cancel", {})
    assert cancelled.status_code == 303
    assert all(t.booked_by is None for t in await times(client, series_id))


async def test_another_parents_time_is_refused_at_the_door_and_at_booking(client, org, clock):
    series_id = await facilitator_signed_in(client, org, clock)
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        time_id = (
            await individual.offer_time(
                db,
                org,
                series_id,
                (clock.now + timedelta(days=2)).date(),
                clock.now.time(),
                45,
                clock.now,
            )
        ).id
    mira = await enrol_parent(database, org, series_id, "Mira", clock.now)
    onni = await enrol_parent(database, org, series_id, "Onni", clock.now)
    client.cookies.clear()
    await personal_page(client, mira.token)
    await post_form(client, "/me", f"/me/individual/{time_id}/book", {})
    client.cookies.clear()
    page = (await personal_page(client, onni.token)).text
    assert f"/me/individual/{time_id}/book" not in page

    taken = await post_form(client, "/me", f"/me/individual/{time_id}/book", {})
    assert taken.status_code == 409
    assert (await client.get(f"/me/sessions/{time_id}/room")).status_code == 403
    assert (await client.get(f"/me/feedback/{time_id}")).status_code == 404


async def test_the_report_counts_individual_sessions_apart_and_hides_small_counts(
    client, org, clock
):
    series_id = await facilitator_signed_in(client, org, clock)
    database = client.app.state.test_database
    parents = [
        await enrol_parent(database, org, series_id, n, clock.now) for n in ("A1", "B2", "C3")
    ]
    async with database.unit_of_work() as db:
        for number, parent in enumerate(parents):
            day = (clock.now + timedelta(days=2 + number)).date()
            offered = await individual.offer_time(
                db, org, series_id, day, clock.now.time(), 45, clock.now
            )
            offered.booked_enrolment_id = parent.enrolment.id
            end = offered.starts_at + timedelta(minutes=45)
            db.add(
                RoomRow(
                    session_id=offered.id, status="ended", opened_at=offered.starts_at, ended_at=end
                )
            )
            member = RoomMemberRow(
                session_id=offered.id,
                peer=secrets.token_urlsafe(12),
                enrolment_id=parent.enrolment.id,
                name=parent.enrolment.pseudonym,
                role="parent",
                status="admitted",
                created_at=offered.starts_at,
                admitted_at=offered.starts_at,
            )
            db.add(member)
            await db.flush()
            # The third parent looked in for five minutes only: held, not attended.
            left = end if number < 2 else offered.starts_at + timedelta(minutes=5)
            db.add(PresenceRow(member_id=member.id, joined_at=offered.starts_at, left_at=left))
    async with database.unit_of_work() as db:
        figures = await individual_figures(db, series_id, EvaluationRules())
        group = await db.scalar(
            select(RoomRow.session_id).join(SessionRow).where(SessionRow.kind == "group")
        )
    assert (figures.held, figures.attended, figures.parents) == (3, 2, 2)
    assert group is None  # no group session was held: the group's figures stay empty

    html = (await client.get(f"/staff/series/{series_id}/report")).text
    section = html.split('id="report-individual"')[1].split("</section>")[0]
    cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", section)
    assert cells[-6:][1] == "3"  # held: shown
    assert cells[-6:][3] == cells[-6:][5]  # attended 2 and parents 2: both hidden alike
    assert cells[-6:][3] != "2"


async def test_the_attendance_page_lets_staff_correct_an_individual_time_and_the_count_follows(
    client, org, clock
):
    series_id = await facilitator_signed_in(client, org, clock)
    database = client.app.state.test_database
    session_id, enrolment_id = await held_time(database, org, series_id, clock.now, 5)
    page = f"/staff/series/{series_id}/attendance"
    action = f"{page}/{session_id}/{enrolment_id}"

    html = (await client.get(page)).text
    section = html.split('id="attendance-individual"')[1].split("</section>")[0]
    assert "Mira" in section and f'action="{action}"' in section
    assert 'data-attended="no"' in section

    fixed = await post_form(client, page, action, {"attended": "yes", "reason": "Puhelimella"})

    assert fixed.status_code == 303
    async with database.unit_of_work() as db:
        figures = await individual_figures(db, series_id, EvaluationRules())
    assert (figures.held, figures.attended, figures.parents) == (1, 1, 1)
    section = (await client.get(page)).text.split('id="attendance-individual"')[1]
    assert 'data-attended="yes"' in section.split("</section>")[0]
