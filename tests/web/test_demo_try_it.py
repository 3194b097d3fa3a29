"""The front page's "Try it" and the demo banner exist with `tupa serve --demo` only; joining as a
parent is one POST that enrols a fresh demo parent and hands over a device, never a link."""

import re

import httpx
import pytest

from server.app import create_app
from server.demo_rooms import sessions as live
from server.scheduling.series import MediaMode
from tests.conftest import csrf_of

TRY_IT = 'id="try-it"'
BANNER = 'id="demo-banner"'


@pytest.fixture
async def demo_client(settings, sqlite_database, clock, mailer):
    """The application as `tupa serve --demo` makes it, its live demo rooms planned."""
    settings = settings.model_copy(update={"login_failures_per_account_from_address": 3})
    app = create_app(
        settings, database=sqlite_database, clock=clock, mailer=mailer, background=False, demo=True
    )
    async with sqlite_database.unit_of_work() as db:
        await live.renew(db, app.state.organisation, clock.now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def test_without_demo_there_is_no_try_it_no_banner_and_no_join(client):
    front = await client.get("/")
    safe_use = await client.get("/safe-use")
    token = csrf_of((await client.get("/staff/login")).text)  # the front page has no form then
    join = await client.post("/demo/join", data={"csrf_token": token, "mode": "chat"})

    assert front.status_code == 200 and TRY_IT not in front.text and BANNER not in front.text
    assert BANNER not in safe_use.text
    assert join.status_code == 404


async def test_with_demo_the_front_page_offers_each_live_room_and_every_page_the_banner(
    demo_client, clock
):
    async with demo_client.app.state.database.unit_of_work() as db:
        sessions = await live.live_sessions(db, clock.now)
    front = await demo_client.get("/?lang=en")
    safe_use = await demo_client.get("/safe-use")

    assert TRY_IT in front.text and BANNER in front.text and BANNER in safe_use.text
    for mode, session in sessions.items():
        room = re.search(
            rf'<li class="try-it-room" data-mode="{mode.value}".*?</li>', front.text, re.S
        )
        assert room, mode
        assert 'action="/demo/join"' in room.group(0)
        staff_logins = re.findall(
            r'<form method="post" action="/staff/login" target="_blank">', room.group(0)
        )
        assert len(staff_logins) == 2, "the facilitator and the volunteer, in a new window"
        assert f'name="next" value="/staff/sessions/{session.id}/room"' in room.group(0)
    assert "tupa-demo-2026" in front.text, "the public password is shown"


async def test_join_as_a_parent_enrols_a_fresh_demo_parent_and_opens_their_page_by_a_device(
    demo_client, clock
):
    front = await demo_client.get("/?lang=sv")
    joined = await demo_client.post(
        "/demo/join", data={"csrf_token": csrf_of(front.text), "mode": "chat"}
    )

    assert joined.status_code == 200
    assert 'http-equiv="refresh" content="0; url=/me"' in joined.text
    assert "tupa_me" in joined.headers["set-cookie"] and "Path=/me" in joined.headers["set-cookie"]
    assert "/me/" not in joined.text.replace("url=/me", ""), "no personal link on the page"
    me = await demo_client.get("/me")
    assert me.status_code == 200
    async with demo_client.app.state.database.unit_of_work() as db:
        chat = (await live.live_sessions(db, clock.now))[MediaMode.CHAT]
    assert f"/me/sessions/{chat.id}/room" in me.text, "the live session can be joined at once"


async def test_joins_are_counted_per_address_and_a_bad_mode_is_refused(demo_client):
    token = csrf_of((await demo_client.get("/")).text)

    bad = await demo_client.post("/demo/join", data={"csrf_token": token, "mode": "<x>"})
    answers = [
        (await demo_client.post("/demo/join", data={"csrf_token": token, "mode": "stage"}))
        for _ in range(4)
    ]
    no_token = await demo_client.post("/demo/join", data={"mode": "chat"})

    assert bad.status_code == 422
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert no_token.status_code == 403


async def test_the_live_rooms_are_named_in_the_readers_language_where_the_program_has_a_name_in_it(
    demo_client,
):
    english = (await demo_client.get("/?lang=en")).text
    finnish = (await demo_client.get("/?lang=fi")).text

    assert "<h3>Information and support when a family with children separates</h3>" in english
    assert "<h3>Tietoa ja tukea lapsiperheen eroon</h3>" in finnish
