"""The drop-in pages (issue 16): "Join the live now" on a group's public page while its stage
session runs, the join's cookies and redirect, the room page and the refusals a visitor reads."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from server.enrolment import bans
from server.people.roles import Role
from server.scheduling.room_rules import allow_drop_in
from server.scheduling.series import MediaMode
from server.storage.tables import EnrolmentRow, RoomRow, SeriesRow, SessionRow
from tests.conftest import csrf_of, post_form
from tests.factories import PASSWORD, a_staff_member, seed_series


async def live_series(client, org, clock, *, open_room=True, allowed=True):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now, media_mode=MediaMode.STAGE)
    async with database.unit_of_work() as db:
        if allowed:
            await allow_drop_in(db, series_id, True)
        session = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id).order_by(SessionRow.id)
        )
        session.starts_at = clock.now - timedelta(minutes=5)
        if open_room:
            db.add(RoomRow(session_id=session.id, status="open", opened_at=clock.now))
        return series_id, session.id


async def join(client, series_id, pseudonym):
    page = f"/series/{series_id}"
    return await post_form(client, page, f"/live/{series_id}/join", {"pseudonym": pseudonym})


def another_browser(client):
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def test_the_public_page_offers_the_live_only_while_its_room_is_open(client, org, clock):
    series_id, _ = await live_series(client, org, clock, open_room=False)
    assert f'action="/live/{series_id}/join"' not in (await client.get(f"/series/{series_id}")).text
    open_id, _ = await live_series(client, org, clock)
    page = (await client.get(f"/series/{open_id}")).text
    assert f'action="/live/{open_id}/join"' in page
    assert "Liity liveen nyt" in page  # Finnish by default
    not_allowed, _ = await live_series(client, org, clock, allowed=False)
    assert "/live/" not in (await client.get(f"/series/{not_allowed}")).text


async def test_a_join_sets_two_strict_cookies_and_goes_to_the_room_with_no_token(
    client, org, clock
):
    series_id, session_id = await live_series(client, org, clock)
    joined = await join(client, series_id, "Ulpukka")
    assert joined.status_code == 303
    assert joined.headers["location"] == f"/me/sessions/{session_id}/room"
    cookies = [c.lower() for c in joined.headers.get_list("set-cookie")]
    live = next(c for c in cookies if c.startswith("tupa_live="))
    device = next(c for c in cookies if c.startswith("tupa_me="))
    for cookie, path in ((live, "/live"), (device, "/me")):
        assert "httponly" in cookie and "samesite=strict" in cookie and f"path={path}" in cookie
    room = await client.get(f"/me/sessions/{session_id}/room")
    assert room.status_code == 200
    assert f'href="/series/{series_id}"' in room.text  # back to the group's page, not /me
    assert room.headers["cache-control"] == "no-store"
    me = await client.get("/me")
    assert me.status_code == 303 and me.headers["location"] == f"/series/{series_id}"
    async with client.app.state.test_database.unit_of_work() as db:
        viewer = await db.scalar(select(EnrolmentRow).where(EnrolmentRow.drop_in.is_(True)))
    assert viewer is not None and viewer.email is None and viewer.status == "drop_in"


async def test_a_banned_browser_is_refused_and_another_joins(client, org, clock):
    series_id, session_id = await live_series(client, org, clock)
    await join(client, series_id, "Häiriö")
    async with client.app.state.test_database.unit_of_work() as db:
        viewer = await db.scalar(select(EnrolmentRow).where(EnrolmentRow.pseudonym == "Häiriö"))
        await bans.ban(db, org, series_id, viewer.id, clock.now, "Fasi", session_id)
    assert (await client.get(f"/me/sessions/{session_id}/room")).status_code == 403
    client.cookies.delete("tupa_me")  # the quick exit lets the device go; the ban stays
    again = await join(client, series_id, "Uusi nimi")
    assert again.status_code == 403
    assert "Et voi liittyä tämän ryhmän livelähetyksiin tällä selaimella." in again.text
    async with another_browser(client) as other:
        assert (await join(other, series_id, "Lumme")).status_code == 303


async def test_refusals_are_shown_on_the_page_with_stable_statuses(client, org, clock):
    closed, _ = await live_series(client, org, clock, open_room=False)
    # The form is not offered, but a stale one posts anyway.
    html = (await client.get(f"/series/{closed}")).text
    response = await client.post(
        f"/live/{closed}/join", data={"csrf_token": csrf_of(html), "pseudonym": "Ulpukka"}
    )
    assert response.status_code == 409
    series_id, _ = await live_series(client, org, clock)
    short = await join(client, series_id, "x")
    assert short.status_code == 422 and 'aria-invalid="true"' in short.text


async def test_the_series_facilitator_turns_drop_in_on_for_a_stage_series(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    series_id = await seed_series(
        database, org, clock.now, media_mode=MediaMode.STAGE, staff_ids=[facilitator.id]
    )
    chat_id = await seed_series(database, org, clock.now, staff_ids=[facilitator.id])
    login = {"email": facilitator.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303
    page = f"/staff/series/{series_id}/bans"
    assert f'action="/staff/series/{series_id}/drop-in"' in (await client.get(page)).text
    on = await post_form(client, page, f"/staff/series/{series_id}/drop-in", {"drop_in": "on"})
    assert on.headers["location"] == f"{page}?done=drop_in"
    async with database.unit_of_work() as db:
        assert await db.scalar(select(SeriesRow.drop_in).where(SeriesRow.id == series_id))
    chat_page = f"/staff/series/{chat_id}/bans"
    assert "/drop-in" not in (await client.get(chat_page)).text
    refused = await post_form(
        client, chat_page, f"/staff/series/{chat_id}/drop-in", {"drop_in": "on"}
    )
    assert refused.status_code == 422
