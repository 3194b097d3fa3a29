"""SDPs are read as RFC 8866 writes them and a browser reads them, or refused (no sockets)."""

import pytest

from server.rooms.sdp import MAX_SECTIONS, SdpError, parse_sdp

CHROME_OFFER = (
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS 5f2b\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Vb2x\r\n"
    "a=ice-pwd:0kPbBqJW6sgl8BwS1fVq0tVb\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 1D:2A:6F:0E:9B:44:AA:01\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=sendrecv\r\n"
    "a=msid:5f2b 9c1d\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=ssrc:3475235631 cname:Qm7v\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:2500\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
)
FIREFOX_ANSWER = (
    "v=0\r\n"
    "o=mozilla...THIS_IS_SDPARTA-128.0 7410348398524498413 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 0E:AB:12\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=ice-options:trickle\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=inactive\r\n"
    "a=mid:0\r\n"
    "a=rtpmap:109 opus/48000/2\r\n"
    "a=setup:active\r\n"
)


def test_a_browsers_offer_is_read_with_each_sections_direction():
    sdp = parse_sdp(CHROME_OFFER)
    assert [(s.kind, s.direction, s.rejected) for s in sdp.sections] == [
        ("audio", "sendrecv", False),
        ("video", "recvonly", False),
    ]
    assert sdp.sent_kinds == {"audio"}
    assert sdp.text == CHROME_OFFER  # passed on unchanged
    assert parse_sdp(FIREFOX_ANSWER).sent_kinds == frozenset()


def test_a_section_without_a_direction_sends_and_one_with_port_zero_is_rejected():
    bare = CHROME_OFFER.replace("a=sendrecv\r\n", "")
    assert parse_sdp(bare).sent_kinds == {"audio"}
    rejected = CHROME_OFFER.replace("m=audio 9 ", "m=audio 0 ")
    assert parse_sdp(rejected).sent_kinds == frozenset()


def test_a_bundled_section_with_port_zero_sends_as_browsers_read_it():
    bundled = CHROME_OFFER.replace("m=audio 9 ", "m=audio 0 ").replace(
        "a=mid:0\r\n", "a=mid:0\r\na=bundle-only\r\n"
    )
    assert parse_sdp(bundled).sent_kinds == {"audio"}


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_line_separator_other_than_crlf_is_refused_not_read_as_a_line_break(separator):
    # str.splitlines would make "a=recvonly" a line of its own; a browser reads one unknown
    # attribute and sends, so the server must not think the section only receives.
    trick = CHROME_OFFER.replace("a=sendrecv\r\n", f"a=x-note{separator}a=recvonly\r\n")
    with pytest.raises(SdpError):
        parse_sdp(trick)


@pytest.mark.parametrize(
    "text",
    [
        CHROME_OFFER.replace("\r\n", "\n"),  # LF only
        CHROME_OFFER.replace("a=mid:1\r\n", "a=mid:1\n"),  # one bare LF
        CHROME_OFFER.replace("a=mid:1\r\n", "a=mid:1\r"),  # one bare CR
        CHROME_OFFER[:-2],  # no CRLF after the last line
        CHROME_OFFER.replace("a=mid:0", "a=mid:\t0"),  # a tab
        CHROME_OFFER.replace("s=-", "s=ä"),  # not ASCII
        CHROME_OFFER.replace("a=rtcp-mux", " a=rtcp-mux"),  # space before the type
        CHROME_OFFER.replace("a=rtcp-mux", "A=rtcp-mux"),  # not a lowercase type
        CHROME_OFFER.replace("v=0", "v=1"),
        CHROME_OFFER.replace("s=-\r\n", ""),  # a required line missing
        CHROME_OFFER.replace("t=0 0\r\n", ""),
        CHROME_OFFER.replace("t=0 0", "t=now"),
        CHROME_OFFER.replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1", "o=hello"),
        CHROME_OFFER.replace("c=IN IP4 0.0.0.0\r\nb=AS:2500", "b=AS:2500\r\nc=IN IP4 0.0.0.0"),
        CHROME_OFFER.replace("m=video 9 UDP/TLS/RTP/SAVPF 96 97", "m=video 9"),
        CHROME_OFFER.replace("m=video 9 ", "m=video 70000 "),
        CHROME_OFFER.replace("a=rtcp-mux", "a=rtcp mux"),  # an attribute name is a token
        CHROME_OFFER.replace("a=rtcp-mux", "a="),
        "",
        "v=0\r\n",
    ],
)
def test_text_that_is_not_such_an_sdp_is_refused(text):
    with pytest.raises(SdpError):
        parse_sdp(text)


@pytest.mark.parametrize(
    "text",
    [
        # Two directions: Chrome acts on the last, the RFC does not say.
        CHROME_OFFER.replace("a=recvonly\r\n", "a=recvonly\r\na=sendrecv\r\n"),
        # A direction with a value: Chrome reads it as the direction.
        CHROME_OFFER.replace("a=recvonly", "a=recvonly:1"),
        # At session level: the RFC inherits it, Chrome ignores it.
        CHROME_OFFER.replace("a=extmap-allow-mixed", "a=recvonly"),
    ],
)
def test_a_direction_a_browser_might_read_otherwise_is_refused(text):
    with pytest.raises(SdpError):
        parse_sdp(text)


def test_the_number_of_media_sections_is_bounded():
    head, _, _ = CHROME_OFFER.partition("m=audio")
    section = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    assert len(parse_sdp(head + section * MAX_SECTIONS).sections) == MAX_SECTIONS
    with pytest.raises(SdpError):
        parse_sdp(head + section * (MAX_SECTIONS + 1))
