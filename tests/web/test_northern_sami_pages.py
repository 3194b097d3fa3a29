"""A visitor and a parent can read Tupa in Northern Sámi (se): the switch, <html lang>, dates in
Babel's se locale, enrolment remembered in se, and the footer's notice that the translation is a
draft awaiting a native speaker's review until the organisation says it was reviewed."""

from __future__ import annotations

import json
import re

import httpx
from sqlalchemy import select

from server.app import create_app
from server.i18n import Translator
from server.notify.notices import NoticeKind, mail_body, notice_text
from server.scheduling import service as scheduling
from server.storage.tables import EnrolmentRow
from tests.conftest import post_form
from tests.factories import enrol_parent, personal_page, seed_series

DRAFT_SE = "Dát davvisámegiel jorgalus lea álgoveršuvdna"
DRAFT_FI = "Tämä pohjoissaamenkielinen käännös on luonnos"
ROOM_STRINGS = re.compile(r'<script type="application/json" id="room-strings">(.*?)</script>', re.S)


async def test_the_front_page_in_northern_sami_says_so_and_marks_the_draft(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        first = (await scheduling.get_series(db, series_id)).sessions[0].starts_at

    page = await client.get("/", params={"lang": "se"})

    assert page.status_code == 200
    assert '<html lang="se">' in page.text
    assert '<span aria-current="true" lang="se">Davvisámegiella</span>' in page.text
    assert '<a href="?lang=fi" lang="fi" hreflang="fi">Suomi</a>' in page.text
    assert page.cookies.get("tupa_lang") == "se"
    se = Translator("se", org.zone)
    assert se.datetime(first, "long") in page.text  # e.g. "mán 19.10.2026 18:00"
    assert se.gettext("Quick exit") in page.text and "Poistu nopeasti" not in page.text
    assert DRAFT_SE in page.text and f'<span lang="fi">{DRAFT_FI}' in page.text
    assert DRAFT_SE not in (await client.get("/", params={"lang": "fi"})).text


async def test_a_reviewed_catalogue_drops_the_draft_notice(
    settings, sqlite_database, clock, mailer
):
    reviewed = settings.model_copy(update={"northern_sami_reviewed": True})
    app = create_app(
        reviewed, database=sqlite_database, clock=clock, mailer=mailer, background=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/", params={"lang": "se"})
    assert '<html lang="se">' in page.text
    assert DRAFT_SE not in page.text and DRAFT_FI not in page.text


async def test_enrolling_in_northern_sami_keeps_se_for_the_parents_page_and_mail(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    await client.get("/", params={"lang": "se"})

    enrolled = await post_form(
        client, f"/series/{series_id}", f"/series/{series_id}/enrol", {"pseudonym": "Guovssahas"}
    )

    assert enrolled.status_code == 201 and '<html lang="se">' in enrolled.text
    async with database.unit_of_work() as db:
        row = await db.scalar(select(EnrolmentRow).where(EnrolmentRow.pseudonym == "Guovssahas"))
    assert row is not None and row.language == "se"
    # The mail a parent gets is written in the enrolment's language.
    se = Translator("se", org.zone)
    text = notice_text(se, NoticeKind.ENROLLED, {"series": "Testiryhmä"})
    body = mail_body(se, "Guovssahas", text, "http://testserver/me/x", "Testijärjestö")
    assert text == "Dus lea sadji joavkkus ”Testiryhmä”."
    assert body.startswith("Bures Guovssahas,") and "Dearvvuođaiguin, Testijärjestö" in body


async def test_a_parents_page_and_room_in_northern_sami(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Njoammil", clock.now)
    await personal_page(client, parent.token)
    async with database.unit_of_work() as db:
        session_id = (await scheduling.get_series(db, series_id)).sessions[0].id
    se = Translator("se", org.zone)

    me = await client.get("/me", params={"lang": "se"})
    room = await client.get(f"/me/sessions/{session_id}/room")

    assert '<html lang="se">' in me.text and DRAFT_SE in me.text
    assert se.gettext("Help now") in me.text
    assert "Heahtenummir" in me.text and "álo" in me.text  # the shipped help lines, in Sámi
    assert '<html lang="se">' in room.text
    found = ROOM_STRINGS.search(room.text)
    assert found, "the room page carries its strings"
    strings = json.loads(found.group(1))
    for key, n in (("watching_one", 1), ("watching_two", 2), ("watching_other", 5)):
        watching = se.ngettext("%(count)s watching", "%(count)s watching", n, count="%(count)s")
        assert strings[key] == watching  # the dual has a form of its own
    assert strings["send"] == se.gettext("Send")
