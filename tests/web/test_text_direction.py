"""Names carry no text-direction controls: a pseudonym, staff name or alias holding one could
reverse the words shown around it, so it is refused with a translated field error."""

import pytest
from sqlalchemy import func, select

from server.errors import ErrorCode, TupaError
from server.people.roles import Role
from server.people.service import NewStaff, create_staff
from server.storage.tables import EnrolmentRow, StaffRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, seed_series

# Embeddings and overrides, isolates, and the marks (left-to-right, right-to-left, Arabic letter).
DIRECTION_CONTROLS = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("control", DIRECTION_CONTROLS)
async def test_a_pseudonym_with_a_direction_control_is_refused_on_the_form_and_in_the_api(
    client, org, clock, control
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    pseudonym = f"Mira{control}ajiK"

    form = await post_form(
        client, f"/series/{series_id}", f"/series/{series_id}/enrol", {"pseudonym": pseudonym}
    )
    assert form.status_code == 422
    assert 'id="pseudonym-error"' in form.text
    assert "ei näkymättömiä merkkejä" in form.text  # the field's rule, in Finnish

    api = await client.post(
        f"/api/v1/series/{series_id}/enrolments",
        json={"pseudonym": pseudonym},
        headers={"Accept-Language": "sv"},
    )
    assert api.status_code == 422
    assert api.json()["code"] == "invalid_input" and api.json()["field"] == "pseudonym"
    assert api.json()["message"]

    async with database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).select_from(EnrolmentRow)) == 0


@pytest.mark.parametrize("control", ["\u202e", "\u2067", "\u200f", "\x07"])
async def test_a_staff_name_or_alias_with_a_direction_control_is_refused(client, clock, control):
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
    await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "coordinator@example.org", "password": PASSWORD, "next": "/staff"},
    )
    data = {
        "role": "volunteer",
        "real_name": "Ville Vapaa",
        "alias": "Kokija",
        "email": "v@example.org",
        "password": "long enough pw",
    }
    for field in ("real_name", "alias"):
        bad = data | {field: f"{data[field]}{control}xyz"}
        refused = await post_form(client, "/staff/people", "/staff/people", bad)
        assert refused.status_code == 422
        assert f'id="{field}-error"' in refused.text
        assert "näkymättömiä merkkejä" in refused.text

    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).select_from(StaffRow)) == 1
    added = await post_form(client, "/staff/people", "/staff/people", data)
    assert added.status_code == 303


async def test_staff_names_are_checked_by_the_service_itself(database, clock):
    async with database.unit_of_work() as db:
        for real_name, alias, field in (
            ("Olli \u202eOhjaaja", None, "real_name"),
            ("Olli Ohjaaja", "Apu\u2066ri", "alias"),
        ):
            new = NewStaff("o@example.org", real_name, Role.FACILITATOR, PASSWORD, alias)
            with pytest.raises(TupaError) as refused:
                await create_staff(db, new, clock.now)
            assert refused.value.code is ErrorCode.INVALID_INPUT
            assert refused.value.params["field"] == field
        # Right-to-left names themselves are welcome.
        staff = await create_staff(
            db, NewStaff("r@example.org", "مريم", Role.FACILITATOR, PASSWORD, "שרה"), clock.now
        )
        assert staff.real_name == "مريم"
