"""The log of a real server, configured as ``tupa serve`` configures it, holds no personal link
and no client address: requests to a parent's page and the room socket with ``?link=`` leave
route templates only. Behind a proxy (``X-Forwarded-For``) the address would be the parent's real
one; it appears only when ``TUPA_LOG_CLIENT_IPS`` is on."""

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx
import uvicorn
import websockets

from server.app import create_app
from server.logs import UVICORN_OPTIONS, configure_logging, remove_logging
from server.rooms.frames import MAX_FRAME_BYTES
from server.scheduling.service import get_series
from tests.conftest import free_port
from tests.factories import enrol_parent, seed_series

PARENT_ADDRESS = "203.0.113.77"  # TEST-NET-3: what the proxy says the parent's address is


@asynccontextmanager
async def logged_server(
    settings, database, clock, mailer
) -> AsyncIterator[tuple[str, io.StringIO]]:
    """The app under uvicorn with Tupa's logging, trusting the proxy headers as compose.yaml
    does; yields its address and everything written to the log."""
    stream = io.StringIO()
    handler = configure_logging(stream, client_ips=settings.log_client_ips)  # as `tupa` does
    port = free_port()
    app = create_app(settings, database=database, clock=clock, mailer=mailer, background=False)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="*",
        log_level="info",
        ws_max_size=MAX_FRAME_BYTES,
        lifespan="on",
        **UVICORN_OPTIONS,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"127.0.0.1:{port}", stream
    finally:
        server.should_exit = True
        await task
        remove_logging(handler)


async def visit_as_a_parent(address: str, token: str, session_id: int) -> None:
    """Open the parent's page and the room socket with the link, as a browser behind a proxy."""
    forwarded = {"X-Forwarded-For": PARENT_ADDRESS}
    async with httpx.AsyncClient(base_url=f"http://{address}", headers=forwarded) as client:
        await client.get(f"/me/{token}")
        await client.get(f"/me/{token}/no-such-page")
    url = f"ws://{address}/ws/rooms/{session_id}?link={token}"
    async with websockets.connect(url, additional_headers=forwarded) as socket:
        await socket.send('{"type": "hello", "v": 1}')
        with suppress(websockets.ConnectionClosed, TimeoutError):
            await asyncio.wait_for(socket.recv(), 5)


async def a_parent_with_a_session(database, org, clock) -> tuple[str, int]:
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Mina", clock.now, "mina@example.fi")
    async with database.unit_of_work() as db:
        series = await get_series(db, series_id)
        return new.token, series.sessions[0].id


async def test_a_parents_requests_leave_routes_in_the_log_and_no_link_or_address(
    settings, sqlite_database, clock, mailer, org
):
    token, session_id = await a_parent_with_a_session(sqlite_database, org, clock)
    async with logged_server(settings, sqlite_database, clock, mailer) as (address, log):
        await visit_as_a_parent(address, token, session_id)
    written = log.getvalue()
    assert "GET /me/{token}" in written
    assert "GET /me/{masked}/no-such-page 404" in written
    assert "WebSocket /ws/rooms/{session_id}" in written
    for secret in (token, PARENT_ADDRESS, "mina@example.fi", "link="):
        assert secret not in written


async def test_client_addresses_are_logged_only_when_the_setting_says_so(
    settings, sqlite_database, clock, mailer, org
):
    token, session_id = await a_parent_with_a_session(sqlite_database, org, clock)
    with_ips = settings.model_copy(update={"log_client_ips": True})
    async with logged_server(with_ips, sqlite_database, clock, mailer) as (address, log):
        await visit_as_a_parent(address, token, session_id)
    written = log.getvalue()
    assert f"{PARENT_ADDRESS} GET /me/{{token}}" in written
    assert f"{PARENT_ADDRESS} WebSocket /ws/rooms/{{session_id}}" in written
    assert token not in written
