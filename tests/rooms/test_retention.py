"""Chat is purged by itself after the retention period; the moderation log and attendance stay."""

from sqlalchemy import func, select

from server.background import BackgroundWork
from server.storage.tables import ModerationLogRow, RoomEventRow, RoomMemberRow
from tests.conftest import RecordingMailer
from tests.rooms.support import open_room_with_parents


async def count(database, row_type):
    async with database.unit_of_work() as db:
        return await db.scalar(select(func.count()).select_from(row_type))


async def test_chat_is_purged_after_the_retention_period_and_the_log_stays(
    live_server, org, clock, settings
):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].say("kerron jotain henkilökohtaista")
    message = await facilitator.expect("message")
    await facilitator.send(type="delete", seq=message["seq"])
    await facilitator.expect("deleted")
    await facilitator.send(type="end")
    await facilitator.closed_with()
    database = live_server.database
    assert await count(database, RoomEventRow) > 0

    work = BackgroundWork(
        database, settings.model_copy(update={"chat_retention_days": 30}), RecordingMailer(), clock
    )
    clock.advance(days=29)
    await work.run_once()
    assert await count(database, RoomEventRow) > 0  # still within the 30 days

    clock.advance(days=2)
    await work.run_once()
    assert await count(database, RoomEventRow) == 0
    assert await count(database, ModerationLogRow) > 0
    assert await count(database, RoomMemberRow) >= 2


async def test_zero_retention_purges_when_the_session_ends(live_server, org, clock, settings):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await parents["Mustikka"].say("heti pois")
    await facilitator.expect("message")
    work = BackgroundWork(
        live_server.database,
        settings.model_copy(update={"chat_retention_days": 0}),
        RecordingMailer(),
        clock,
    )
    await work.run_once()
    assert await count(live_server.database, RoomEventRow) > 0  # the session has not ended yet
    clock.advance(hours=2)  # past its scheduled end (90 minutes after the start)
    await work.run_once()
    assert await count(live_server.database, RoomEventRow) == 0


async def test_coordinator_reads_the_moderation_log_of_a_series(live_server, org, clock):
    import httpx

    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await facilitator.send(type="mute", peer=parents["Mustikka"].peer, seconds=300)
    await facilitator.expect("moderation", action="muted")
    await facilitator.send(type="remove", peer=parents["Mustikka"].peer)
    await facilitator.expect("moderation", action="removed")

    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Cookie": room.coordinator}
    ) as http:
        page = await http.get(f"/staff/series/{room.series_id}/moderation?lang=en")
    assert page.status_code == 200
    for action in ("muted", "removed", "room_open"):
        assert f'data-action="{action}"' in page.text
    assert "Mustikka" in page.text and "Olli Ohjaaja" in page.text
    async with httpx.AsyncClient(
        base_url=live_server.url, headers={"Cookie": room.facilitator}
    ) as http:
        assert (await http.get(f"/staff/series/{room.series_id}/moderation")).status_code == 403
