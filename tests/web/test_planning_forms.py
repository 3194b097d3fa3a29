"""What the forms planning a series and an intake share (server/web/planning_forms.py): a set of
enrolment questions that cannot be defined is named on the form with the input kept, and a
program address that is not an id leads back to choosing a template."""

from __future__ import annotations

from sqlalchemy import func, select

from server.storage.tables import ProgramRow, SeriesRow
from tests.conftest import post_form
from tests.factories import a_staff_member
from tests.web.login_support import log_in

# The same option twice cannot be told apart when groups are composed by the answers.
REPEATED_OPTION = {"q1_label": "Lapsen ikä", "q1_options": "0–2 v | 0–2 v"}


async def signed_in_coordinator(client, clock) -> int:
    """Signs a coordinator in; returns the first program template's id."""
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        program_id = await db.scalar(select(ProgramRow.id).order_by(ProgramRow.id))
    assert (await log_in(client, "coordinator@example.org")).status_code == 303
    assert program_id is not None
    return int(program_id)


async def series_count(client) -> int:
    async with client.app.state.test_database.unit_of_work() as db:
        return int(await db.scalar(select(func.count()).select_from(SeriesRow)) or 0)


async def test_a_series_plan_with_a_repeated_answer_option_names_the_questions(client, clock):
    program_id = await signed_in_coordinator(client, clock)
    page = f"/staff/series/new?program={program_id}"
    data = {
        "program_id": str(program_id),
        "title": "Eroryhmä syksy",
        "description": "Kuvaus",
        "life_situation": "separation",
        "cadence": "weekly",
        "weekday": "1",
        "interval": "1",
        "nth": "1",
        "local_time": "18:00",
        "first_on": (clock.now.date().replace(year=clock.now.year + 1)).isoformat(),
        "session_count": "8",
        "duration_minutes": "90",
        "media_mode": "chat",
        "capacity": "8",
        "min_size": "4",
        **REPEATED_OPTION,
    }

    response = await post_form(client, page, "/staff/series/new", data)

    assert response.status_code == 422
    assert 'id="questions-error"' in response.text
    assert "Eroryhmä syksy" in response.text  # the rest of the input is kept
    assert await series_count(client) == 0


async def test_an_intake_with_a_repeated_answer_option_names_the_questions(client, clock):
    program_id = await signed_in_coordinator(client, clock)
    page = f"/staff/intakes/new?program={program_id}"
    data = {
        "program_id": str(program_id),
        "title": "Minä, tunteet ja taidot – haku",
        "description": "Ryhmät kootaan haun jälkeen.",
        "life_situation": "wellbeing",
        "capacity": "20",
        "min_size": "2",
        "deadline_date": (clock.now.date().replace(year=clock.now.year + 1)).isoformat(),
        "deadline_time": "23:59",
        **REPEATED_OPTION,
    }

    response = await post_form(client, page, "/staff/intakes/new", data)

    assert response.status_code == 422
    assert 'id="questions-error"' in response.text
    assert "Minä, tunteet ja taidot – haku" in response.text
    assert await series_count(client) == 0


async def test_a_program_address_that_is_not_an_id_leads_back_to_the_templates(client, clock):
    await signed_in_coordinator(client, clock)

    for asked in ("abc", "-1", "99999999999", "999999"):
        chooser = await client.get(f"/staff/series/new?program={asked}")
        assert chooser.status_code == 200, asked
        assert "/staff/series/new?program=" in chooser.text, asked  # the templates to choose from
        intake = await client.get(f"/staff/intakes/new?program={asked}")
        assert intake.status_code == 303, asked
        assert intake.headers["location"] == "/staff/series/new", asked
