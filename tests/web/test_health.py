"""``/healthz`` reports the database and the bus between instances; ``/readyz`` fails while
either does not answer (issue 19, point 2)."""

import asyncio

import httpx

from server.app import create_app
from server.storage.db import Database
from tests.redis_server import RedisServer

BOTH_OK = {"status": "ok", "database": "ok", "bus": "ok"}


async def test_an_instance_whose_database_and_bus_answer_is_alive_and_ready(client):
    alive = await client.get("/healthz")
    assert alive.status_code == 200 and alive.json() == BOTH_OK
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == BOTH_OK


async def test_an_instance_without_its_database_is_alive_but_not_ready(settings, clock, mailer):
    nowhere = Database("postgresql+asyncpg://tupa@127.0.0.1:1/tupa")
    app = create_app(settings, database=nowhere, clock=clock, mailer=mailer, background=False)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            alive = await http.get("/healthz")
            ready = await http.get("/readyz")
    finally:
        await nowhere.dispose()
    down = {"status": "unavailable", "database": "unavailable", "bus": "ok"}
    assert alive.status_code == 200 and alive.json() == down
    assert ready.status_code == 503 and ready.json() == down


async def test_readiness_fails_while_redis_is_away_and_returns_when_it_is_back(
    settings, sqlite_database, clock, mailer, tmp_path
):
    redis = RedisServer(tmp_path)
    await redis.start()
    app = create_app(
        settings.model_copy(update={"redis_url": redis.url}),
        database=sqlite_database,
        clock=clock,
        mailer=mailer,
        background=False,
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as http,
        ):
            assert (await http.get("/readyz")).json() == BOTH_OK
            await redis.stop()
            async with asyncio.timeout(10):
                while (ready := await http.get("/readyz")).status_code == 200:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            down = {"status": "unavailable", "database": "ok", "bus": "unavailable"}
            assert ready.status_code == 503 and ready.json() == down
            alive = await http.get("/healthz")
            assert alive.status_code == 200 and alive.json() == down

            await redis.start()
            async with asyncio.timeout(10):
                while (ready := await http.get("/readyz")).status_code != 200:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert ready.json() == BOTH_OK
    finally:
        await redis.stop()
