"""An intake's bans hold in the groups composed from it, whether given before or after composing
(both databases): a banned address enrolling into a group is held for a coordinator, and a ban
given in the intake later ends the banned person's enrolment in a group, logged and announced
to the group's rooms as any ban is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.access import AccessChange, AccessReason
from server.enrolment import bans
from server.storage.tables import EnrolmentRow, ModerationLogRow, SeriesBanRow
from tests.services.intake_support import compose_now, enrol, open_intake, reopen

ADDRESS = "mira@example.org"


def record_commits(database):
    committed = []

    async def listener(items):
        committed.extend(items)

    database.on_commit(listener)
    return committed


async def status_of(database, enrolment_id: int) -> str:
    async with database.unit_of_work() as db:
        row = await db.get(EnrolmentRow, enrolment_id)
        assert row is not None
        return row.status


async def test_an_address_banned_in_the_intake_before_composing_is_held_in_its_group(
    database, org, clock
):
    intake_id = await open_intake(database, clock.now, capacity=4)
    banned = await enrol(database, org, intake_id, "Mustikka", clock.now, email=ADDRESS)
    for name in ("Puolukka", "Lakka", "Karpalo", "Vadelma"):
        await enrol(database, org, intake_id, name, clock.now)
    async with database.unit_of_work() as db:
        await bans.ban(db, org, intake_id, banned.enrolment.id, clock.now, "Kaisa")
    (group_id,) = await compose_now(database, org, intake_id, clock.now, capacity=6)
    await reopen(database, group_id, clock.now + timedelta(days=2))

    again = await enrol(database, org, group_id, "Uusi nimi", clock.now, email=" MIRA@example.org")

    assert again.enrolment.status == "pending_review"
    async with database.unit_of_work() as db:
        held = await bans.held_in(db, group_id)
    assert [(h.enrolment.pseudonym, h.matches) for h in held] == [("Uusi nimi", ["Mustikka"])]
    # Someone else still enrols into the group as usual.
    other = await enrol(database, org, group_id, "Mansikka", clock.now, email="m@example.org")
    assert other.enrolment.status == "enrolled"


async def test_a_ban_given_in_the_intake_after_composing_ends_the_persons_group_enrolment(
    database, org, clock
):
    intake_id = await open_intake(database, clock.now, capacity=4)
    for name in ("Puolukka", "Lakka", "Karpalo"):
        await enrol(database, org, intake_id, name, clock.now)
    # Enrolled late: on the intake's waiting list under one name, seated in a group under another.
    await enrol(database, org, intake_id, "Vadelma", clock.now)
    waiting = await enrol(database, org, intake_id, "Mustikka", clock.now, email=ADDRESS)
    assert waiting.enrolment.status == "waitlisted"
    (group_id,) = await compose_now(database, org, intake_id, clock.now, capacity=6)
    await reopen(database, group_id, clock.now + timedelta(days=2))
    in_group = await enrol(database, org, group_id, "Toinen", clock.now, email="Mira@Example.org")
    bystander = await enrol(database, org, group_id, "Mansikka", clock.now, email="m@example.org")
    assert in_group.enrolment.status == "enrolled"
    committed = record_commits(database)

    later = clock.now + timedelta(hours=1)
    async with database.unit_of_work() as db:
        await bans.ban(db, org, intake_id, waiting.enrolment.id, later, "Kaisa")

    assert await status_of(database, in_group.enrolment.id) == "banned"
    assert await status_of(database, bystander.enrolment.id) == "enrolled"
    async with database.unit_of_work() as db:
        group_bans = list(
            await db.scalars(select(SeriesBanRow).where(SeriesBanRow.series_id == group_id))
        )
        group_log = list(
            await db.scalars(select(ModerationLogRow).where(ModerationLogRow.series_id == group_id))
        )
    assert [(b.enrolment_id, b.by_name, b.created_at) for b in group_bans] == [
        (in_group.enrolment.id, "Kaisa", later)
    ]
    assert [(e.actor_name, e.action, e.target_name) for e in group_log] == [
        ("Kaisa", "banned", "Toinen")
    ]
    assert (
        AccessChange(AccessReason.BANNED, series_id=group_id, enrolment_id=in_group.enrolment.id)
        in committed
    )
    # And the group holds a new enrolment with the address from then on.
    again = await enrol(database, org, group_id, "Kolmas", later, email=ADDRESS)
    assert again.enrolment.status == "pending_review"
