"""The room page's pure browser modules pass their tests (tests/web/js, run by `node --test`)."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import service_unavailable

SCRIPTS = Path(__file__).resolve().parent / "js"


def test_the_room_page_script_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        service_unavailable("node is not installed")
    tests = sorted(str(path) for path in SCRIPTS.glob("*.test.mjs"))
    assert tests, "there are script tests to run"
    result = subprocess.run(
        [node, "--test", *tests], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
