"""STUN and TURN of this installation, and coturn's time-limited TURN credentials (pure).

coturn's ``use-auth-secret`` ("TURN REST API") scheme: the username is the expiry time (Unix
seconds) and an id, joined by a colon, and the password is base64(HMAC-SHA1(secret, username)).
coturn checks both with the same shared secret, so Tupa never stores TURN accounts, and a
credential handed to someone stops working by itself. Browsers get theirs from the room server
(``server.rooms.ice``), the relay makes its own (``signaling.ice``); the settings, the rooms and
the relay all use this module, so it sits below each of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


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
