"""The ``tupa`` command: every subcommand has help; db upgrade and demo work on a new database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    "args", [[], ["serve"], ["db"], ["db", "upgrade"], ["demo"], ["staff", "add"], ["relay"]]
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
