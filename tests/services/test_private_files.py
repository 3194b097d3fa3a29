"""The embedded database, its WAL and shared-memory files, the generated secret key and the data
directory are readable by their owner only, from the moment they exist."""

import os
import stat
from contextlib import contextmanager

from sqlalchemy import text

from server.settings import Settings
from server.storage.db import Database
from server.storage.migrate import upgrade
from tests.conftest import in_thread


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def permissive_umask():
    """Files are created as the code asks, not as a careful umask would trim them."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_a_generated_secret_key_and_its_directory_are_the_owners_only(tmp_path):
    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir, secret_key="")
    with permissive_umask():
        key = settings.effective_secret_key()
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret_key") == 0o600
    assert settings.effective_secret_key() == key  # kept, not made again


def test_a_secret_key_left_readable_by_others_is_tightened_when_read(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("an-old-key\n")
    (data_dir / "secret_key").chmod(0o644)
    assert Settings(data_dir=data_dir, secret_key="").effective_secret_key() == "an-old-key"
    assert mode(data_dir / "secret_key") == 0o600


async def test_the_embedded_database_and_its_wal_are_the_owners_only(tmp_path):
    path = tmp_path / "var" / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    with permissive_umask():
        in_thread(upgrade, url)
        database = Database(url)
        try:
            async with database.unit_of_work() as db:
                await db.execute(text("SELECT count(*) FROM staff"))
                files = sorted(p.name for p in path.parent.iterdir())
                modes = {name: mode(path.parent / name) for name in files}
        finally:
            await database.dispose()
    assert files == ["tupa.db", "tupa.db-shm", "tupa.db-wal"]
    assert modes == dict.fromkeys(files, 0o600)
    assert mode(path.parent) == 0o700


async def test_a_database_left_readable_by_others_is_tightened_on_opening(tmp_path):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    for name in ("tupa.db", "tupa.db-wal", "tupa.db-shm"):
        if (tmp_path / name).exists():
            (tmp_path / name).chmod(0o644)
    database = Database(url)
    try:
        async with database.unit_of_work() as db:
            await db.execute(text("SELECT count(*) FROM staff"))
            found = {p.name: mode(p) for p in tmp_path.iterdir() if p.name.startswith("tupa.db")}
    finally:
        await database.dispose()
    assert found == {"tupa.db": 0o600, "tupa.db-wal": 0o600, "tupa.db-shm": 0o600}
