"""What a migration test does around its own rows: a database at the revision before the
migration, rows written as that revision's tables had them (not as today's models describe them),
then up and down again, reading the tables as each revision left them.

``Migrating`` runs the steps and disposes of the connections between them: Alembic runs in a
thread of its own, and a pooled connection left open would hold SQLite's file lock or PostgreSQL's
table locks against it. ``run`` and ``rows`` read and write a SQLite file with plain SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Insert, column, create_engine, insert, inspect, table, text

from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from server.storage.tables import Base
from tests.conftest import (
    _drop_database,
    _postgres_scratch_database,
    in_thread,
    service_unavailable,
)

TABLES = Base.metadata.tables


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables yet, on SQLite and on PostgreSQL, for a migration to build up
    step by step. A test module takes it as ``empty_url = migration_support.empty_url``."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "tupa.db")
        return
    url, problem = await _postgres_scratch_database()
    if url is None:
        service_unavailable(f"PostgreSQL not usable: {problem}")
    try:
        yield url
    finally:
        await _drop_database(url)


def sqlite_url(path: Path) -> str:
    """The application's address of the SQLite file at ``path``."""
    return f"sqlite+aiosqlite:///{path}"


class Migrating:
    """One database taken through a migration: ``async with Migrating(url, before)`` brings it to
    ``before``, ``up()`` past the migration, ``down()`` back to ``before``."""

    def __init__(self, url: str, before: str) -> None:
        self.url = url
        self.before = before
        self.database = Database(url)

    async def __aenter__(self) -> Migrating:
        in_thread(upgrade, self.url, self.before)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.database.dispose()

    async def up(self, to: str = "head") -> None:
        """Upgrade to ``to`` (the newest revision unless given)."""
        await self.database.engine.dispose()
        in_thread(upgrade, self.url, to)

    async def down(self) -> None:
        """Downgrade to the revision before the migration."""
        await self.database.engine.dispose()
        in_thread(command.downgrade, alembic_config(self.url), self.before)

    async def tables(self) -> set[str]:
        """The names of the database's tables now."""
        async with self.database.engine.connect() as conn:
            return await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))

    async def columns(self, tables: Collection[str]) -> dict[str, set[str]]:
        """The names of each table's columns as the database has them now."""
        async with self.database.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in tables}
            )


def insert_named(name: str, /, **values: Any) -> Insert:
    """An insert into table ``name`` naming only the given columns (typed as the models type
    them), so it fits the table as an older revision had it."""
    columns = (column(key, TABLES[name].c[key].type) for key in values)
    return insert(table(name, *columns)).values(**values)


def model_defaults(name: str, /, leave_out: Collection[str] = ()) -> dict[str, Any]:
    """The models' plain defaults of table ``name``, but for the columns in ``leave_out`` (those
    later migrations add, which an older table does not have)."""
    return {
        c.name: c.default.arg(None) if callable(c.default.arg) else c.default.arg  # type: ignore[attr-defined]
        for c in TABLES[name].c
        if c.default is not None and c.name not in leave_out
    }


def run(path: Path, *statements: str, **values: Any) -> list[list[tuple[Any, ...]]]:
    """Runs ``statements`` on the SQLite file at ``path`` in one transaction; the rows each
    returned (none for a write)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            results = [conn.execute(text(s), values) for s in statements]
            return [[tuple(r) for r in result] if result.returns_rows else [] for result in results]
    finally:
        engine.dispose()


def rows(path: Path, query: str, **values: Any) -> list[tuple[Any, ...]]:
    """The rows of one statement (none for a write)."""
    return run(path, query, **values)[0]
