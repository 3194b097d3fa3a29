"""The README documents every setting and the two commands a new user runs."""

import re
from pathlib import Path

from server.rooms.frames import MAX_FRAME_BYTES, CloseCode
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def test_every_setting_is_documented_in_the_readme():
    missing = [name for name in Settings.model_fields if f"TUPA_{name.upper()}" not in README]
    assert not missing


def test_readme_gives_the_run_and_test_commands():
    assert ".venv/bin/tupa serve --demo" in README
    assert "pip install -e '.[test]' && .venv/bin/pytest" in README


def test_the_frame_limit_in_the_readme_and_the_protocol_is_the_one_the_server_enforces():
    stated = [
        (README, rf"Frames over (\d+) KiB close with {CloseCode.TOO_BIG}"),
        (PROTOCOL, r"at most \*\*(\d+) KiB\*\* each"),
        (PROTOCOL, rf"\| {CloseCode.TOO_BIG} \| frame larger than (\d+) KiB \|"),
        (PROTOCOL, r"Frames ≤ (\d+) KiB"),
    ]
    for text, pattern in stated:
        found = re.search(pattern, text)
        assert found, pattern
        assert int(found.group(1)) * 1024 == MAX_FRAME_BYTES, found.group(0)
