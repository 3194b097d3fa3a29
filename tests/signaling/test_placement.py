"""Which relay a web process uses, the relay's own ICE servers, and the relay settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from server.settings import Settings
from server.turn import turn_credential
from signaling.client import RelayClient
from signaling.ice import RELAY_CREDENTIAL_LIFETIME, relay_ice_servers
from signaling.placement import relay_for
from signaling.relay import Relay

NOW = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


async def test_without_a_relay_url_the_relay_runs_in_this_process() -> None:
    relay = relay_for(settings())
    assert isinstance(relay, Relay)
    await relay.close()


async def test_with_a_relay_url_the_relay_is_called_over_http() -> None:
    relay = relay_for(settings(relay_url="http://127.0.0.1:8100/", relay_secret="s3cret"))
    assert isinstance(relay, RelayClient)
    await relay.close()


def test_the_relay_gets_stun_and_turn_with_a_credential_of_its_own() -> None:
    turn = "turn:turn.example.org:3478"
    config = settings(
        stun_urls="stun:turn.example.org:3478",
        turn_urls=f"{turn}?transport=udp, {turn}?transport=tcp",
        turn_secret="coturn-shared-secret",
    )
    stun, turn_server = relay_ice_servers(config, NOW)

    assert stun.urls == ["stun:turn.example.org:3478"] and stun.username is None
    assert turn_server.urls == [f"{turn}?transport=udp", f"{turn}?transport=tcp"]
    expires = int((NOW + RELAY_CREDENTIAL_LIFETIME).timestamp())
    assert turn_server.username == f"{expires}:relay"
    assert turn_server.credential == turn_credential("coturn-shared-secret", f"{expires}:relay")


def test_the_relay_gets_no_turn_without_the_secret_and_nothing_unasked() -> None:
    assert relay_ice_servers(settings(), NOW) == []
    (stun,) = relay_ice_servers(
        settings(stun_urls="stun:stun.example.org", turn_urls="turn:turn.example.org"), NOW
    )
    assert stun.urls == ["stun:stun.example.org"]


def test_an_ice_url_aiortc_cannot_parse_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="malformed"):
        relay_ice_servers(settings(stun_urls="stun:"), NOW)


def test_the_relay_url_must_be_http_and_loses_a_trailing_slash() -> None:
    assert settings(relay_url="https://relay.internal:8100/").relay_url == (
        "https://relay.internal:8100"
    )
    with pytest.raises(ValidationError):
        settings(relay_url="relay.internal:8100")


@pytest.mark.parametrize("secret", ["with space", "sälainen", "tab\there"])
def test_the_relay_secret_must_fit_in_a_header(secret: str) -> None:
    with pytest.raises(ValidationError):
        settings(relay_secret=secret)


def test_the_relay_secret_is_not_shown_in_the_settings_repr() -> None:
    assert "s3cret" not in repr(settings(relay_secret="s3cret"))


async def test_with_relay_discovery_rooms_are_placed_on_the_relays_announced_in_redis() -> None:
    from signaling.placed import PlacedRelays

    relay = relay_for(
        settings(relay_discovery=True, redis_url="redis://127.0.0.1:1/0", relay_ttl_seconds=2)
    )
    assert isinstance(relay, PlacedRelays)
    assert relay.directory.ttl == 2 and relay.beat == 0.5
    await relay.close()


def test_relay_discovery_needs_redis() -> None:
    with pytest.raises(ValueError, match="TUPA_REDIS_URL"):
        relay_for(settings(relay_discovery=True))


def test_an_announced_relay_address_must_be_http() -> None:
    with pytest.raises(ValidationError):
        settings(relay_announce_url="10.0.0.5:8100")
    assert settings(relay_announce_url="http://10.0.0.5:8100/").relay_announce_url == (
        "http://10.0.0.5:8100"
    )
