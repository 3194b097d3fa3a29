"""The "Help now" panel on every parent page and in the room: the organisation's contact and the
help lines, in the reader's language, opened without a script or a request."""

from __future__ import annotations

import re

import httpx
import pytest

from server.organisation import Organisation
from server.scheduling import service as scheduling
from tests.factories import enrol_parent, personal_page, seed_series

PANEL = re.compile(r'<details class="help-now" id="help-now">.*?</details>', re.S)
SUMMARY = {"fi": "Apua nyt", "sv": "Hjälp nu", "en": "Help now"}
NOLLALINJA = {"fi": "Nollalinja", "sv": "Nollinjen", "en": "Nollalinja"}
HOURS = {
    "fi": "joka päivä ympäri vuorokauden",
    "sv": "alla dagar dygnet runt",
    "en": "every day, around the clock",
}


def panel_of(html: str) -> str:
    found = PANEL.search(html)
    assert found, "the page has no Help now panel"
    return found.group(0)


async def a_parent_in_a_series(client: httpx.AsyncClient, org, clock) -> int:
    """Opens a parent's page on ``client`` and returns the id of the series' first session."""
    database = client.app.state.test_database  # type: ignore[attr-defined]
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Kanerva", clock.now)
    await personal_page(client, parent.token)
    async with database.unit_of_work() as db:
        return (await scheduling.get_series(db, series_id)).sessions[0].id


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
async def test_the_parents_page_and_the_room_offer_help_in_the_readers_language(
    client, org, clock, language
):
    session_id = await a_parent_in_a_series(client, org, clock)

    for path in ("/me", f"/me/sessions/{session_id}/room"):
        page = await client.get(path, params={"lang": language})
        panel = panel_of(page.text)
        assert f"<summary>{SUMMARY[language]}</summary>" in panel, path
        assert NOLLALINJA[language] in panel and HOURS[language] in panel
        assert 'href="tel:112">112<' in panel
        assert 'href="tel:080005005">080 005 005<' in panel
        assert 'href="tel:0925250111">09 2525 0111<' in panel


async def test_opening_the_panel_runs_nothing_it_is_plain_html(client, org, clock):
    await a_parent_in_a_series(client, org, clock)
    panel = panel_of((await client.get("/me")).text)
    assert not re.search(r"<script|<form|<iframe|<img|\son[a-z]+=|\ssrc=", panel, re.I)


async def test_the_panel_gives_the_organisations_own_contact_first(client, org, clock):
    app = client.app
    app.state.settings = app.state.settings.model_copy(
        update={"organisation_email": "tuki@jarjesto.fi", "organisation_phone": "09 123 456"}
    )
    app.state.organisation = Organisation.from_settings(app.state.settings)
    await a_parent_in_a_series(client, org, clock)

    panel = panel_of((await client.get("/me")).text)

    contact = panel.index('href="tel:09123456"')
    assert 'href="mailto:tuki@jarjesto.fi"' in panel
    assert contact < panel.index('href="tel:112"')


async def test_every_parent_page_has_the_panel_and_a_public_page_does_not(client, org, clock):
    await a_parent_in_a_series(client, org, clock)
    for path in ("/me", "/me/erase"):
        page = await client.get(path)
        assert page.status_code == 200, path
        panel_of(page.text)
    assert 'id="help-now"' not in (await client.get("/")).text
