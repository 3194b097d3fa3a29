"""The individual-times migration (0019), on SQLite and PostgreSQL: existing sessions become group
sessions and stay in their series, every series lets a parent hold one time, and on the way down
the individual times go while the group sessions stay."""

from datetime import timedelta

from sqlalchemy import select, text

from server.enrolment.service import EnrolmentRequest, enrol
from server.storage.tables import (
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SeriesBanRow,
    SeriesRow,
    SessionRow,
)
from tests.services import migration_support
from tests.services.migration_support import TABLES, Migrating, insert_named

BEFORE = "0017"
NEW_COLUMNS = {"sessions": {"kind", "booked_enrolment_id"}, "series": {"individual_limit"}}

empty_url = migration_support.empty_url


async def test_existing_sessions_stay_group_sessions_and_individual_times_go_on_the_way_down(
    empty_url, org, clock
):
    async with Migrating(empty_url, BEFORE) as migrating:
        database = migrating.database
        async with database.engine.begin() as conn:
            program_id = (
                await conn.execute(
                    insert_named(
                        "programs",
                        slug="mina",
                        name="Minä, tunteet ja taidot",
                        description="",
                        life_situation="wellbeing",
                        media_mode="chat",
                        session_count=1,
                        duration_minutes=90,
                        cadence="weekly",
                        capacity=8,
                        min_size=4,
                        themes=[],
                    ).returning(text("id"))
                )
            ).scalar_one()
            series_id = (
                await conn.execute(
                    insert_named(
                        "series",
                        program_id=program_id,
                        title="Syksyn ryhmä",
                        description="",
                        life_situation="wellbeing",
                        capacity=8,
                        min_size=4,
                        enrolment_deadline=clock.now + timedelta(days=5),
                        status="open",
                        cadence="weekly",
                        weekday=0,
                        nth=1,
                        interval=1,
                        local_time="18:00",
                        duration_minutes=90,
                        questions=[],
                        identifying_held=False,
                        calendar_uid="uid-1",
                        created_at=clock.now,
                        lock_version=0,
                    ).returning(text("id"))
                )
            ).scalar_one()
            await conn.execute(
                insert_named(
                    "sessions",
                    series_id=series_id,
                    theme="Tunteet",
                    media_mode="chat",
                    status="planned",
                    calendar_sequence=0,
                    starts_at=clock.now + timedelta(days=7),
                    duration_minutes=90,
                )
            )

        await migrating.up()
        assert all(
            NEW_COLUMNS[t] <= found for t, found in (await migrating.columns(NEW_COLUMNS)).items()
        )
        async with database.unit_of_work() as db:
            series = await db.get(SeriesRow, series_id)
            assert series is not None and series.individual_limit == 1
            assert [(s.theme, s.kind, s.booked_enrolment_id) for s in series.sessions] == [
                ("Tunteet", "group", None)
            ]
            enrolment = (
                await enrol(db, org, series_id, EnrolmentRequest("Mira"), clock.now)
            ).enrolment
            held = SessionRow(
                series_id=series_id,
                kind="individual",
                media_mode="chat",
                starts_at=clock.now + timedelta(days=2),
                duration_minutes=45,
                booked_enrolment_id=enrolment.id,
            )
            db.add(held)
            await db.flush()
            db.add(RoomRow(session_id=held.id, opened_at=held.starts_at))
            member = RoomMemberRow(
                session_id=held.id,
                peer="p" * 16,
                enrolment_id=enrolment.id,
                name="Mira",
                role="parent",
                status="banned",
                created_at=held.starts_at,
            )
            db.add(member)
            await db.flush()
            db.add(PresenceRow(member_id=member.id, joined_at=held.starts_at))
            db.add(
                SeriesBanRow(
                    series_id=series_id,
                    enrolment_id=enrolment.id,
                    session_id=held.id,
                    created_at=clock.now,
                )
            )

        await migrating.down()
        assert not any(
            NEW_COLUMNS[t] & found for t, found in (await migrating.columns(NEW_COLUMNS)).items()
        )
        async with database.engine.connect() as conn:
            themes = (await conn.execute(select(TABLES["sessions"].c.theme))).all()
            assert [t for (t,) in themes] == ["Tunteet"]
            bans = (await conn.execute(select(TABLES["series_bans"].c.session_id))).all()
            rooms = (await conn.execute(select(TABLES["rooms"].c.session_id))).all()
        assert bans == [(None,)]  # the ban holds; only the room it was given in is gone
        assert rooms == []
