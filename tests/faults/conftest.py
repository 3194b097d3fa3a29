"""Fixtures of the fault suite: a PostgreSQL cluster of its own for the run, a Redis of its own
for each test, and a summary of what each fault test counted at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest

from server.storage.migrate import upgrade
from tests.conftest import in_thread
from tests.faults.cluster import REPORT, Cluster, start_cluster, stop_cluster
from tests.faults.processes import OwnPostgres
from tests.parallel import add_to_summary
from tests.redis_server import RedisServer


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgres]:
    postgres = OwnPostgres()
    try:
        postgres.create()
        postgres.start()
        in_thread(upgrade, postgres.url)
        yield postgres
    finally:
        postgres.remove()


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def cluster(
    own_postgres: OwnPostgres, own_redis: RedisServer, tmp_path: Path
) -> AsyncIterator[Cluster]:
    """Instances A and B on this run's PostgreSQL and this test's Redis."""
    started = await start_cluster(own_postgres.url, own_redis, tmp_path)
    try:
        yield started
    finally:
        await stop_cluster(started)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """What the test counted goes to the end of the run, from the worker that ran it."""
    try:
        yield
    finally:
        for line in REPORT:
            add_to_summary(item, "fault suite: what was counted", line)
        REPORT.clear()
