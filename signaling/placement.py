"""Where this installation's media relay runs: inside the web process, or as ``tupa relay``.

Inside the web process is the embedded default: nothing to start or configure, and right for one
web process. Several web processes must share one ``tupa relay`` (``TUPA_RELAY_URL``), since
everyone in a room has to publish and subscribe at the same relay whichever process their
WebSocket reached; a relay of its own also gets a core of its own for forwarding. Past one
relay, ``tupa relay`` processes announce themselves in Redis and each room is placed on one
(``TUPA_RELAY_DISCOVERY``, ``signaling.placed``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from server.settings import Settings
from signaling.client import RelayClient
from signaling.ice import relay_ice_servers
from signaling.interface import MediaRelay
from signaling.placed import PlacedRelays
from signaling.relay import Relay
from signaling.relay_directory import RelayDirectory
from signaling.relay_rules import cascade_after


def relay_for(settings: Settings) -> MediaRelay:
    """A ``Relay`` in this process when ``relay_url`` is empty, else a client of that relay;
    with ``relay_discovery``, every relay announced in Redis (``signaling.placed``)."""
    if settings.relay_discovery:
        if not settings.redis_url:
            raise ValueError("TUPA_RELAY_DISCOVERY needs TUPA_REDIS_URL")
        directory = RelayDirectory(settings.redis_url, settings.relay_ttl_seconds)
        limit = cascade_after(settings.relay_capacity, settings.relay_cascade_share)
        return PlacedRelays(directory, settings.relay_secret, cascade_after=limit)
    if not settings.relay_url:
        return Relay(relay_ice_servers(settings, datetime.now(UTC)))
    return RelayClient(settings.relay_url, settings.relay_secret)
