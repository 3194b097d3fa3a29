"""The relay's own ICE servers: the installation's STUN, and its TURN with a credential of its own.

Browsers get STUN and short-lived TURN credentials from the room server (``server.rooms.ice``).
The relay is an ICE agent too: behind NAT it needs STUN to learn its public address, and TURN when
it cannot be reached directly. Its TURN credential is made the same way (coturn's
``use-auth-secret``, username ``"<expiry>:relay"``), but lasts far longer: a relay runs for
months, aiortc is handed its ICE servers once, and an expired credential would silently break
every later connection through TURN. The expiry protects nothing here, since whoever runs the
relay holds the TURN secret that makes the credential anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiortc import RTCIceServer
from aiortc.rtcicetransport import connection_kwargs

from server.settings import Settings
from server.turn import turn_credential

RELAY_TURN_ID = "relay"
RELAY_CREDENTIAL_LIFETIME = timedelta(days=10 * 365)


def relay_ice_servers(settings: Settings, now: datetime) -> list[RTCIceServer]:
    """STUN and TURN for the relay's peer connections, with a TURN credential valid from ``now``.

    No servers configured means host candidates only (aiortc is never left to pick a public STUN
    server of its own). aiortc uses the first STUN and the first UDP or TCP TURN URL. Raises
    ``ValueError`` for a URL aiortc cannot parse, now rather than at the first connection.
    """
    config = settings.ice_config()
    servers: list[RTCIceServer] = []
    if config.stun_urls:
        servers.append(RTCIceServer(urls=list(config.stun_urls)))
    if config.turn_urls and config.turn_secret:
        expires = int((now + RELAY_CREDENTIAL_LIFETIME).timestamp())
        username = f"{expires}:{RELAY_TURN_ID}"
        servers.append(
            RTCIceServer(
                urls=list(config.turn_urls),
                username=username,
                credential=turn_credential(config.turn_secret, username),
            )
        )
    connection_kwargs(servers)  # parses every URL
    return servers
