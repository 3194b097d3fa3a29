"""A parent's link is swapped for a device cookie limited to their pages; while a browser holds
it the link opens nothing; "Forget this device" lets it go; the Safe use page says what stays."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.conftest import post_form
from tests.factories import enrol_parent, personal_page, seed_series


def another_browser(client):
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def test_opening_a_link_sets_a_strict_httponly_cookie_for_the_parents_pages_only(
    client, org, clock
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    new = await enrol_parent(client.app.state.test_database, org, series_id, "Vaahtera", clock.now)

    opened = await client.get(f"/me/{new.token}")

    assert opened.status_code == 200
    cookie = opened.headers["set-cookie"].lower()
    assert cookie.startswith("tupa_me=") and new.token.lower() not in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/me;" in cookie
    assert 'http-equiv="refresh" content="0; url=/me"' in opened.text  # a same-site step on
    assert opened.headers["cache-control"] == "no-store"
    page = await client.get("/me")
    assert page.status_code == 200 and "Vaahtera" in page.text
    assert new.token not in page.text


async def test_the_parents_page_without_the_cookie_asks_for_the_link(client):
    response = await client.get("/me")
    assert response.status_code == 401
    assert 'data-code="link_needed"' in response.text
    assert "<h1>Avaa henkilökohtainen linkkisi</h1>" in response.text  # not "something went wrong"


async def test_a_link_opens_nothing_while_another_browser_holds_it_and_again_once_forgotten(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Vaahtera", clock.now)
    await personal_page(client, new.token)

    async with another_browser(client) as other:
        refused = await other.get(f"/me/{new.token}")
        assert refused.status_code == 409 and 'data-code="link_in_use"' in refused.text
        assert "<h1>Linkkisi on auki toisella laitteella</h1>" in refused.text
        assert "12 tuntiin" in refused.text  # how long "a while" is
        assert "Vaahtera" not in refused.text

        forgotten = await post_form(client, "/me", "/me/forget", {})
        assert forgotten.status_code == 303
        assert forgotten.headers["location"] == "/me/forgotten"
        assert (await client.get("/me")).status_code == 401

        assert (await personal_page(other, new.token)).status_code == 200


async def test_a_device_unused_for_the_idle_time_lets_the_link_work_elsewhere(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Vaahtera", clock.now)
    await personal_page(client, new.token)
    idle = client.app.state.settings.parent_device_idle_hours

    clock.now += timedelta(hours=idle) - timedelta(minutes=1)
    async with another_browser(client) as other:
        assert (await other.get(f"/me/{new.token}")).status_code == 409
        clock.now += timedelta(minutes=2)
        assert (await personal_page(other, new.token)).status_code == 200
    assert (await client.get("/me")).status_code == 401


async def test_the_old_address_with_the_link_opens_no_other_page(client, org, clock):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    new = await enrol_parent(client.app.state.test_database, org, series_id, "Vaahtera", clock.now)
    await personal_page(client, new.token)
    assert (await client.get(f"/me/{new.token}/calendar.ics")).status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "history"),
    [
        ("fi", "Tupan turvallinen käyttö", "historialuetteloa"),
        ("sv", "Använda Tupa tryggt", "historiklista"),
        ("en", "Using Tupa safely", "history list"),
    ],
)
async def test_the_safe_use_page_is_linked_from_every_page_and_says_what_stays_in_history(
    client, org, clock, language, heading, history
):
    series_id = await seed_series(client.app.state.test_database, org, clock.now)
    for path in ["/", f"/series/{series_id}", "/staff/login", "/safe-use"]:
        page = await client.get(f"{path}?lang={language}")
        assert 'href="/safe-use"' in page.text, path
    safe_use = await client.get("/safe-use")
    assert heading in safe_use.text and history in safe_use.text
