"""The ``tupa`` command: every subcommand has help; db upgrade, demo, staff deactivation and the
outbox work on a new database."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from server.organisation import Organisation
from server.people.roles import Role
from server.settings import Settings
from server.storage.db import Database
from server.storage.tables import StaffRow
from tests.factories import a_staff_member, enrol_parent, seed_series

ROOT = Path(__file__).resolve().parents[1]


def tupa(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=cwd,
        env={**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["demo"],
        ["staff", "add"],
        ["staff", "deactivate"],
        ["staff", "activate"],
        ["relay"],
        ["outbox"],
        ["outbox", "show"],
        ["outbox", "delete"],
    ],
)
def test_every_command_has_help(tmp_path, args):
    result = tupa(*args, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: tupa" in result.stdout


def test_db_upgrade_and_demo_on_a_fresh_directory_use_sqlite_under_var(tmp_path):
    # No TUPA_ variable at all: the embedded defaults a new user gets.
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    upgrade = tupa("db", "upgrade", cwd=tmp_path, env=clean)
    assert upgrade.returncode == 0, upgrade.stderr
    assert (tmp_path / "var" / "tupa.db").exists()

    demo = tupa("demo", cwd=tmp_path, env=clean)
    assert demo.returncode == 0, demo.stderr
    again = tupa("demo", cwd=tmp_path, env=clean)
    assert again.returncode == 1  # never loaded twice into a database that has series


async def _staff_states(url: str, coordinator: bool) -> dict[str, bool]:
    """Add a coordinator and a facilitator if ``coordinator``; return who is active."""
    database = Database(url)
    try:
        async with database.unit_of_work() as db:
            if coordinator:
                await a_staff_member(db, datetime.now(UTC))
                await a_staff_member(db, datetime.now(UTC), Role.FACILITATOR)
            rows = await db.scalars(select(StaffRow))
            return {str(row.email): row.active for row in rows}
    finally:
        await database.dispose()


def test_staff_deactivate_and_activate_by_email_and_never_the_last_coordinator(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    assert tupa("db", "upgrade", cwd=tmp_path, env=clean).returncode == 0
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'tupa.db'}"
    asyncio.run(_staff_states(url, coordinator=True))

    off = tupa("staff", "deactivate", "--email", "facilitator@example.org", cwd=tmp_path, env=clean)
    assert off.returncode == 0, off.stderr
    assert asyncio.run(_staff_states(url, coordinator=False))["facilitator@example.org"] is False

    last = tupa(
        "staff", "deactivate", "--email", "coordinator@example.org", cwd=tmp_path, env=clean
    )
    assert last.returncode == 2 and "last_coordinator" in last.stderr
    unknown = tupa("staff", "deactivate", "--email", "nobody@example.org", cwd=tmp_path, env=clean)
    assert unknown.returncode == 2 and "not_found" in unknown.stderr

    on = tupa("staff", "activate", "--email", "facilitator@example.org", cwd=tmp_path, env=clean)
    assert on.returncode == 0, on.stderr
    assert asyncio.run(_staff_states(url, coordinator=False)) == {
        "coordinator@example.org": True,
        "facilitator@example.org": True,
    }


async def _a_parent_with_mail(directory: Path) -> str:
    """Enrol a parent with an e-mail address, as the server would; returns their link's token."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{directory / 'var' / 'tupa.db'}",
        data_dir=directory / "var",  # the key `tupa` finds under ./var, as the server would
    )
    org = Organisation.from_settings(settings)
    database = Database(settings.database_url)
    try:
        series_id = await seed_series(database, org, datetime.now(UTC))
        new = await enrol_parent(
            database, org, series_id, "Mustikka", datetime.now(UTC), "mina@example.fi"
        )
        return new.token
    finally:
        await database.dispose()


def test_outbox_lists_waiting_mail_without_content_and_shows_one_in_the_terminal_only(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    assert tupa("db", "upgrade", cwd=tmp_path, env=clean).returncode == 0
    token = asyncio.run(_a_parent_with_mail(tmp_path))

    listing = tupa("outbox", cwd=tmp_path, env=clean)
    assert listing.returncode == 0, listing.stderr
    assert "notice.enrolled" in listing.stdout
    for secret in (token, "mina@example.fi", "Mustikka"):
        assert secret not in listing.stdout + listing.stderr

    shown = tupa("outbox", "show", "1", cwd=tmp_path, env=clean)
    assert shown.returncode == 0, shown.stderr
    assert "To: mina@example.fi" in shown.stdout
    assert f"/me/{token}" in shown.stdout
    assert token not in shown.stderr  # the log and the note go to stderr

    deleted = tupa("outbox", "delete", "1", cwd=tmp_path, env=clean)
    assert deleted.returncode == 0, deleted.stderr
    assert "No mail is waiting." in tupa("outbox", cwd=tmp_path, env=clean).stdout
    gone = tupa("outbox", "show", "1", cwd=tmp_path, env=clean)
    assert gone.returncode == 2 and "No waiting mail 1" in gone.stderr


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("short one", "invalid_input {'field': 'password'}"),
        ("qwertyuiop", "password_too_common"),
        ("uusi@example.org", "password_too_common"),
    ],
)
def test_staff_add_refuses_short_and_common_passwords_as_the_page_does(tmp_path, password, refusal):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    args = ["staff", "add", "--email", "uusi@example.org", "--name", "Uusi Ohjaaja"]
    added = subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--role", "facilitator"],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT)},
        input=f"{password}\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert added.returncode == 2 and refusal in added.stderr, added.stderr
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'tupa.db'}"
    assert asyncio.run(_staff_states(url, coordinator=False)) == {}


@pytest.mark.parametrize(
    ("host", "public_url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8765"),
        ("0.0.0.0", "http://127.0.0.1:8765"),  # noqa: S104
        ("::", "http://[::1]:8765"),
        ("::1", "http://[::1]:8765"),
        ("ryhmat.local", "http://ryhmat.local:8765"),
    ],
)
def test_public_url_follows_where_serve_listens_unless_it_was_set(host, public_url):
    assert Settings(_env_file=None).serving_at(host, 8765).public_url == public_url
    configured = Settings(_env_file=None, public_url="https://ryhmat.example.fi")
    assert configured.serving_at(host, 8765).public_url == "https://ryhmat.example.fi"


def test_serve_on_another_port_points_its_pages_and_room_sockets_at_that_port(tmp_path):
    """A visitor who runs ``tupa serve --demo --port …`` (8000 taken) without TUPA_PUBLIC_URL:
    the room socket's origin check and every address the pages give name that port. (A drop-in
    viewer on the demo stage was refused at the socket, 4003, before this.)"""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    env |= {"TUPA_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)}
    env["TUPA_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'tupa.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accessibility") as answer:
                    page = answer.read().decode()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert f"http://127.0.0.1:{port}" in page
    assert "127.0.0.1:8000" not in page
