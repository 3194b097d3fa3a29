"""RTP packets as the relay writes them for a subscriber: the header rewritten, the payload as is.

The relay forwards each publisher packet to every subscriber with that subscriber's own SSRC,
payload type and sequence numbers (each subscriber connection negotiated its own), so it writes
the 12-byte header itself (RFC 3550 section 5.1) and carries only the header extension the
subscriber's browser needs to find the track, the media id (RFC 8285 one-byte form). Writing
bytes directly, rather than building and serialising aiortc ``RtpPacket`` objects, is what makes
a packet cheap enough to copy a hundred times. Also here: the VP8 payload descriptor (RFC 7741)
that tells where a key frame starts, and 16-bit sequence arithmetic.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

_HEADER = struct.Struct("!BBHII")
_VERSION_2 = 0x80
_PADDING = 0x20
_EXTENSION = 0x10
_ONE_BYTE_PROFILE = 0xBEDE
# A payload that is only padding: three zero bytes and the padding count (RFC 3550 5.1, "P").
_PADDING_ONLY = b"\x00\x00\x00\x04"


def one_byte_extensions(elements: Iterable[tuple[int, bytes]]) -> bytes:
    """The header extension block carrying ``(id, value)`` elements, or ``b""`` for none.

    One-byte elements (RFC 8285 section 4.2): ids 1-14, values of 1-16 bytes; the block is
    padded with zeros to a multiple of four bytes, as the header's length field counts words.
    """
    body = bytearray()
    for element_id, value in elements:
        if not 1 <= element_id <= 14 or not 1 <= len(value) <= 16:
            raise ValueError(f"not a one-byte header extension: id {element_id}, {len(value)} B")
        body.append((element_id << 4) | (len(value) - 1))
        body += value
    if not body:
        return b""
    body += bytes(-len(body) % 4)
    return struct.pack("!HH", _ONE_BYTE_PROFILE, len(body) // 4) + body


def rtp_packet(
    payload_type: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    marker: bool,
    extensions: bytes,
    payload: bytes,
) -> bytes:
    """One RTP packet: version 2, no CSRCs, ``extensions`` as :func:`one_byte_extensions` made.

    An empty payload becomes a padding-only packet, which receivers count in the sequence but
    do not hand to the decoder, so a subscriber sees no gap where the publisher sent padding.
    """
    first = _VERSION_2
    if extensions:
        first |= _EXTENSION
    if not payload:
        first |= _PADDING
        payload = _PADDING_ONLY
    header = _HEADER.pack(
        first, (0x80 if marker else 0) | payload_type, sequence_number, timestamp, ssrc
    )
    return header + extensions + payload


def retransmission_payload(original_sequence_number: int, payload: bytes) -> bytes:
    """An RTX packet's payload: the original sequence number, then the original payload
    (RFC 4588 section 4)."""
    return struct.pack("!H", original_sequence_number) + payload


def vp8_starts_key_frame(payload: bytes) -> bool:
    """Whether this VP8 RTP payload is the first packet of a key frame.

    It is when the payload descriptor (RFC 7741 section 4.2) marks the start of partition 0
    (S = 1, PID = 0) and the VP8 payload header that follows has its inverse key frame flag
    (bit 0 of the first byte, RFC 7741 section 4.3) clear. A subscriber can start there.
    """
    if not payload:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:
        return False
    offset = 1
    if first & 0x80:  # X: an extension byte follows
        if len(payload) < 2:
            return False
        flags = payload[1]
        offset = 2
        if flags & 0x80:  # I: picture id, 7 or 15 bits
            if len(payload) <= offset:
                return False
            offset += 2 if payload[offset] & 0x80 else 1
        if flags & 0x40:  # L: TL0PICIDX
            offset += 1
        if flags & 0x30:  # T or K: TID/Y/KEYIDX
            offset += 1
    return len(payload) > offset and payload[offset] & 0x01 == 0


def sequence_delta(later: int, earlier: int) -> int:
    """``later - earlier`` for 16-bit sequence numbers that wrap: in -32768..32767."""
    return ((later - earlier + 0x8000) & 0xFFFF) - 0x8000
