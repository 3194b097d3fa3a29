"""What a parent sees: the listing, a group's page, enrolling, the personal page, calendars."""

import re

from icalendar import Calendar

from server.scheduling.series import LifeSituation
from tests.conftest import csrf_of, post_form
from tests.factories import enrol_parent, personal_page, seed_series

LINK = re.compile(r'id="personal-link"[^>]*value="(http://testserver/me/[A-Za-z0-9_-]+)"')


async def enrol_via_form(client, series_id, **data):
    return await post_form(client, f"/series/{series_id}", f"/series/{series_id}/enrol", data)


async def test_listing_is_in_finnish_by_default_and_shows_enrolment_against_the_minimum(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, min_size=2)
    await enrol_parent(database, org, series_id, "Mustikka", clock.now)

    page = await client.get("/")

    assert page.status_code == 200
    assert '<html lang="fi">' in page.text
    assert "Open groups" not in page.text  # the English message id was translated
    assert "Testiryhmä" in page.text
    assert re.search(r"1 / \w+ 2", page.text), "enrolled against the minimum, e.g. 1 / vähintään 2"
    assert "ma 19.10.2026 18.00" in page.text  # Helsinki time, Finnish format


async def test_language_switch_is_remembered(client):
    swedish = await client.get("/?lang=sv")
    assert '<html lang="sv">' in swedish.text
    assert swedish.cookies.get("tupa_lang") == "sv"
    again = await client.get("/")
    assert '<html lang="sv">' in again.text
    english = await client.get("/?lang=en")
    assert "Open groups" in english.text


async def test_listing_filters_by_life_situation(client, org, clock):
    database = client.app.state.test_database
    await seed_series(database, org, clock.now, title="Eroryhmä")
    await seed_series(
        database, org, clock.now, title="Vauvaryhmä", life_situation=LifeSituation.BABY
    )

    page = await client.get("/?situation=baby")

    assert "Vauvaryhmä" in page.text and "Eroryhmä" not in page.text
    unknown = await client.get("/?situation=<script>&program=999999999999")
    assert unknown.status_code == 200


async def test_parent_enrols_with_a_pseudonym_and_gets_a_personal_link_shown_once(
    client, org, clock
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)

    response = await enrol_via_form(client, series_id, pseudonym="Revontuli", q1="3–6 v")

    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    link = LINK.search(response.text)
    assert link, "the personal link is shown"
    personal = await personal_page(client, link.group(1).removeprefix("http://testserver/me/"))
    assert personal.status_code == 200
    assert "Revontuli" in personal.text
    assert personal.headers["cache-control"] == "no-store"


async def test_full_series_puts_the_parent_on_the_waiting_list(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    await enrol_parent(database, org, series_id, "Ensimmäinen", clock.now)

    response = await enrol_via_form(client, series_id, pseudonym="Toinen")

    assert response.status_code == 201
    link = LINK.search(response.text)
    assert link
    personal = await personal_page(client, link.group(1).removeprefix("http://testserver/me/"))
    assert "status-waitlisted" in personal.text


async def test_parent_cancels_and_the_waiting_parent_is_told(client, org, clock, mailer):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    first = await enrol_parent(database, org, series_id, "Ensimmäinen", clock.now)
    await enrol_parent(database, org, series_id, "Jonossa", clock.now, email="j@example.org")

    await personal_page(client, first.token)
    path = "/me"
    unconfirmed = await post_form(client, path, f"{path}/withdraw", {})
    assert unconfirmed.status_code == 303
    response = await post_form(client, path, f"{path}/withdraw", {"confirm": "on"})
    assert response.status_code == 303

    await client.app.state.background.run_once()
    promoted = [m for m in mailer.sent if m.recipient == "j@example.org"]
    assert len(promoted) == 2  # waiting list, then the freed place


async def test_enrolment_calendar_has_every_session_in_utc_with_stable_uids(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Kalenteri", clock.now)

    await personal_page(client, new.token)
    response = await client.get("/me/calendar.ics")

    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == 4
    assert events[0]["SUMMARY"] == "Testiryhmä: Yksi"
    assert events[0].decoded("DTSTART").utcoffset().total_seconds() == 0
    assert len({str(e["UID"]) for e in events}) == 4
    assert "BEGIN:VCALENDAR" in response.text and "PRODID" in response.text


async def test_discreet_calendar_does_not_name_the_group(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    response = await client.get(f"/series/{series_id}/calendar.ics?discreet=1")
    assert "Testiryhmä" not in response.text
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 4


async def test_form_without_csrf_token_is_refused(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    await client.get(f"/series/{series_id}")
    response = await client.post(f"/series/{series_id}/enrol", data={"pseudonym": "Ilman"})
    assert response.status_code == 403
    assert 'data-code="csrf_failed"' in response.text


async def test_unknown_or_revoked_link_gives_a_clear_page_not_an_error(client):
    response = await client.get("/me/" + "x" * 43)
    assert response.status_code == 404
    assert 'data-code="not_found"' in response.text


async def test_every_page_has_the_quick_exit_and_a_strict_content_security_policy(
    client, org, clock
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    for path in ("/", f"/series/{series_id}", "/staff/login", "/no-such-page"):
        response = await client.get(path)
        assert 'id="quick-exit"' in response.text, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_csrf_token_changes_per_browser(client, settings, sqlite_database, clock, mailer):
    first = csrf_of((await client.get("/staff/login")).text)
    client.cookies.clear()
    second = csrf_of((await client.get("/staff/login")).text)
    assert first != second


async def test_health_check_answers_when_the_database_does(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


async def test_one_connection_may_enrol_twenty_times_an_hour_in_the_form_and_the_api(
    client, org, clock
):
    """Enrolling needs no account, so a script could fill a group's seats with made-up names:
    one client address may enrol 20 times an hour (a shelter or a library behind one address
    still can), counted as keyed hashes like the other public forms; others are not held up."""
    from tests.web.login_support import browser_at

    series_id = await seed_series(
        client.app.state.test_database, org, clock.now, capacity=100, min_size=1
    )
    api = f"/api/v1/series/{series_id}/enrolments"
    async with browser_at(client, "198.51.100.30") as busy:
        for n in range(10):
            form = await enrol_via_form(busy, series_id, pseudonym=f"Lomake {n}", q1="3–6 v")
            assert form.status_code == 201
            json = {"pseudonym": f"Rajapinta {n}", "answers": {"q1": "3–6 v"}}
            assert (await busy.post(api, json=json)).status_code == 201
        refused = await enrol_via_form(busy, series_id, pseudonym="Liikaa", q1="3–6 v")
        assert refused.status_code == 429
        assert "too_many_sends" not in refused.text  # a sentence, not a code
        assert 'value="Liikaa"' in refused.text  # kept in the form
        over = await busy.post(api, json={"pseudonym": "Liikaa", "answers": {"q1": "3–6 v"}})
        assert over.status_code == 429
        assert over.json()["code"] == "too_many_sends"
    async with browser_at(client, "198.51.100.31") as other:
        form = await enrol_via_form(other, series_id, pseudonym="Toinen", q1="3–6 v")
        assert form.status_code == 201
    clock.advance(hours=1, seconds=1)
    async with browser_at(client, "198.51.100.30") as busy:
        form = await enrol_via_form(busy, series_id, pseudonym="Tunnin päästä", q1="3–6 v")
        assert form.status_code == 201
