"""Wording people stumbled on: labels that say what they open, field errors that say what is
wrong, counts in the right plural form, and what a parent is told before enrolling.

The organisation here keeps Åland's clock and opens its rooms 45 minutes early, and a staff
session lasts one hour at most, so the pages are shown to take these from the settings (a copied
"Europe/Helsinki" or "30" would not match).
"""

import re

import pytest

from server.people.roles import Role
from server.settings import Settings
from tests.conftest import post_form
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.web.login_support import log_in

LANGUAGES = ("fi", "sv", "en")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "time_zone": "Europe/Mariehamn",
            "room_opens_minutes_before": 45,
            "staff_session_max_hours": 1,
        }
    )


async def as_coordinator(client, clock, language: str) -> None:
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now, Role.COORDINATOR)
    assert (await log_in(client, "coordinator@example.org")).status_code == 303
    client.cookies.set("tupa_lang", language)


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    ("language", "label"),
    [("fi", "Ohjelman raportti"), ("sv", "Programrapport"), ("en", "Program report")],
)
async def test_program_report_link_names_the_report_rather_than_reporting_a_message(
    client, clock, language, label
):
    await as_coordinator(client, clock, language)

    page = await client.get("/staff/programs")

    links = re.findall(r'<a href="/staff/programs/\d+/report">(.*?)</a>', page.text)
    assert links, "every program links to its report"
    assert all(visible_text(link).startswith(label) for link in links), links
    reporting_a_message = {"fi": "Ilmoita", "sv": "Anmäl", "en": "Report"}[language]
    assert f">{reporting_a_message}<" not in page.text


@pytest.mark.parametrize(
    ("language", "header", "status"),
    [("fi", "Ilmoittautuneet", "Ilmoittautunut"), ("sv", "Anmälda", "Anmäld")],
)
async def test_dashboard_counts_parents_enrolled_under_a_header_that_is_not_a_status(
    client, clock, language, header, status
):
    await as_coordinator(client, clock, language)

    page = await client.get("/staff")

    headers = [visible_text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', page.text)]
    assert header in headers and status not in headers, headers


@pytest.mark.parametrize(
    ("language", "taken", "length_rule"),
    [
        ("fi", "Tämä nimimerkki on jo käytössä tässä ryhmässä.", "2–40 merkkiä"),
        ("sv", "Den här pseudonymen används redan i gruppen.", "2–40 tecken"),
        ("en", "This pseudonym is already taken in this group.", "2–40 characters"),
    ],
)
async def test_a_taken_pseudonym_is_named_as_taken_at_the_field(
    client, org, clock, language, taken, length_rule
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    await enrol_parent(database, org, series_id, "Kuura", clock.now)
    client.cookies.set("tupa_lang", language)

    response = await post_form(
        client, f"/series/{series_id}", f"/series/{series_id}/enrol", {"pseudonym": "kuura"}
    )

    assert response.status_code == 409
    field_error = re.search(r'id="pseudonym-error">(.*?)</p>', response.text)
    assert field_error, "the pseudonym field has its own message"
    assert field_error.group(1) == taken
    assert length_rule not in response.text


async def test_a_taken_staff_email_is_named_as_taken_at_the_field(client, clock):
    await as_coordinator(client, clock, "en")
    form = {"real_name": "Toinen Koordinaattori", "email": "coordinator@example.org"}
    form |= {"role": "coordinator", "password": "long enough unusual words"}

    response = await post_form(client, "/staff/people", "/staff/people", form)

    assert response.status_code == 409
    field_error = re.search(r'id="email-error">(.*?)</p>', response.text)
    assert field_error and field_error.group(1) == "This e-mail address already has an account."


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("fi", "vähintään 1 vanhempi ilmoittautuu", "vähintään 2 vanhempaa ilmoittautuu"),
        ("sv", "minst 1 förälder anmäler sig", "minst 2 föräldrar anmäler sig"),
        ("en", "at least 1 parent enrols", "at least 2 parents enrol"),
    ],
)
async def test_the_minimum_a_group_needs_is_counted_in_the_right_plural(
    client, org, clock, language, one, two
):
    database = client.app.state.test_database
    await seed_series(database, org, clock.now, title="Yhden ryhmä", min_size=1)
    await seed_series(database, org, clock.now, title="Kahden ryhmä", min_size=2)
    client.cookies.set("tupa_lang", language)

    text = visible_text((await client.get("/")).text)

    assert one in text and two in text


@pytest.mark.parametrize(
    ("language", "idle", "lifetime"),
    [
        ("fi", "60 minuuttiin", "1 tunnin kuluttua"),
        ("sv", "60 minuter", "1 timme"),
        ("en", "60 minutes", "1 hour after"),
    ],
)
async def test_staff_session_limits_are_counted_in_the_right_plural(
    client, clock, language, idle, lifetime
):
    await as_coordinator(client, clock, language)

    text = visible_text((await client.get("/staff/security")).text)

    assert idle in text and lifetime in text
    assert "1 hours" not in text and "1 tuntia" not in text and "1 timmar" not in text


@pytest.mark.parametrize(
    ("language", "zone", "opening"),
    [
        ("fi", "paikallista aikaa: Ahvenanmaa (Europe/Mariehamn)", "45 minuuttia ennen"),
        ("sv", "tidszonen för Åland (Europe/Mariehamn)", "45 minuter före"),
        ("en", "time zone of Åland Islands (Europe/Mariehamn)", "45 minutes before"),
    ],
)
async def test_before_enrolling_a_parent_reads_the_time_zone_and_how_taking_part_works(
    client, org, clock, language, zone, opening
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    client.cookies.set("tupa_lang", language)

    for path in ("/", f"/series/{series_id}"):
        page = await client.get(path)
        text = visible_text(page.text)
        assert zone in text, path
        assert opening in text, path
        assert 'id="taking-part-heading"' in page.text, path


async def test_how_taking_part_works_covers_the_link_the_pseudonym_and_who_sees_what(
    client, org, clock
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    client.cookies.set("tupa_lang", "en")

    page = await client.get(f"/series/{series_id}")

    section = page.text.split('id="taking-part-heading"')[1].split("</section>")[0]
    text = visible_text(">".join(section.split(">")[1:]))
    assert "personal link" in text and "by e-mail" in text and "Keep it to yourself" in text
    assert "pseudonym" in text and "real name" in text
    assert text.startswith("How taking part works")
    assert page.text.index('id="taking-part-heading"') < page.text.index('id="enrol"')
