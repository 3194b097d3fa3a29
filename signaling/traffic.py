"""Running totals of this relay process's packets, NACKs and keyframe requests (plain integers).

The forwarding path runs tens of thousands of times a second at some 35 µs a packet; an integer
attribute costs it a few tens of nanoseconds where a Prometheus counter's lock would cost more.
``signaling.metrics`` reads the totals when it is scraped. Rooms and people are never named here.
"""

from __future__ import annotations


class RelayTraffic:
    """Totals since the process started; they only grow, whatever rooms come and go."""

    __slots__ = ("keyframe_requests", "nacks", "packets_in", "packets_out", "plis_sent")

    def __init__(self) -> None:
        self.packets_in = 0  # RTP packets from publishers (retransmissions unwrapped)
        self.packets_out = 0  # RTP packets sent on to subscribers
        self.nacks = 0  # packets subscribers asked to be sent again (RTCP NACK)
        self.keyframe_requests = 0  # subscribers' own RTCP PLI or FIR
        self.plis_sent = 0  # merged keyframe requests that reached publishers


TRAFFIC = RelayTraffic()
