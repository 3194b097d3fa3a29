"""The README documents every setting and the two commands a new user runs."""

from pathlib import Path

from server.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme():
    missing = [name for name in Settings.model_fields if f"TUPA_{name.upper()}" not in README]
    assert not missing


def test_readme_gives_the_run_and_test_commands():
    assert ".venv/bin/tupa serve --demo" in README
    assert "pip install -e '.[test]' && .venv/bin/pytest" in README
