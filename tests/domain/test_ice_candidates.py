"""ICE candidates pass only as RFC 8839 writes them (no sockets)."""

import pytest

from server.rooms.candidates import MAX_CANDIDATE, CandidateError, check_candidate


@pytest.mark.parametrize(
    "text",
    [
        "candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0"
        " generation 0 ufrag Vb2x network-cost 999",
        "candidate:0 1 UDP 2122252543 192.168.1.2 49203 typ host",
        "candidate:1 1 tcp 1518280447 192.168.1.2 9 typ host tcptype active generation 0",
        "candidate:3 1 udp 2113937151 7d3a1b2c-5e6f-4a8b-9c0d-1e2f3a4b5c6d.local 60104 typ host"
        " generation 0 network-cost 999",
        "candidate:4 1 udp 41885439 2001:db8::1 3478 typ relay raddr 2001:db8::2 rport 61000",
        "candidate:a+b/C 2 UDP 1 198.51.100.1 0 typ prflx",
    ],
)
def test_a_browsers_candidates_pass(text):
    assert check_candidate(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello, I am watching too: write to me at someone@example.org",
        "candidate:1 1 udp 1 203.0.113.7 54321 typ host note: meet me after",
        "candidate:1 1 udp 1 203.0.113.7 54321 typ host\nnote",
        "candidate:1 1 udp 1 203.0.113.7 54321 typ host\x0bgeneration 0",
        "candidate:1 1 udp 1 203.0.113.7 54321",  # no type
        "candidate:1 1 udp 1 203.0.113.7 70000 typ host",  # port out of range
        "candidate:1 1 udp 99999999999 203.0.113.7 1 typ host",  # priority out of range
        "candidate:1 1 udp 1 fe80::1%eth0 1 typ host",  # an address with a scope
        "candidate:1 1 udp 1 not_a_host! 1 typ host",
        "candidate:1 1 udp 1 203.0.113.7 1 typ host  generation 0",  # two spaces
        "candidate:1 1 udp 1 203.0.113.7 1 typ host generation",  # a name without a value
        "candidate:1 1 udp 1 203.0.113.7 1 typ host ä 0",
        "candidate:" + "x" * 40 + " 1 udp 1 203.0.113.7 1 typ host",  # foundation too long
        "candidate:1 1 udp 1 203.0.113.7 1 typ host" + " a 1" * 9,  # too many extensions
        "candidate:1 1 udp 1 203.0.113.7 1 typ host generation " + "0" * MAX_CANDIDATE,
    ],
)
def test_anything_else_is_refused(text):
    with pytest.raises(CandidateError):
        check_candidate(text)
