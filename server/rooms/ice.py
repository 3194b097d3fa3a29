"""ICE servers for a person's browser: STUN, and TURN with coturn's time-limited credentials.

coturn's ``use-auth-secret`` ("TURN REST API") scheme: the username is the expiry time (Unix
seconds) and an id, joined by a colon, and the password is base64(HMAC-SHA1(secret, username)).
coturn checks both with the same shared secret, so Tupa never stores TURN accounts, and a
credential handed to someone stops working by itself. Only admitted people get one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IceConfig:
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl_seconds: int = 6 * 3600


def turn_credential(secret: str, username: str) -> str:
    """The password coturn expects for ``username`` under ``use-auth-secret``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


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
