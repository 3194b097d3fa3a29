"""Intakes against the real databases: parents enrol once, the coordinator composes groups after
the deadline, and each parent moves into their group with their pseudonym, answers, notices and
personal link; the waiting list stays behind."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from server.enrolment import forgetting
from server.enrolment import service as enrolment_service
from server.enrolment.composition import Proposal, propose
from server.enrolment.questions import Question
from server.enrolment.service import EnrolmentRequest, NewEnrolment
from server.errors import ErrorCode, TupaError
from server.scheduling import intakes
from server.scheduling import service as scheduling
from server.scheduling.endings import forget_expired_personal_data, series_ends
from server.scheduling.intakes import GroupPlan
from server.storage.tables import EnrolmentRow, NoticeRow, SeriesRow
from tests.services.intake_support import AGES, open_intake, plans
from tests.services.mail_support import queued

PARENTS = [
    ("Mustikka", AGES[0]),
    ("Puolukka", AGES[1]),
    ("Lakka", AGES[0]),
    ("Karpalo", AGES[1]),
    ("Vadelma", AGES[0]),
    ("Mansikka", AGES[1]),
]


async def enrol_all(database, org, intake_id: int, now: datetime) -> dict[str, NewEnrolment]:
    enrolled = {}
    for i, (name, age) in enumerate(PARENTS):
        email = "mustikka@example.org" if i == 0 else None
        async with database.unit_of_work() as db:
            request = EnrolmentRequest(name, email, {"q1": age})
            enrolled[name] = await enrolment_service.enrol(db, org, intake_id, request, now)
    return enrolled


async def proposal(database, intake_id: int) -> dict[int, int]:
    async with database.unit_of_work() as db:
        people = intakes.people_of(await intakes.seated(db, intake_id))
    result = propose(people, ["q1"], 2, 4)
    assert isinstance(result, Proposal)
    return {pid: g for g, ids in enumerate(result.groups) for pid in ids}


async def test_composed_groups_take_the_parents_with_their_link_and_the_waiting_list_stays(
    database, org, clock
):
    intake_id = await open_intake(database, clock.now)
    enrolled = await enrol_all(database, org, intake_id, clock.now)
    async with database.unit_of_work() as db:
        late = await enrolment_service.enrol(
            db, org, intake_id, EnrolmentRequest("Myöhäinen", None, {"q1": AGES[0]}), clock.now
        )
    assert late.waitlist_position == 1

    # Composing waits for the deadline; closing early is the coordinator's call.
    assignment = await proposal(database, intake_id)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intakes.compose(db, org, intake_id, plans(clock.now), assignment, 2, 4, clock.now)
    assert error.value.params == {"field": "enrolment_deadline"}
    async with database.unit_of_work() as db:
        await intakes.close_now(db, intake_id, clock.advance(minutes=1))

    async with database.unit_of_work() as db:
        groups = await intakes.compose(
            db, org, intake_id, plans(clock.now), assignment, 2, 4, clock.now
        )
        group_ids = [g.id for g in groups]

    async with database.unit_of_work() as db:
        rows = {
            r.pseudonym: r for r in await db.scalars(select(EnrolmentRow).order_by(EnrolmentRow.id))
        }
        for name, new in enrolled.items():
            row = rows[name]
            assert row.id == new.enrolment.id
            assert row.series_id in group_ids
            assert row.status == "enrolled"
            # The personal link opens the same enrolment, now in its group.
            by_link = await enrolment_service.enrolment_by_token(db, new.token)
            assert by_link.id == row.id and by_link.series_id == row.series_id
        # Each group holds one age group only: the proposal kept them apart.
        for group_id in group_ids:
            answers = {r.answers["q1"] for r in rows.values() if r.series_id == group_id}
            assert len(answers) == 1
        assert rows["Myöhäinen"].series_id == intake_id
        assert rows["Myöhäinen"].status == "waitlisted"
        late_kinds = await db.scalars(
            select(NoticeRow.kind)
            .where(NoticeRow.enrolment_id == rows["Myöhäinen"].id)
            .order_by(NoticeRow.id)
        )
        assert list(late_kinds) == ["waitlisted", "not_placed"]

        for group_id in group_ids:
            group = await db.get(SeriesRow, group_id)
            assert group is not None
            assert group.intake_id == intake_id and not group.intake
            assert group.status == "confirmed"
            assert group.enrolment_deadline == clock.now  # composed: nobody enrols directly
            assert len(group.sessions) == group.program.session_count
            assert group.questions == [Question("q1", "Lapsen ikä", AGES, True).to_json()]

        kinds = list(
            await db.scalars(
                select(NoticeRow.kind)
                .where(NoticeRow.enrolment_id == enrolled["Mustikka"].enrolment.id)
                .order_by(NoticeRow.id)
            )
        )
        assert kinds == ["enrolled", "placed"]
        mails = await queued(db, org, "notice:%:placed:%")
    assert len(mails) == 1  # only Mustikka gave an address
    group_title = "Ryhmä 1" if rows["Mustikka"].series_id == group_ids[0] else "Ryhmä 2"
    assert group_title in mails[0].body

    # Composing again finds nobody left with a seat.
    async with database.unit_of_work() as db:
        assert await intakes.seated(db, intake_id) == []


async def test_a_stale_or_out_of_bounds_split_is_refused_and_changes_nothing(database, org, clock):
    intake_id = await open_intake(database, clock.now)
    enrolled = await enrol_all(database, org, intake_id, clock.now)
    async with database.unit_of_work() as db:
        await intakes.close_now(db, intake_id, clock.now)
    assignment = await proposal(database, intake_id)

    lopsided = dict.fromkeys(assignment, 0)
    lopsided[next(iter(lopsided))] = 1
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intakes.compose(db, org, intake_id, plans(clock.now), lopsided, 2, 4, clock.now)
    assert error.value.params == {"field": "assignment", "group": 1}

    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, enrolled["Lakka"].token, clock.now)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intakes.compose(db, org, intake_id, plans(clock.now), assignment, 2, 4, clock.now)
    assert error.value.code is ErrorCode.INVALID_INPUT
    assert error.value.params == {"field": "assignment"}

    async with database.unit_of_work() as db:
        assert await intakes.groups_of(db, intake_id) == []
        left = await intakes.seated(db, intake_id)
    assert len(left) == 5


async def test_a_group_in_the_past_names_the_group_and_its_field_and_leaves_nothing(
    database, org, clock
):
    intake_id = await open_intake(database, clock.now)
    await enrol_all(database, org, intake_id, clock.now)
    async with database.unit_of_work() as db:
        await intakes.close_now(db, intake_id, clock.now)
    assignment = await proposal(database, intake_id)
    bad = plans(clock.now)
    bad[1] = GroupPlan("Ryhmä 2", (clock.now - timedelta(days=3)).date(), time(18, 0))
    async with database.unit_of_work() as db:  # a page catches the refusal and commits
        with pytest.raises(TupaError) as error:
            await intakes.compose(db, org, intake_id, bad, assignment, 2, 4, clock.now)
    assert error.value.params == {"field": "g2_first_on"}
    async with database.unit_of_work() as db:
        assert await intakes.groups_of(db, intake_id) == []
        assert len(await intakes.seated(db, intake_id)) == len(PARENTS)


async def test_answers_are_kept_until_the_intakes_parents_are_placed(database, org, clock):
    """The lifetime pass leaves an intake alone while parents in it wait to be placed (their
    answers are what the groups are made by), and, after composing, while its groups run (a
    coordinator may still place the waiting list into a free seat); once the last group has
    ended, those left behind lose their data on the usual schedule."""
    intake_id = await open_intake(database, clock.now, capacity=4)
    await enrol_all(database, org, intake_id, clock.now)  # four seats, two on the waiting list
    async with database.unit_of_work() as db:
        await intakes.close_now(db, intake_id, clock.now)
    later = clock.now + timedelta(days=400)
    async with database.unit_of_work() as db:
        assert await forget_expired_personal_data(db, later, timedelta(days=0)) == []
        assert intake_id not in await series_ends(db, [intake_id])

    async with database.unit_of_work() as db:
        people = intakes.people_of(await intakes.seated(db, intake_id))
    result = propose(people, ["q1"], 2, 4)
    assert isinstance(result, Proposal)
    assignment = {pid: g for g, ids in enumerate(result.groups) for pid in ids}
    async with database.unit_of_work() as db:
        await intakes.compose(
            db, org, intake_id, plans(clock.now, len(result.groups)), assignment, 2, 4, clock.now
        )
    async with database.unit_of_work() as db:
        next_day = clock.now + timedelta(days=1)  # the groups have not met yet
        assert await forget_expired_personal_data(db, next_day, timedelta(days=0)) == []
        groups = await intakes.groups_of(db, intake_id)
        last_end = max(
            s.starts_at + timedelta(minutes=s.duration_minutes) for g in groups for s in g.sessions
        )
        assert (await series_ends(db, [intake_id]))[intake_id] == last_end
    async with database.unit_of_work() as db:
        after = last_end + timedelta(minutes=1)
        assert intake_id in await forget_expired_personal_data(db, after, timedelta(days=0))
        rows = list(await db.scalars(select(EnrolmentRow).order_by(EnrolmentRow.id)))
    assert [r.answers for r in rows if r.series_id == intake_id] == [{}, {}]


async def test_an_intake_is_not_confirmed_as_if_it_were_a_group(database, org, clock):
    """Confirming tells parents their group "will be held as planned": an intake has no sessions
    to hold, its groups are confirmed when composed."""
    intake_id = await open_intake(database, clock.now)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await scheduling.confirm_series(db, org, intake_id, clock.now)
    assert error.value.code is ErrorCode.INVALID_INPUT
    async with database.unit_of_work() as db:
        assert (await intakes.get_intake(db, intake_id)).status == "open"


async def test_an_erased_parent_is_not_placed_and_their_seat_goes_to_the_first_waiting(
    database, org, clock
):
    intake_id = await open_intake(database, clock.now, capacity=5)
    enrolled = await enrol_all(database, org, intake_id, clock.now)  # Mansikka waits
    async with database.unit_of_work() as db:
        await forgetting.erase(
            db,
            org,
            intake_id,
            enrolled["Puolukka"].enrolment.id,
            clock.now,
            forgetting.Eraser("Kaisa Koordinaattori", "coordinator"),
        )
        await intakes.close_now(db, intake_id, clock.now)
    async with database.unit_of_work() as db:
        seated = {row.pseudonym for row in await intakes.seated(db, intake_id)}
    assert seated == {"Mustikka", "Lakka", "Karpalo", "Vadelma", "Mansikka"}

    assignment = await proposal(database, intake_id)
    async with database.unit_of_work() as db:
        groups = await intakes.compose(
            db, org, intake_id, plans(clock.now, 2), assignment, 2, 4, clock.now
        )
        group_ids = {g.id for g in groups}
    async with database.unit_of_work() as db:
        erased = await db.get(EnrolmentRow, enrolled["Puolukka"].enrolment.id)
        assert erased is not None
        assert (erased.series_id, erased.status, erased.answers) == (intake_id, "withdrawn", {})
        placed = await db.scalars(select(EnrolmentRow).where(EnrolmentRow.series_id.in_(group_ids)))
        assert {row.pseudonym for row in placed} == seated
