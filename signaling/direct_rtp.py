"""Sending an RTP packet to a subscriber in one step: SRTP-protect it and hand it to the socket.

aiortc's ``RTCDtlsTransport._send_rtp`` does exactly that, but through four coroutines (aiortc's
DTLS and ICE transports, aioice's connection and protocol). Profiled in the relay at 100
subscribers, those coroutines took about a quarter of its CPU: as much as the encryption.
:class:`DirectRtp` calls the same two functions without them:

- ``RTCDtlsTransport._tx_srtp``: the connection's outgoing ``pylibsrtp.Session``;
- ``RTCIceTransport._connection._nominated[1]``: aioice's nominated candidate pair, whose
  ``protocol.transport`` is the asyncio datagram transport of the local candidate.

Only a pair that sends plain UDP (aioice's ``StunProtocol``: host and server-reflexive
candidates) is used directly; a pair through a TURN server, or internals that are not what
aiortc 1.16 and aioice 0.13 have, give ``None`` and the caller goes the ordinary way. The pair
is looked up again if aioice nominates another one. What is not kept up: the DTLS transport's
own byte and packet counters (its ``getStats``), which nothing in Tupa reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aioice.ice import StunProtocol
from aiortc import RTCDtlsTransport

logger = logging.getLogger(__name__)

_RTP_COMPONENT = 1


class DirectRtp:
    """The direct path to one subscriber connection; see the module docstring."""

    def __init__(
        self, dtls: RTCDtlsTransport, protect: Callable[[bytes], bytes], nominated: dict[int, Any]
    ) -> None:
        self._dtls = dtls
        self._protect = protect
        self._nominated = nominated
        self._pair: Any = None
        self._sendto: Callable[[bytes, Any], None] | None = None
        self._address: Any = None

    @classmethod
    def of(cls, dtls: RTCDtlsTransport) -> DirectRtp | None:
        """The direct path for a connected transport, or None where only the ordinary one works."""
        srtp = getattr(dtls, "_tx_srtp", None)
        connection = getattr(getattr(dtls, "transport", None), "_connection", None)
        if srtp is None or connection is None:
            return None  # not connected (yet), or not aiortc's transport
        nominated = getattr(connection, "_nominated", None)
        protect = getattr(srtp, "protect", None)
        if not callable(protect) or not isinstance(nominated, dict):
            logger.warning("aiortc's or aioice's internals changed: the relay sends the slow way")
            return None
        direct = cls(dtls, protect, nominated)
        return direct if direct._find_pair() else None

    def send(self, data: bytes) -> bool:
        """Protect and send one RTP packet; False if the direct path no longer applies (the
        caller then sends it the ordinary way, which also says whether the connection closed)."""
        if self._dtls.state != "connected":
            return False
        if self._nominated.get(_RTP_COMPONENT) is not self._pair and not self._find_pair():
            return False
        assert self._sendto is not None
        self._sendto(self._protect(data), self._address)
        return True

    def _find_pair(self) -> bool:
        pair = self._nominated.get(_RTP_COMPONENT)
        protocol = getattr(pair, "protocol", None)
        sendto = getattr(getattr(protocol, "transport", None), "sendto", None)
        if type(protocol) is not StunProtocol or not callable(sendto):
            self._pair = self._sendto = None
            return False
        self._pair = pair
        self._sendto = sendto
        self._address = pair.remote_addr  # type: ignore[union-attr]
        return True
