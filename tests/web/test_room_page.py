"""The room page: who may open it, and how much it costs to load on a thin connection."""

import re

from server.people.roles import Role
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.web.test_staff import log_in

BUDGET_GZIPPED = 100 * 1024


async def transferred(client, path: str) -> int:
    response = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, path
    return response.num_bytes_downloaded


async def test_room_page_with_all_its_modules_stays_under_100_kb_gzipped(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parent = await enrol_parent(database, org, series_id, "Kevyt", clock.now)
    async with database.unit_of_work() as db:
        from server.scheduling import service as scheduling

        session_id = (await scheduling.get_series(db, series_id)).sessions[0].id
    await client.get(f"/me/{parent.token}")  # the link is swapped for the device cookie
    page_path = f"/me/sessions/{session_id}/room"
    page = await client.get(page_path)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"

    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text))
    pending = [a for a in assets if a.endswith(".js")]
    while pending:  # follow the ES module imports
        module = pending.pop()
        text = (await client.get(module)).text
        for name in re.findall(r'(?:from\s+|import\()"\./([^"]+)"', text):
            path = module.rsplit("/", 1)[0] + "/" + name
            if path not in assets:
                assets.add(path)
                pending.append(path)
    names = {a.rsplit("/static/", 1)[1].split("/", 2)[-1] for a in assets}  # past /v/<digest>/
    assert {"room/connection.js", "room/view.js"} <= names
    total = await transferred(client, page_path)
    for asset in assets:
        total += await transferred(client, asset)
    assert total < BUDGET_GZIPPED, total


async def test_only_assigned_staff_and_coordinators_open_a_room_page(client, org, clock):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        assigned = await a_staff_member(db, clock.now, Role.FACILITATOR)
        await a_staff_member(db, clock.now, Role.FACILITATOR, email="other@example.org")
    series_id = await seed_series(database, org, clock.now, staff_ids=[assigned.id])
    async with database.unit_of_work() as db:
        from server.scheduling import service as scheduling

        session_id = (await scheduling.get_series(db, series_id)).sessions[0].id
    await log_in(client, "other@example.org")
    assert (await client.get(f"/staff/sessions/{session_id}/room")).status_code == 403
    await log_in(client, "facilitator@example.org")
    page = await client.get(f"/staff/sessions/{session_id}/room")
    assert page.status_code == 200 and f'/ws/rooms/{session_id}"' in page.text


def test_every_room_error_code_has_a_translated_message():
    from zoneinfo import ZoneInfo

    from server.i18n import Translator
    from server.rooms.frames import RoomError
    from server.web.messages import ROOM_ERROR_MESSAGES, room_error_message

    assert set(ROOM_ERROR_MESSAGES) == {code.value for code in RoomError}
    fi = Translator("fi", ZoneInfo("Europe/Helsinki"))
    for code in RoomError:
        assert room_error_message(fi, code) != ROOM_ERROR_MESSAGES[code.value]
