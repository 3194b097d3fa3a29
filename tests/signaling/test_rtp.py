"""The RTP bytes the relay writes, read back with aiortc's own parser."""

from __future__ import annotations

import pytest
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from signaling.rtp import (
    one_byte_extensions,
    retransmission_payload,
    rtp_packet,
    sequence_delta,
    vp8_starts_key_frame,
)

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"


def parse(data: bytes, mid_id: int = 4) -> RtpPacket:
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(headerExtensions=[RTCRtpHeaderExtensionParameters(id=mid_id, uri=MID)])
    )
    return RtpPacket.parse(data, extensions)


def test_a_written_packet_reads_back_with_every_field_and_the_media_id() -> None:
    data = rtp_packet(
        97, 65535, 4_000_000_000, 0xDEADBEEF, True, one_byte_extensions([(4, b"1")]), b"vp8"
    )
    packet = parse(data)
    assert (packet.payload_type, packet.sequence_number, packet.timestamp) == (
        97,
        65535,
        4_000_000_000,
    )
    assert (packet.ssrc, packet.marker, packet.payload) == (0xDEADBEEF, 1, b"vp8")
    assert packet.extensions.mid == "1"


def test_a_packet_without_extensions_has_no_extension_bit() -> None:
    data = rtp_packet(111, 1, 960, 42, False, b"", b"opus")
    assert data[0] == 0x80 and len(data) == 12 + 4
    assert parse(data).payload == b"opus"


def test_an_empty_payload_becomes_padding_that_carries_its_sequence_number() -> None:
    packet = parse(rtp_packet(97, 7, 0, 42, False, b"", b""))
    assert packet.sequence_number == 7
    assert packet.payload == b"" and packet.padding_size == 4


def test_extension_blocks_are_padded_to_whole_words_and_ids_are_checked() -> None:
    block = one_byte_extensions([(1, b"10")])
    assert block == b"\xbe\xde\x00\x01" + b"\x11" + b"10" + b"\x00"
    assert one_byte_extensions([]) == b""
    with pytest.raises(ValueError):
        one_byte_extensions([(15, b"x")])
    with pytest.raises(ValueError):
        one_byte_extensions([(1, b"")])


def test_a_retransmission_carries_the_original_sequence_number_first() -> None:
    assert retransmission_payload(0x1234, b"abc") == b"\x12\x34abc"


@pytest.mark.parametrize(
    "descriptor",
    [
        VpxPayloadDescriptor(partition_start=1, partition_id=0),
        VpxPayloadDescriptor(partition_start=1, partition_id=0, picture_id=17),
        VpxPayloadDescriptor(partition_start=1, partition_id=0, picture_id=300),
        VpxPayloadDescriptor(partition_start=1, partition_id=0, picture_id=300, tl0picidx=5),
        VpxPayloadDescriptor(
            partition_start=1, partition_id=0, picture_id=300, tl0picidx=5, tid=(1, 0)
        ),
        VpxPayloadDescriptor(partition_start=1, partition_id=0, keyidx=3),
    ],
    ids=["plain", "picture-id-7", "picture-id-15", "tl0picidx", "tid", "keyidx"],
)
def test_a_key_frame_starts_where_partition_zero_starts_with_the_key_frame_flag_clear(
    descriptor: VpxPayloadDescriptor,
) -> None:
    assert vp8_starts_key_frame(bytes(descriptor) + b"\x10\x02\x00\x9d\x01\x2a")
    assert not vp8_starts_key_frame(bytes(descriptor) + b"\x11\x02\x00")  # a delta frame


def test_a_packet_in_the_middle_of_a_frame_does_not_start_a_key_frame() -> None:
    middle = VpxPayloadDescriptor(partition_start=0, partition_id=0, picture_id=17)
    other_partition = VpxPayloadDescriptor(partition_start=1, partition_id=1)
    assert not vp8_starts_key_frame(bytes(middle) + b"\x10")
    assert not vp8_starts_key_frame(bytes(other_partition) + b"\x10")
    assert not vp8_starts_key_frame(b"")
    assert not vp8_starts_key_frame(b"\x90")  # an extension byte is announced but missing
    assert not vp8_starts_key_frame(bytes(VpxPayloadDescriptor(1, 0, picture_id=300)))


def test_sequence_numbers_compare_across_the_wrap() -> None:
    assert sequence_delta(2, 65534) == 4
    assert sequence_delta(65534, 2) == -4
    assert sequence_delta(5, 5) == 0
    assert sequence_delta(0x8000, 0) == -0x8000
