"""Drop-in viewers in the attendance page and the series report (issue 16): counted per session
apart from the enrolled cohort, and in the report hidden below the small-number threshold."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdf
from sqlalchemy import select

from server.people.roles import Role
from server.scheduling.room_rules import allow_drop_in
from server.scheduling.series import MediaMode
from server.storage.tables import (
    EnrolmentRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SessionRow,
)
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.web.test_staff import log_in


async def a_held_live(client, org, clock, viewers: int) -> int:
    """A stage series whose first session was held an hour ago with one enrolled parent and
    ``viewers`` drop-in viewers present for ten minutes each."""
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, media_mode=MediaMode.STAGE)
    parent = (await enrol_parent(database, org, series_id, "Mira", clock.now)).enrolment
    held = clock.now - timedelta(hours=1)
    async with database.unit_of_work() as db:
        await allow_drop_in(db, series_id, True)
        session = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id).order_by(SessionRow.id)
        )
        session.starts_at = held
        db.add(
            RoomRow(
                session_id=session.id,
                status="ended",
                opened_at=held,
                ended_at=held + timedelta(minutes=45),
            )
        )
        people = [parent.id]
        for n in range(viewers):
            viewer = EnrolmentRow(
                series_id=series_id,
                pseudonym=f"Katsoja {n}",
                pseudonym_key=f"katsoja {n}",
                status="drop_in",
                token_hash=f"{series_id:04d}{n:060d}",
                created_at=held,
                updated_at=held,
                drop_in=True,
            )
            db.add(viewer)
            await db.flush()
            people.append(viewer.id)
        for n, enrolment_id in enumerate(people):
            member = RoomMemberRow(
                session_id=session.id,
                peer=f"p{series_id}x{n}",
                enrolment_id=enrolment_id,
                name=f"n{n}",
                role="parent",
                status="admitted",
                created_at=held,
                admitted_at=held,
            )
            db.add(member)
            await db.flush()
            stay = timedelta(minutes=45 if enrolment_id == parent.id else 10)
            db.add(PresenceRow(member_id=member.id, joined_at=held, left_at=held + stay))
    return series_id


def first_row_cells(attendance: str) -> list[str]:
    """The cells of the held session's row (the first) of the report's attendance table."""
    row = re.search(r'<tr><th scope="row">1</th>(.*?)</tr>', attendance, re.S)
    assert row is not None
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def download_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def section(html: str, name: str) -> str:
    start = html.index(f'id="report-{name}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else None]


async def test_viewers_are_counted_per_session_and_hidden_below_the_threshold(client, org, clock):
    async with client.app.state.test_database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now, Role.COORDINATOR)
    many = await a_held_live(client, org, clock, viewers=4)
    few = await a_held_live(client, org, clock, viewers=2)
    assert (await log_in(client, coordinator.email)).status_code == 303
    client.cookies.set("tupa_lang", "en")

    sheet = (await client.get(f"/staff/series/{many}/attendance")).text
    footer = re.search(r'<tr class="drop-in-viewers">(.*?)</tr>', sheet, re.S)
    assert footer is not None and "Drop-in viewers" in footer.group(1)
    assert "<td>4</td>" in footer.group(1)
    assert "Katsoja" not in sheet  # viewers are not listed as participants

    report = (await client.get(f"/staff/series/{many}/report")).text
    attendance = section(report, "attendance")
    assert "Drop-in viewers" in attendance
    assert first_row_cells(attendance)[-2:] == ["hidden", "4"]  # one parent present: hidden

    for kind in ("csv", "pdf"):  # the same report, in the files too
        download = await client.get(f"/staff/series/{many}/report.{kind}")
        assert download.status_code == 200
    assert "Drop-in viewers" in download_text(
        (await client.get(f"/staff/series/{many}/report.pdf")).content
    )
    assert "Drop-in viewers" in (await client.get(f"/staff/series/{many}/report.csv")).text

    hidden = section((await client.get(f"/staff/series/{few}/report")).text, "attendance")
    assert "Drop-in viewers" in hidden
    assert first_row_cells(hidden)[-1] == "hidden"
