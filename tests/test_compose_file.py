"""compose.yaml is a valid Compose file with two app instances and two relays; the proxy sends a
room's sockets, staff's and parents' alike, to one instance chosen by the room.

The Compose Specification's JSON schema is vendored (tests/vendor/compose-spec, from the npm
registry, with its licence) and checked by its sha256: no Docker engine and no network needed.
The routing is checked twice: the Caddyfile's pattern against the app's own socket routes, and,
where Debian's ``caddy`` is installed, the real proxy in front of two stand-in instances.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from starlette.routing import WebSocketRoute

from server.web.routes import room_socket
from tests.conftest import free_port, service_unavailable

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "tests" / "vendor" / "compose-spec" / "compose-spec.json"
SCHEMA_SHA256 = "56bab44c85c0ce8affb74474950293f37d510673283a243bcd7eeadb900fa35c"
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()


def compose_schema() -> dict[str, Any]:
    data = SCHEMA_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == SCHEMA_SHA256, f"{SCHEMA_FILE} is not the vendored release: sha256 {digest}"
    schema: dict[str, Any] = json.loads(data)
    # That release predates the specification's top-level `name` (see the vendor README).
    schema["properties"]["name"] = {"type": "string"}
    return schema


def compose_errors(document: object) -> list[str]:
    validator = jsonschema.Draft201909Validator(
        compose_schema(), format_checker=jsonschema.FormatChecker()
    )
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def compose_file() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def test_compose_yaml_follows_the_compose_specification():
    assert compose_errors(compose_file()) == []


def test_the_schema_check_refuses_a_file_that_breaks_the_specification():
    broken = copy.deepcopy(compose_file())
    broken["services"]["app1"]["restart_policy"] = "always"  # not a service key
    broken["services"]["relay2"]["ports"] = 8101  # not a list
    errors = compose_errors(broken)
    assert any("restart_policy" in error for error in errors), errors
    assert any(error.startswith("services/relay2/ports") for error in errors), errors


def test_two_app_instances_and_two_relays_with_metrics_off_the_public_ports():
    services = compose_file()["services"]
    apps = [services["app1"], services["app2"]]
    relays = [services["relay1"], services["relay2"]]
    for app in apps:
        assert "ports" not in app  # only the proxy reaches them, metrics included
        assert app["environment"]["TUPA_METRICS_PORT"] == "9100"
        assert app["environment"]["TUPA_REDIS_URL"].startswith("redis://")
        assert app["environment"]["TUPA_RELAY_DISCOVERY"].endswith("true}")
    metrics_ports = set()
    for relay in relays:
        environment = relay["environment"]
        assert relay["command"] == ["tupa", "relay"]
        assert environment["TUPA_METRICS_HOST"] == "127.0.0.1"  # the host's loopback only
        metrics_ports.add(environment["TUPA_RELAY_METRICS_PORT"])
        port = environment["TUPA_RELAY_PORT"]
        assert environment["TUPA_RELAY_ANNOUNCE_URL"] == f"http://host.docker.internal:{port}"
        assert f"127.0.0.1:{port}/health" in " ".join(relay["healthcheck"]["test"])
    assert len(metrics_ports) == 2
    assert services["redis"]["ports"] == ["127.0.0.1:6379:6379"]
    assert set(services["caddy"]["depends_on"]) == {"app1", "app2"}


def room_socket_pattern() -> re.Pattern[str]:
    found = re.search(r"^\s*@room_socket path_regexp room (\S+)$", CADDYFILE, re.M)
    assert found is not None
    return re.compile(found.group(1))


def socket_paths() -> list[str]:
    """The app's own room socket routes."""
    return [route.path for route in room_socket.router.routes if isinstance(route, WebSocketRoute)]


def test_the_proxy_pattern_takes_the_room_from_every_room_socket_route_and_nothing_else():
    pattern = room_socket_pattern()
    paths = socket_paths()
    assert sorted(paths) == ["/me/rooms/{session_id}/socket", "/ws/rooms/{session_id}"]
    for path in paths:
        found = pattern.match(path.replace("{session_id}", "4711"))
        assert found is not None, path
        assert "".join(g for g in found.groups() if g) == "4711"
    for other in ["/me/rooms/4711/room", "/ws/rooms/", "/ws/rooms/4711/x", "/staff/rooms/4711"]:
        assert pattern.match(other) is None, other
    assert 'request_header X-Tupa-Room "{re.room.1}{re.room.2}"' in CADDYFILE
    assert "lb_policy header X-Tupa-Room" in CADDYFILE


class Instance(BaseHTTPRequestHandler):
    """A stand-in app instance: answers every path with its own name."""

    def do_GET(self) -> None:
        name = self.server.name.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(name)))
        self.end_headers()
        self.wfile.write(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def instances() -> Iterator[dict[str, int]]:
    servers = {}
    for name in ("app1", "app2"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Instance)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    yield {name: server.server_address[1] for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


def test_caddy_sends_every_socket_of_a_room_to_one_instance(
    tmp_path: Path, instances: dict[str, int]
):
    if shutil.which("caddy") is None:
        service_unavailable("Debian's caddy is not installed (apt-get install caddy)")
    port = free_port()
    config = CADDYFILE
    for name, instance_port in instances.items():
        config = config.replace(f"{name}:8000", f"127.0.0.1:{instance_port}")
    # Debian's caddy (2.6) predates this option of caddy:2 (2.7+); it only concerns reloads.
    config = re.sub(r"^\s*stream_close_delay .*$", "", config, flags=re.M)
    (tmp_path / "Caddyfile").write_text("{\n\tadmin off\n}\n" + config)
    environment = {
        **os.environ,
        "TUPA_DOMAIN": f"http://127.0.0.1:{port}",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    caddy = subprocess.Popen(
        ["caddy", "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "caddy.log").open("w"),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/ws/rooms/1", timeout=2)
                break
            except httpx.HTTPError:
                assert caddy.poll() is None, (tmp_path / "caddy.log").read_text()
                assert time.monotonic() < deadline, "caddy did not start"
                time.sleep(0.1)
        chosen = {}
        for room in range(1, 41):
            answers = {
                httpx.get(f"{base}{path}", headers={"X-Tupa-Room": "spoofed"}).text
                for path in (f"/ws/rooms/{room}", f"/me/rooms/{room}/socket") * 3
            }
            assert len(answers) == 1, (room, answers)  # staff and parents: one instance
            chosen[room] = answers.pop()
        assert set(chosen.values()) == {"app1", "app2"}  # rooms spread over both
    finally:
        caddy.terminate()
        caddy.wait(timeout=30)
