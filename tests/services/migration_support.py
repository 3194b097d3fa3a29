"""Raw SQL against a migration test's SQLite file, outside the application's models: a migration
test must see the tables as a given revision left them, not as today's models describe them."""

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text


def run(path: Path, *statements: str, **values: Any) -> list[list[tuple[Any, ...]]]:
    """Runs ``statements`` in one transaction; the rows each returned (none for a write)."""
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
