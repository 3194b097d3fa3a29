"""Evaluation reports on the demo's autumn group: page, CSV and PDF agree; small counts hidden."""

import io
import re
import secrets
from datetime import UTC, datetime, timedelta

import pypdf
from sqlalchemy import select

from server.demo import DEMO_PASSWORD, load_demo
from server.enrolment.service import EnrolmentRequest, enrol
from server.storage.tables import (
    EnrolmentRow,
    PresenceRow,
    ProgramRow,
    RoomMemberRow,
    RoomRow,
    SeriesRow,
)
from tests.web.test_staff import log_in

AUTUMN = "Minä, tunteet ja taidot – syksyn ryhmä"
WINTER = "Minä, tunteet ja taidot – talven ryhmä"
# The demo's fixed history: 7 of 8 parents started, 24 attendances over 4 sessions held.
COMMITMENT_FI = "85,71 %"
COMMITMENT_EN = "85.71 %"


async def demo(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await load_demo(db, org, clock.now)
    async with database.unit_of_work() as db:
        series = await db.scalar(select(SeriesRow).where(SeriesRow.title == AUTUMN))
        return series.id, series.program_id


async def as_demo(client, who):
    response = await log_in(client, f"{who}@demo.tupa.fi", DEMO_PASSWORD)
    assert response.status_code == 303


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


async def test_coordinator_reads_and_downloads_the_series_report(client, org, clock):
    series_id, _program_id = await demo(client, org, clock)
    await as_demo(client, "koordinaattori")

    page = await client.get(f"/staff/series/{series_id}/report")
    assert page.status_code == 200
    assert COMMITMENT_FI in page.text
    assert "<svg" in page.text and 'role="img"' in page.text
    assert "Oli helpottavaa kuulla" in page.text  # written feedback, without names
    for pseudonym in ("Kaisla", "Lumikki", "Sara"):
        assert pseudonym not in page.text

    csv = await client.get(f"/staff/series/{series_id}/report.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())
    assert COMMITMENT_FI in csv.text

    pdf = await client.get(f"/staff/series/{series_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert COMMITMENT_FI in text
    assert "Kaisla" not in text


async def test_report_is_in_the_coordinators_language(client, org, clock):
    series_id, program_id = await demo(client, org, clock)
    await as_demo(client, "koordinaattori")
    client.cookies.set("tupa_lang", "en")
    page = await client.get(f"/staff/series/{series_id}/report")
    assert COMMITMENT_EN in page.text
    text = pdf_text((await client.get(f"/staff/programs/{program_id}/report.pdf")).content)
    assert COMMITMENT_EN in text


async def test_facilitator_sees_totals_but_not_written_feedback_and_cannot_export(
    client, org, clock
):
    series_id, program_id = await demo(client, org, clock)
    await as_demo(client, "ohjaaja")
    page = await client.get(f"/staff/series/{series_id}/report")
    assert page.status_code == 200
    assert COMMITMENT_FI in page.text
    assert "Oli helpottavaa kuulla" not in page.text
    assert (await client.get(f"/staff/series/{series_id}/report.pdf")).status_code == 403
    assert (await client.get(f"/staff/programs/{program_id}/report")).status_code == 403


async def test_a_session_attended_by_two_is_hidden_in_the_page_csv_and_pdf(client, org, clock):
    """Two parents of the winter group meet once: that count never leaves as a number."""
    await demo(client, org, clock)
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        winter = await db.scalar(select(SeriesRow).where(SeriesRow.title == WINTER))
        await enrol(db, org, winter.id, EnrolmentRequest("Vuokko"), clock.now)
        session = min(winter.sessions, key=lambda s: s.starts_at)
        end = session.starts_at + timedelta(minutes=session.duration_minutes)
        db.add(
            RoomRow(
                session_id=session.id, status="ended", opened_at=session.starts_at, ended_at=end
            )
        )
        for enrolment in await db.scalars(
            select(EnrolmentRow).where(EnrolmentRow.series_id == winter.id)
        ):
            member = RoomMemberRow(
                session_id=session.id,
                peer=secrets.token_urlsafe(12),
                enrolment_id=enrolment.id,
                name=enrolment.pseudonym,
                role="parent",
                status="admitted",
                created_at=session.starts_at,
            )
            db.add(member)
            await db.flush()
            db.add(PresenceRow(member_id=member.id, joined_at=session.starts_at, left_at=end))
        series_id = winter.id
    await as_demo(client, "koordinaattori")
    client.cookies.set("tupa_lang", "en")
    page = await client.get(f"/staff/series/{series_id}/report")
    found = re.search(r'<th scope="row">1</th>.*?</tr>', page.text, re.S)
    assert found is not None
    row = found.group(0)
    assert "Held" in row and ">hidden<" in row and ">2<" not in row
    csv = (await client.get(f"/staff/series/{series_id}/report.csv")).text
    first = next(line for line in csv.splitlines() if line.startswith("1;"))
    assert first.endswith(";hidden")
    text = pdf_text((await client.get(f"/staff/series/{series_id}/report.pdf")).content)
    assert "hidden" in text and "Vuokko" not in text and "Kanerva" not in text


async def test_program_report_adds_up_its_series(client, org, clock):
    _series_id, program_id = await demo(client, org, clock)
    await as_demo(client, "koordinaattori")
    async with client.app.state.test_database.unit_of_work() as db:
        program = await db.get(ProgramRow, program_id)
    page = await client.get(f"/staff/programs/{program_id}/report")
    assert page.status_code == 200
    assert program.name in page.text
    assert COMMITMENT_FI in page.text  # only the autumn group has held sessions
    csv = await client.get(f"/staff/programs/{program_id}/report.csv")
    assert COMMITMENT_FI in csv.text


async def test_a_self_assessment_nobody_finished_is_explained_not_drawn_on_the_page_and_pdf(
    client, org, clock
):
    """The winter group has not begun: every self-assessment mean is hidden, so no chart."""
    await demo(client, org, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        winter = await db.scalar(select(SeriesRow).where(SeriesRow.title == WINTER))
    await as_demo(client, "koordinaattori")
    client.cookies.set("tupa_lang", "en")
    why = "Too few answers to show a chart without identifying anyone."
    page = await client.get(f"/staff/series/{winter.id}/report")
    found = re.search(r'<section[^>]*id="report-self_assessment".*?</section>', page.text, re.S)
    assert found is not None
    assert why in found.group(0) and "<svg" not in found.group(0)
    assert why in pdf_text((await client.get(f"/staff/series/{winter.id}/report.pdf")).content)


async def test_page_and_pdf_print_the_same_time_the_report_was_made(client, org, clock):
    clock.now = datetime(2026, 12, 4, 6, 24, tzinfo=UTC)  # Friday 8.24 in Helsinki
    series_id, _program_id = await demo(client, org, clock)
    await as_demo(client, "koordinaattori")
    made = "Luotu Tupassa pe 4.12.2026 8.24"
    page = await client.get(f"/staff/series/{series_id}/report")
    assert made in page.text
    pdf = pdf_text((await client.get(f"/staff/series/{series_id}/report.pdf")).content)
    assert made in pdf and "08:24" not in pdf
    client.cookies.set("tupa_lang", "en")
    page = await client.get(f"/staff/series/{series_id}/report")
    assert "Made with Tupa Fri 4.12.2026 8:24\xa0AM" in page.text
    pdf = pdf_text((await client.get(f"/staff/series/{series_id}/report.pdf")).content)
    assert "Made with Tupa Fri 4.12.2026 8:24 AM" in pdf  # extraction reads \xa0 as a space
