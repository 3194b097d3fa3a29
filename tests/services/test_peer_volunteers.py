"""A parent who completed an ended series can be invited to continue as a peer volunteer; the
invitation is single-use, expires and can be refused; accepting makes a volunteer account that
logs in with a login name; only coordinators' views link the alias to the pseudonym, an erasure
cuts that link but keeps the account, and program reports count the outcome, suppressed."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.enrolment.forgetting import Eraser, erase
from server.enrolment.service import remove
from server.errors import ErrorCode, TupaError
from server.evaluation.report_program import program_report
from server.evaluation.service import program_evaluation
from server.i18n import Translator
from server.people import service as people
from server.people.roles import Role
from server.storage.tables import EnrolmentRow, NoticeRow, PeerInvitationRow, StaffRow
from server.volunteering import invitations
from server.volunteering.invitation_rules import VALID_FOR
from tests.services.mail_support import queued
from tests.services.volunteering_support import RULES, ended_series

PASSWORD = "kolme karhua metsässä"


def acceptance(login="Aamu.Kumppani", alias="Aamu", **kw) -> invitations.Acceptance:
    fields = {
        "real_name": "Anna Esimerkki",
        "alias": alias,
        "login": login,
        "password": PASSWORD,
        "repeated": PASSWORD,
        **kw,
    }
    return invitations.Acceptance(**fields)


async def enrolment(db, enrolment_id) -> EnrolmentRow:
    row = await db.get(EnrolmentRow, enrolment_id)
    assert row is not None
    return row


async def test_a_parent_who_completed_accepts_once_and_logs_in_with_a_login_name_in_any_case(
    database, org, clock
):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
    async with database.unit_of_work() as db:
        parent = await enrolment(db, s.completed)
        assert await invitations.standing_for(db, parent, clock.now) is not None
        # Told on the page and, as she gave an address, by e-mail, without the alias-to-be.
        notices = await db.scalars(select(NoticeRow).where(NoticeRow.enrolment_id == parent.id))
        assert "peer_invited" in [n.kind for n in notices]
        mails = await queued(db, org, f"notice:{parent.id}:peer_invited:%")
        assert [m.recipient for m in mails] == ["kaisla@example.org"]
        volunteer = await invitations.accept(db, parent, acceptance(), clock.now)
        volunteer_id = volunteer.id
    async with database.unit_of_work() as db:
        staff = await db.get(StaffRow, volunteer_id)
        assert staff is not None
        assert (staff.role, staff.alias, staff.email, staff.login_name) == (
            Role.VOLUNTEER.value,
            "Aamu",
            None,
            "Aamu.Kumppani",
        )
        assert people.shown_name(staff) == "Aamu"
        for typed in ("aamu.kumppani", "AAMU.KUMPPANI", " Aamu.Kumppani "):
            assert (await people.check_password(db, typed, PASSWORD, clock.now)).id == volunteer_id
        # Used once: neither a second acceptance nor a new invitation.
        parent = await enrolment(db, s.completed)
        with pytest.raises(TupaError) as again:
            await invitations.accept(db, parent, acceptance(login="toinen"), clock.now)
        assert again.value.code is ErrorCode.PEER_INVITATION_CLOSED
        with pytest.raises(TupaError) as invited:
            await invitations.invite(
                db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
            )
        assert invited.value.code is ErrorCode.PEER_INVITATION_NOT_ALLOWED
        assert (
            len(list(await db.scalars(select(StaffRow).where(StaffRow.role == "volunteer")))) == 1
        )


async def test_only_a_parent_who_completed_a_series_that_has_ended_is_invited(database, org, clock):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as absent:
            await invitations.invite(
                db, org, s.series_id, s.never_came, s.coordinator_id, RULES, clock.now
            )
        assert absent.value.code is ErrorCode.PEER_INVITATION_NOT_ALLOWED
        with pytest.raises(TupaError) as too_early:
            await invitations.invite(
                db,
                org,
                s.series_id,
                s.completed,
                s.coordinator_id,
                RULES,
                clock.now - timedelta(days=1, minutes=1),  # the last session is still on
            )
        assert too_early.value.code is ErrorCode.PEER_INVITATION_NOT_ALLOWED
        series = (await enrolment(db, s.completed)).series
        parents = [await enrolment(db, s.completed), await enrolment(db, s.never_came)]
        shown = await invitations.in_series(db, series, parents, RULES, clock.now)
        assert shown.invitable == {s.completed}


async def test_an_invitation_can_be_refused_expires_and_may_then_be_made_again(
    database, org, clock
):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
        await invitations.refuse(db, await enrolment(db, s.completed), clock.now)
        with pytest.raises(TupaError) as refused_twice:
            await invitations.refuse(db, await enrolment(db, s.completed), clock.now)
        assert refused_twice.value.code is ErrorCode.PEER_INVITATION_CLOSED
        # People change their minds: a new invitation may follow a refusal.
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
    clock.advance(seconds=VALID_FOR.total_seconds())
    async with database.unit_of_work() as db:
        parent = await enrolment(db, s.completed)
        assert await invitations.standing_for(db, parent, clock.now) is None
        with pytest.raises(TupaError) as late:
            await invitations.accept(db, parent, acceptance(), clock.now)
        assert late.value.code is ErrorCode.PEER_INVITATION_CLOSED
        assert await db.scalar(select(StaffRow).where(StaffRow.role == "volunteer")) is None
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
        statuses = sorted(
            await db.scalars(
                select(PeerInvitationRow.status).where(
                    PeerInvitationRow.enrolment_id == s.completed
                )
            )
        )
        assert statuses == ["expired", "open", "refused"]


async def test_a_refused_acceptance_writes_nothing_and_leaves_the_invitation_standing(
    database, org, clock
):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await a_volunteer_named(db, clock, "aamu.kumppani")
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
    refusals = [
        (acceptance(alias=" kaisla "), ErrorCode.INVALID_INPUT, "alias_is_pseudonym"),
        (acceptance(login="AAMU.kumppani"), ErrorCode.LOGIN_NAME_TAKEN, None),
        (acceptance(login="a b"), ErrorCode.INVALID_INPUT, "login"),
        (acceptance(login="ab"), ErrorCode.INVALID_INPUT, "login"),
        (acceptance(repeated="toinen salasana"), ErrorCode.PASSWORDS_DIFFER, None),
    ]
    for given, code, field in refusals:
        async with database.unit_of_work() as db:
            with pytest.raises(TupaError) as refused:
                await invitations.accept(db, await enrolment(db, s.completed), given, clock.now)
            assert refused.value.code is code
            assert refused.value.params.get("field") == field
    async with database.unit_of_work() as db:
        assert await invitations.standing_for(db, await enrolment(db, s.completed), clock.now)
        assert len(list(await db.scalars(select(StaffRow)))) == 2  # coordinator, first volunteer


async def a_volunteer_named(db, clock, login_name: str) -> StaffRow:
    return await people.create_staff(
        db,
        people.NewStaff(None, "Toinen Ihminen", Role.VOLUNTEER, PASSWORD, "Toinen", login_name),
        clock.now,
    )


async def test_erasure_cuts_the_link_keeps_the_account_and_the_report_counts_it_suppressed(
    database, org, clock
):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
        volunteer = await invitations.accept(
            db, await enrolment(db, s.completed), acceptance(login="aamu@example.org"), clock.now
        )
        volunteer_id = volunteer.id
        linked = await invitations.former_participants(db)
        assert linked[volunteer_id].pseudonym == "Kaisla"
    async with database.unit_of_work() as db:
        await erase(
            db, org, s.series_id, s.completed, clock.now, Eraser("Koordinaattori", "coordinator")
        )
    async with database.unit_of_work() as db:
        assert await invitations.former_participants(db) == {}
        staff = await people.staff_by_id(db, volunteer_id)
        assert staff is not None and staff.alias == "Aamu" and staff.email == "aamu@example.org"
        assert (await people.check_password(db, "aamu@example.org", PASSWORD, clock.now)).id == (
            volunteer_id
        )
        evaluation = await program_evaluation(db, s.program_id, RULES)
    assert evaluation.continued_as_volunteers == 1
    t = Translator("en", org.zone)
    outcomes = {x.key: x for x in program_report(evaluation, t, threshold=3).sections}["outcomes"]
    assert outcomes.tables[0].rows == (("Continued as peer volunteers", "hidden"),)
    shown = {x.key: x for x in program_report(evaluation, t, threshold=1).sections}["outcomes"]
    assert shown.tables[0].rows == (("Continued as peer volunteers", "1"),)


async def test_a_parent_whose_enrolment_was_ended_since_cannot_take_the_invitation_up(
    database, org, clock
):
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )
        await remove(db, org, s.series_id, s.completed, clock.now)
    async with database.unit_of_work() as db:
        assert (
            await invitations.standing_for(db, await enrolment(db, s.completed), clock.now) is None
        )
        with pytest.raises(TupaError) as ended:
            await invitations.accept(db, await enrolment(db, s.completed), acceptance(), clock.now)
        assert ended.value.code is ErrorCode.PEER_INVITATION_CLOSED
        assert await db.scalar(select(StaffRow).where(StaffRow.role == "volunteer")) is None


async def test_two_answers_at_once_make_one_account_on_both_databases(database, org, clock):
    """Two tabs accept at the same moment (different login names): the conditional update lets
    one win; the other's account is taken back, so no account exists without its invitation."""
    s = await ended_series(database, org, clock)
    async with database.unit_of_work() as db:
        await invitations.invite(
            db, org, s.series_id, s.completed, s.coordinator_id, RULES, clock.now
        )

    async def one(login: str) -> bool:
        try:
            async with database.unit_of_work() as db:
                parent = await enrolment(db, s.completed)
                await invitations.accept(db, parent, acceptance(login=login), clock.now)
        except TupaError as error:
            assert error.code is ErrorCode.PEER_INVITATION_CLOSED
            return False
        return True

    assert sum(await asyncio.gather(one("eka.tabi"), one("toka.tabi"))) == 1
    async with database.unit_of_work() as db:
        volunteers = list(await db.scalars(select(StaffRow).where(StaffRow.role == "volunteer")))
        accepted = await db.scalar(select(PeerInvitationRow))
    assert len(volunteers) == 1
    assert accepted is not None and accepted.volunteer_id == volunteers[0].id
