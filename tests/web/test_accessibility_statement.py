"""The accessibility statement, its feedback form and the organisation's contact, as people see
them: a visitor, a parent, a facilitator and a coordinator."""

from __future__ import annotations

import logging
import re
from datetime import date

import httpx
from sqlalchemy import select

from server.accessibility.feedback_rules import FEEDBACK_MAX
from server.accessibility.statement import TUPA_ASSESSED_ON
from server.notify.sealing import unseal
from server.organisation import Organisation
from server.people.roles import Role
from server.storage.tables import AccessibilityFeedbackRow, OutboxRow, SeriesRow
from tests.conftest import csrf_of, post_form
from tests.factories import a_staff_member, enrol_parent, personal_page, seed_series
from tests.web.login_support import browser_at, log_in

SHORTCOMINGS = re.compile(r'<ul class="shortcomings">.*?</ul>', re.S)
FOOTER = re.compile(r'<footer class="site-footer">.*?</footer>', re.S)


def shortcomings_on(page: httpx.Response) -> str:
    found = SHORTCOMINGS.search(page.text)
    assert found, "the statement lists its shortcomings"
    return found[0]


def configure(client: httpx.AsyncClient, **changes: object) -> None:
    """Run the application with these settings from now on, as if it had started with them."""
    app = client.app  # type: ignore[attr-defined]
    app.state.settings = app.state.settings.model_copy(update=changes)
    app.state.organisation = Organisation.from_settings(app.state.settings)


async def send(browser: httpx.AsyncClient, feedback: str, contact: str = "") -> httpx.Response:
    return await post_form(
        browser,
        "/accessibility",
        "/accessibility/feedback",
        {"feedback": feedback, "contact": contact},
    )


async def stored(client: httpx.AsyncClient) -> list[AccessibilityFeedbackRow]:
    async with client.app.state.test_database.unit_of_work() as db:  # type: ignore[attr-defined]
        return list(await db.scalars(select(AccessibilityFeedbackRow)))


async def test_the_statement_is_given_in_finnish_swedish_and_english(client):
    finnish = await client.get("/accessibility?lang=fi")
    swedish = await client.get("/accessibility?lang=sv")
    english = await client.get("/accessibility?lang=en")

    for page in (finnish, swedish, english):
        assert page.status_code == 200
        assert 'data-compliance="partial"' in page.text
        assert "saavutettavuus@traficom.fi" in page.text
    assert "<h1>Saavutettavuusseloste</h1>" in finnish.text
    assert "täyttää saavutettavuusvaatimukset osittain" in finnish.text
    assert "Liikenne- ja viestintävirasto Traficom" in finnish.text
    assert "https://www.saavutettavuusvaatimukset.fi" in finnish.text
    assert "<h1>Tillgänglighetsutlåtande</h1>" in swedish.text
    assert "uppfyller tillgänglighetskraven delvis" in swedish.text
    assert "Transport- och kommunikationsverket Traficom" in swedish.text
    assert "https://www.tillganglighetskrav.fi" in swedish.text
    assert "<h1>Accessibility statement</h1>" in english.text
    assert "partially meets the accessibility requirements" in english.text
    assert "https://www.webaccessibility.fi" in english.text
    assert "+358 29 534 5000" in english.text


async def test_the_statement_lists_tupas_known_shortcomings_with_what_to_use_instead(client):
    configure(client, staff_session_idle_minutes=45)

    page = (await client.get("/accessibility?lang=en")).text

    assert "no captions, transcript or sign language interpretation" in page
    assert "The PDF files are not tagged" in page
    assert "The same report is a web page and a CSV file." in page
    assert "logged out after 45 minutes without use, a warning says so" in page
    assert "ends 12 h after logging in" in page  # warned, but not renewable
    assert "We answer within 14 days if you leave a contact." in page


async def test_sessions_of_twenty_hours_or_more_are_no_timing_shortcoming(client):
    """WCAG 2.2.1's twenty-hour exception: the idle limit is warned and renewable, and an
    absolute limit that long needs no extension."""
    configure(client, staff_session_max_hours=19)
    assert "Staff login" in shortcomings_on(await client.get("/accessibility?lang=en"))
    configure(client, staff_session_max_hours=20)

    listed = shortcomings_on(await client.get("/accessibility?lang=en"))

    assert "Staff login" not in listed and "2.2.1" not in listed
    assert "The PDF files are not tagged" in listed


async def test_the_statement_names_the_organisation_its_contact_and_the_assessment_it_was_given(
    client,
):
    configure(
        client,
        organisation_email="saavutettavuus@jarjesto.fi",
        organisation_phone="+358 9 123 4567",
        accessibility_assessed_on=date(2027, 2, 1),
        accessibility_assessed_by="Esteetön Oy",
    )

    page = (await client.get("/accessibility?lang=en")).text

    assert "Testijärjestö" in page and "http://testserver" in page
    assert 'href="mailto:saavutettavuus@jarjesto.fi"' in page
    assert 'href="tel:+35891234567">+358 9 123 4567<' in page
    assert "prepared on February 1, 2027" in page
    assert "assessed by Esteetön Oy" in page
    assert "self-assessment" not in page


async def test_without_an_assessment_of_its_own_the_statement_gives_tupas_self_assessment(
    client,
):
    page = (await client.get("/accessibility?lang=fi")).text

    assert f"{TUPA_ASSESSED_ON.day}. joulukuuta {TUPA_ASSESSED_ON.year}" in page
    assert "itsearviointiin" in page
    assert "mailto:" not in page.split('id="feedback"')[1].split("<form")[0]  # no contact set


async def test_every_kind_of_page_links_to_the_statement_in_its_footer(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        series = await db.get(SeriesRow, series_id)
        assert series is not None
        session_id = min(s.id for s in series.sessions)
    pages = {
        "listing": await client.get("/"),
        "group": await client.get(f"/series/{series_id}"),
        "safe use": await client.get("/safe-use"),
        "statement": await client.get("/accessibility"),
        "staff login": await client.get("/staff/login"),
        "not found": await client.get("/no-such-page"),
    }
    async with browser_at(client, "192.0.2.10") as parent_browser:
        pages["parent"] = await personal_page(parent_browser, parent.token)
        pages["parent room"] = await parent_browser.get(f"/me/sessions/{session_id}/room")
    async with browser_at(client, "192.0.2.11") as staff_browser:
        await log_in(staff_browser, "coordinator@example.org")
        pages["dashboard"] = await staff_browser.get("/staff")
        pages["staff room"] = await staff_browser.get(f"/staff/sessions/{session_id}/room")

    for name, page in pages.items():
        footer = FOOTER.search(page.text)
        assert footer, name
        assert '<a href="/accessibility">Saavutettavuusseloste</a>' in footer.group(0), name


async def test_feedback_reaches_the_coordinators_and_their_mail_carries_none_of_it(client, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now, email="kaisa@example.org")
        await a_staff_member(db, clock.now, email="kalle@example.org")
        await a_staff_member(db, clock.now, Role.FACILITATOR)

    answer = await send(client, "Videon\r\npainikkeilla ei ole nimeä.", " pekka@example.org ")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/accessibility?sent=1#feedback"
    thanks = await client.get(answer.headers["location"])
    assert 'id="feedback-sent"' in thanks.text
    [row] = await stored(client)
    assert (row.text, row.contact, row.language) == (
        "Videon\npainikkeilla ei ole nimeä.",
        "pekka@example.org",
        "fi",
    )
    assert row.handled_at is None
    async with database.unit_of_work() as db:
        queued = list(await db.scalars(select(OutboxRow)))
    key = client.app.state.organisation.mail_key
    mails = [unseal(key, q.sealed, q.template, q.language) for q in queued if q.sealed]
    assert sorted(m.recipient for m in mails) == ["kaisa@example.org", "kalle@example.org"]
    for mail in mails:
        assert mail.template == "accessibility_feedback"
        assert "http://testserver/staff/accessibility-feedback" in mail.body
        assert "painikkeilla" not in mail.body + mail.subject
        assert "pekka@" not in mail.body + mail.subject


async def test_the_log_carries_neither_the_feedback_nor_the_contact(client, caplog):
    caplog.set_level(logging.INFO)  # as `tupa serve` logs

    await send(client, "Kontrasti on heikko sivulla X", "0401234567")

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/accessibility/feedback" in logged  # the request was logged, by its route
    assert "Kontrasti" not in logged and "0401234567" not in logged


async def test_feedback_without_a_contact_is_kept_as_anonymous(client):
    assert (await send(client, "Fokus ei näy.")).status_code == 303

    [row] = await stored(client)
    assert row.contact is None


async def test_empty_or_too_long_feedback_is_refused_next_to_its_field_and_kept_in_the_form(
    client,
):
    empty = await send(client, "   \r\n ")
    too_long = await send(client, "x" * (FEEDBACK_MAX + 1), "y" * 201)

    assert empty.status_code == 422
    assert 'id="feedback-error"' in empty.text and 'id="contact-error"' not in empty.text
    assert too_long.status_code == 422
    assert 'id="feedback-error"' in too_long.text and 'id="contact-error"' in too_long.text
    assert 'aria-invalid="true" aria-describedby="feedback-error"' in too_long.text
    assert "x" * FEEDBACK_MAX in too_long.text  # what was typed comes back
    assert await stored(client) == []


async def test_feedback_without_the_forms_token_is_refused(client):
    await client.get("/accessibility")  # the browser has a CSRF cookie, the post has no token

    answer = await client.post("/accessibility/feedback", data={"feedback": "Hei"})
    forged = await client.post(
        "/accessibility/feedback", data={"feedback": "Hei", "csrf_token": "x" * 43}
    )

    assert answer.status_code == forged.status_code == 403
    assert "csrf_failed" in answer.text
    assert await stored(client) == []


async def test_one_connection_may_send_five_messages_an_hour_and_others_are_not_held_up(
    client, clock
):
    async with browser_at(client, "198.51.100.20") as busy:
        for n in range(5):
            assert (await send(busy, f"Palaute {n}")).status_code == 303
        refused = await send(busy, "Kuudes")
        assert refused.status_code == 429
        assert "too_many_sends" not in refused.text  # a sentence, not a code
        assert "Kuudes" in refused.text  # kept in the form
    async with browser_at(client, "198.51.100.21") as other:
        assert (await send(other, "Toinen yhteys")).status_code == 303
    clock.advance(hours=1, seconds=1)
    async with browser_at(client, "198.51.100.20") as busy:
        assert (await send(busy, "Tunnin päästä")).status_code == 303

    assert len(await stored(client)) == 7


async def test_a_coordinator_reads_the_feedback_and_marks_it_handled(client, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
    await send(client, "Kuvilta puuttuu tekstivastine.", "0401234567")
    await send(client, "Toinen palaute.")
    [first, second] = sorted(await stored(client), key=lambda r: r.id)

    async with browser_at(client, "192.0.2.30") as coordinator:
        await log_in(coordinator, "coordinator@example.org")
        dashboard = await coordinator.get("/staff")
        assert 'href="/staff/accessibility-feedback"' in dashboard.text
        assert 'data-unhandled="2"' in dashboard.text
        page = await coordinator.get("/staff/accessibility-feedback")
        assert page.status_code == 200
        assert "Kuvilta puuttuu tekstivastine." in page.text and "0401234567" in page.text
        handled = await coordinator.post(
            f"/staff/accessibility-feedback/{first.id}/handled",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert handled.status_code == 303
        after = await coordinator.get("/staff/accessibility-feedback")
        assert 'data-unhandled="1"' in after.text
        assert "Käsitelty" in after.text and "Kaisa Koordinaattori" in after.text
        assert 'data-unhandled="1"' in (await coordinator.get("/staff")).text
        missing = await coordinator.post(
            "/staff/accessibility-feedback/999999/handled",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert missing.status_code == 404
    assert [r.handled_at is not None for r in sorted(await stored(client), key=lambda r: r.id)] == [
        True,
        False,
    ]
    assert second.handled_at is None


async def test_a_facilitator_neither_sees_the_feedback_nor_its_count(client, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now, Role.FACILITATOR)
    await send(client, "Salainen palaute", "0401234567")

    async with browser_at(client, "192.0.2.31") as facilitator:
        await log_in(facilitator, "facilitator@example.org")
        dashboard = await facilitator.get("/staff")
        page = await facilitator.get("/staff/accessibility-feedback")

    assert "accessibility-feedback" not in dashboard.text
    assert page.status_code == 403
    assert "Salainen palaute" not in page.text and "0401234567" not in page.text


async def test_the_parents_page_tells_how_to_contact_the_organisation(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Mustikka", clock.now)

    without = await personal_page(client, parent.token)
    configure(client, organisation_email="tuki@jarjesto.fi", organisation_phone="09 123 456")
    with_contact = await client.get("/me")

    assert 'id="contact-heading"' not in without.text
    assert 'id="contact-heading"' in with_contact.text
    assert "Ota yhteyttä järjestöön Testijärjestö:" in with_contact.text
    assert 'href="mailto:tuki@jarjesto.fi"' in with_contact.text
    assert 'href="tel:09123456">09 123 456<' in with_contact.text
