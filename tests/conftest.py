"""Shared fixtures: databases (SQLite and PostgreSQL through one parametrised fixture), a clock,
a recording mailer, an HTTP client on the real application, and cheap password hashing.

Tests that need PostgreSQL, Redis or Chromium skip when it is missing, unless
``TUPA_REQUIRE_SERVICES=1`` (CI sets it), which turns the skip into a failure. The whole suite
runs on several processes (see tests/parallel.py).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.app import create_app
from server.notify.outbox import Mail
from server.organisation import Organisation
from server.people import passwords
from server.scheduling.service import ensure_program_templates
from server.settings import Settings
from server.storage.db import Database, create_engine
from server.storage.migrate import upgrade
from server.storage.tables import Base

POSTGRES_URL = os.environ.get(
    "TUPA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TUPA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("TUPA_REQUIRE_SERVICES") == "1"
T = TypeVar("T")

pytest_plugins = ["tests.parallel"]

# A fixed "now" for tests: a Monday in October, before summer time ends in Helsinki.
T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking set-up (Alembic, asyncio.run) away from the test's event loop, if any."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def service_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when CI demands that every service-backed test really runs."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}")
    pytest.skip(reason)


async def _redis_problem(url: str) -> str:
    """Why Redis cannot be used at ``url``, or "" when it answers."""
    from redis import asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except Exception as exc:  # refused, timeout, authentication: all mean "not here"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return ""


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis to test against (database 15 by default), or a skip saying why there is none."""
    problem = in_thread(asyncio.run, _redis_problem(REDIS_URL))
    if problem:
        service_unavailable(f"Redis not usable at {REDIS_URL}: {problem}")
    return REDIS_URL


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class RecordingMailer:
    sent: list[Mail] = field(default_factory=list)

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


# Argon2 at its lowest cost: well under a millisecond instead of about 0.2 s per hash or check.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_DUMMY_HASH = CHEAP_HASHER.hash("not-a-real-password-for-timing")


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff passwords are hashed and checked at Argon2's lowest cost in tests: hundreds of tests
    make staff accounts and sign them in, and the state machine makes three per example, which at
    the real cost took minutes. Tests marked ``real_password_hashing`` keep the real cost, and
    servers run as processes (``tupa serve`` in the browser and fault tests) always have it."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(passwords, "_hasher", CHEAP_HASHER)
        monkeypatch.setattr(passwords, "_DUMMY_HASH", CHEAP_DUMMY_HASH)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


# --- databases -------------------------------------------------------------------------------


async def _postgres_scratch_database() -> tuple[str | None, str]:
    """Create a scratch database for this run: (its URL, "") or (None, why it could not)."""
    admin = create_engine(POSTGRES_URL)
    name = f"tupa_test_{secrets.token_hex(4)}"
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # refused, authentication, no CREATEDB right: all mean "not here"
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        await admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), ""


async def _drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


POSTGRES_PROBLEM: list[str] = []


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A migrated scratch PostgreSQL database for the whole run, or None if unreachable."""
    url, problem = in_thread(asyncio.run, _postgres_scratch_database())
    if url is None:
        POSTGRES_PROBLEM.append(problem)
        yield None
        return
    in_thread(upgrade, url)
    yield url
    in_thread(asyncio.run, _drop_database(url))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    in_thread(asyncio.run, _with_program_templates(url))  # as `tupa serve` does on start
    return path


async def _with_program_templates(url: str) -> None:
    database = Database(url)
    async with database.unit_of_work() as db:
        await ensure_program_templates(db)
    await database.dispose()


async def _truncate(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _sqlite_copy(tmp_path: Path, sqlite_template: Path) -> Database:
    path = tmp_path / "tupa.db"
    shutil.copy(sqlite_template, path)
    return Database(f"sqlite+aiosqlite:///{path}")


async def _clean_postgres(postgres_url: str | None) -> Database:
    if postgres_url is None:
        service_unavailable(f"PostgreSQL not usable at {POSTGRES_URL}: {POSTGRES_PROBLEM}")
    db = Database(postgres_url)
    await _truncate(db)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> AsyncIterator[Database]:
    """The same tests against SQLite and against the real PostgreSQL."""
    if request.param == "sqlite":
        db = _sqlite_copy(tmp_path, sqlite_template)
    else:
        db = await _clean_postgres(postgres_url)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def sqlite_database(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """SQLite only: for web tests whose subject is not the storage backend."""
    db = _sqlite_copy(tmp_path, sqlite_template)
    try:
        yield db
    finally:
        await db.dispose()


# --- the application -------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        secret_key="test-secret-key-not-for-production",
        data_dir=tmp_path / "var",
        public_url="http://testserver",
        login_delay_seconds=0,
        organisation_name="Testijärjestö",
    )


@pytest.fixture
def org(settings: Settings) -> Organisation:
    return Organisation.from_settings(settings)


@pytest.fixture
async def client(
    settings: Settings, sqlite_database: Database, clock: Clock, mailer: RecordingMailer
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real application (SQLite, fake clock, recorded mail)."""
    app = create_app(
        settings, database=sqlite_database, clock=clock, mailer=mailer, background=False
    )
    app.state.test_database = sqlite_database
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token embedded in a page's forms."""
    match = CSRF_PATTERN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: Mapping[str, Any]
) -> httpx.Response:
    """Open ``page`` like a browser, then submit ``data`` to ``action`` with the page's token."""
    html = (await client.get(page)).text
    return await client.post(action, data={"csrf_token": csrf_of(html), **data})


# --- a real server on a real port (for WebSockets) ---------------------------------------------


@dataclass
class LiveServer:
    """The real application served by uvicorn on a free loopback port, in the test's event loop."""

    url: str
    app: Any
    database: Database

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def live_server(
    settings: Settings, sqlite_database: Database, clock: Clock, mailer: RecordingMailer
) -> AsyncIterator[LiveServer]:
    import uvicorn

    from server.rooms.frames import MAX_FRAME_BYTES

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"public_url": url})
    app = create_app(
        settings, database=sqlite_database, clock=clock, mailer=mailer, background=False
    )
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(url, app, sqlite_database)
    finally:
        server.should_exit = True
        await task
