"""Where this installation's media relay runs: inside the web process, or as ``tupa relay``.

Inside the web process is the embedded default: nothing to start or configure, and right for one
web process. Several web processes must share one ``tupa relay`` (``TUPA_RELAY_URL``), since
everyone in a room has to publish and subscribe at the same relay whichever process their
WebSocket reached; a relay of its own also gets a core of its own for forwarding.
"""

from __future__ import annotations

from datetime import UTC, datetime

from server.settings import Settings
from signaling.client import RelayClient
from signaling.ice import relay_ice_servers
from signaling.interface import MediaRelay
from signaling.relay import Relay


def relay_for(settings: Settings) -> MediaRelay:
    """A ``Relay`` in this process when ``relay_url`` is empty, else a client of that relay."""
    if not settings.relay_url:
        return Relay(relay_ice_servers(settings, datetime.now(UTC)))
    return RelayClient(settings.relay_url, settings.relay_secret)
