"""Group content in Swedish and English on every page that shows it: the reader's language where
the organisation gave it, else the Finnish text marked lang="fi" for screen readers."""

import re

from icalendar import Calendar
from sqlalchemy import select

from server.scheduling.content import SeriesTranslation
from server.storage.tables import SeriesRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, enrol_parent, personal_page, seed_series

SWEDISH = SeriesTranslation(
    title="Kamratgrupp för föräldrar", description="Vi träffas på nätet.", themes=["", "Två"]
)


async def series_with_swedish(client, org, clock) -> int:
    return await seed_series(
        client.app.state.test_database,
        org,
        clock.now,
        description="Tapaamme verkossa.",
        translations={"sv": SWEDISH},
    )


async def test_a_swedish_page_shows_the_swedish_content_and_the_finnish_where_none_was_given(
    client, org, clock
):
    series_id = await series_with_swedish(client, org, clock)

    page = (await client.get(f"/series/{series_id}?lang=sv")).text

    assert "<h1>Kamratgrupp för föräldrar</h1>" in page
    assert "<title>Kamratgrupp för föräldrar" in page
    assert "<p>Vi träffas på nätet.</p>" in page and "Tapaamme" not in page
    assert "<br>Två" in page  # the second session's Swedish theme
    assert '<br><span lang="fi">Yksi</span>' in page  # the first has none: Finnish, marked
    assert "Kaksi" not in page


async def test_an_english_page_without_english_content_shows_the_finnish_marked_as_finnish(
    client, org, clock
):
    series_id = await series_with_swedish(client, org, clock)

    page = (await client.get(f"/series/{series_id}?lang=en")).text

    assert '<h1><span lang="fi">Testiryhmä</span></h1>' in page
    assert '<div class="description" lang="fi"><p>Tapaamme verkossa.</p></div>' in page
    assert '<br><span lang="fi">Kaksi</span>' in page
    assert "Kamratgrupp" not in page
    # The shipped program names come in English.
    assert re.search(r'<p class="meta">[A-Z][a-z]+ [a-z ]+ ·', page), "an English program name"


async def test_a_finnish_page_marks_nothing_as_foreign(client, org, clock):
    series_id = await series_with_swedish(client, org, clock)

    page = (await client.get(f"/series/{series_id}?lang=fi")).text

    assert "<h1>Testiryhmä</h1>" in page and "<br>Kaksi" in page
    assert 'lang="fi"' not in page.split("<main")[1]


async def test_the_listing_shows_titles_themes_and_program_names_in_the_readers_language(
    client, org, clock
):
    series_id = await series_with_swedish(client, org, clock)

    swedish = (await client.get("/?lang=sv")).text
    english = (await client.get("/?lang=en")).text

    assert f'<a href="/series/{series_id}">Kamratgrupp för föräldrar</a>' in swedish
    assert ": Två</li>" in swedish and ': <span lang="fi">Yksi</span></li>' in swedish
    assert "Kamratkraft för föräldrar</option>" in swedish  # a shipped program's Swedish name
    assert f'<a href="/series/{series_id}"><span lang="fi">Testiryhmä</span></a>' in english
    assert "Peer power for parents</option>" in english


async def test_the_parent_page_notices_calendar_and_room_speak_the_readers_language(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await series_with_swedish(client, org, clock)
    parent = await enrol_parent(database, org, series_id, "Lumi", clock.now)
    await personal_page(client, parent.token)

    me = (await client.get("/me?lang=sv")).text
    assert "<h1>Kamratgrupp för föräldrar</h1>" in me
    assert "Två" in me and "plats i gruppen ”Kamratgrupp för föräldrar”" in me  # the notice, too

    ics = Calendar.from_ical((await client.get("/me/calendar.ics")).content)
    summaries = [str(e["summary"]) for e in ics.walk("VEVENT")]
    assert summaries[:2] == ["Kamratgrupp för föräldrar: Yksi", "Kamratgrupp för föräldrar: Två"]

    async with database.unit_of_work() as db:
        series = await db.scalar(select(SeriesRow).where(SeriesRow.id == series_id))
        assert series is not None
        second = series.sessions[1].id
    room = (await client.get(f"/me/sessions/{second}/room")).text
    assert '<h1 id="room-title">Kamratgrupp för föräldrar</h1>' in room
    assert '<span class="room-theme">Två</span>' in room
    english_room = (await client.get(f"/me/sessions/{second}/room?lang=en")).text
    assert '<h1 id="room-title"><span lang="fi">Testiryhmä</span></h1>' in english_room
    assert '<span class="room-theme" lang="fi">Kaksi</span>' in english_room


async def test_the_api_gives_the_swedish_and_english_content_beside_the_finnish(client, org, clock):
    series_id = await series_with_swedish(client, org, clock)

    series = (await client.get(f"/api/v1/series/{series_id}")).json()

    assert (series["title"], series["title_sv"], series["title_en"]) == (
        "Testiryhmä",
        "Kamratgrupp för föräldrar",
        None,
    )
    assert series["description_sv"] == "Vi träffas på nätet." and series["description_en"] is None
    assert series["program_en"] and series["program_sv"]
    themes = [(s["theme"], s["theme_sv"], s["theme_en"]) for s in series["sessions"][:2]]
    assert themes == [("Yksi", None, None), ("Kaksi", "Två", None)]


async def coordinator(client, clock):
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
    await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": "coordinator@example.org", "password": PASSWORD, "next": "/staff"},
    )


async def test_a_coordinator_plans_a_series_with_swedish_and_english_content(client, clock):
    await coordinator(client, clock)
    chooser = (await client.get("/staff/series/new?lang=en")).text
    program_id = int(chooser.split("/staff/series/new?program=")[1].split('"')[0])
    form_page = f"/staff/series/new?program={program_id}"
    prefilled = (await client.get(form_page)).text
    for field in ("title_sv", "description_en", "themes_sv"):
        assert re.search(rf'id="{field}" name="{field}" lang="{field[-2:]}"', prefilled), field

    data = {
        "program_id": program_id,
        "title": "Eroryhmä syksy",
        "title_sv": "Skilsmässogrupp hösten",
        "title_en": "ab",  # too short: refused, with the rest kept
        "description": "Kuvaus",
        "description_en": "Description",
        "themes": "Tutustuminen\nYhteistyövanhemmuus",
        "themes_sv": "\nSamarbetsföräldraskap",
        "life_situation": "separation",
        "cadence": "weekly",
        "weekday": "1",
        "local_time": "18:00",
        "first_on": "2026-10-20",
        "session_count": "3",
        "duration_minutes": "90",
        "media_mode": "chat",
        "capacity": "8",
        "min_size": "4",
    }
    refused = await post_form(client, form_page, "/staff/series/new", data)
    assert refused.status_code == 422
    assert 'id="title_en-error"' in refused.text
    assert "Skilsmässogrupp hösten" in refused.text

    created = await post_form(client, form_page, "/staff/series/new", data | {"title_en": ""})
    assert created.status_code == 303
    series_id = int(created.headers["location"].split("/")[-1].split("?")[0])
    listing = (await client.get(f"/api/v1/series/{series_id}")).json()
    assert (listing["title_sv"], listing["title_en"]) == ("Skilsmässogrupp hösten", None)
    assert listing["description_en"] == "Description"
    assert [s["theme_sv"] for s in listing["sessions"]] == [None, "Samarbetsföräldraskap", None]


async def test_the_series_page_shows_staff_every_language_and_changes_the_texts(client, org, clock):
    series_id = await series_with_swedish(client, org, clock)
    await coordinator(client, clock)
    page = f"/staff/series/{series_id}?lang=en"
    detail = (await client.get(page)).text
    assert '<h1 lang="fi">Testiryhmä</h1>' in detail
    assert '<span lang="sv">Kamratgrupp för föräldrar</span>' in detail
    assert '<span lang="sv">Två</span>' in detail

    texts = f"/staff/series/{series_id}/texts"
    fields = {
        "title": "Testiryhmä",
        "title_sv": "",
        "title_en": "Test group",
        "description": "Kuvaus",
        "description_sv": "Beskrivning",
        "description_en": "",
    }
    refused = await post_form(client, page, texts, fields | {"title": "x"})
    assert refused.status_code == 422
    assert 'id="title-error"' in refused.text and "Test group" in refused.text
    saved = await post_form(client, page, texts, fields)
    assert saved.status_code == 303
    english = (await client.get(f"/series/{series_id}?lang=en")).text
    assert "<h1>Test group</h1>" in english
    swedish = (await client.get(f"/series/{series_id}?lang=sv")).text
    assert '<h1><span lang="fi">Testiryhmä</span></h1>' in swedish
    assert "<p>Beskrivning</p>" in swedish

    session_id = detail.split('data-session-id="')[1].split('"')[0]
    edited = await post_form(
        client,
        page,
        f"/staff/series/{series_id}/sessions/{session_id}/edit",
        {"theme": "Alku", "theme_sv": "Början", "theme_en": "", "media_mode": "chat"},
    )
    assert edited.status_code == 303
    assert "<br>Början" in (await client.get(f"/series/{series_id}?lang=sv")).text
