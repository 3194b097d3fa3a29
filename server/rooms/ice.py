"""ICE servers for a person's browser: STUN, and TURN with a time-limited credential (pure).

How the credentials are made is in ``server.turn``. Only admitted people get one.
"""

from __future__ import annotations

from datetime import datetime

from server.turn import IceConfig, turn_credential


def ice_servers(config: IceConfig, peer: str, now: datetime) -> list[dict[str, object]]:
    """The ``iceServers`` for one person's RTCPeerConnection, valid from ``now``."""
    servers: list[dict[str, object]] = []
    if config.stun_urls:
        servers.append({"urls": list(config.stun_urls)})
    if config.turn_urls and config.turn_secret:
        expires = int(now.timestamp()) + config.turn_ttl_seconds
        username = f"{expires}:{peer}"
        servers.append(
            {
                "urls": list(config.turn_urls),
                "username": username,
                "credential": turn_credential(config.turn_secret, username),
            }
        )
    return servers


def ice_transport_policy(config: IceConfig) -> str:
    """ "relay" when TURN is set up: browsers then connect only through it, so in a room of
    people at risk nobody learns another participant's IP address; "all" otherwise."""
    return "relay" if config.turn_urls and config.turn_secret else "all"
