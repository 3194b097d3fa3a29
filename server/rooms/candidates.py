"""ICE candidates read by RFC 8839's grammar: a ``signal`` frame carries one, nothing else (pure).

A browser's ``RTCIceCandidate.candidate`` is the attribute without its ``a=``: ``candidate:``
foundation, component, transport, priority, address, port, ``typ`` and type, then the optional
``raddr``/``rport`` and extensions (Chrome adds ``generation``, ``ufrag``, ``network-id``,
``network-cost``; ``tcptype`` for TCP). The address is an IP address or a host name (an mDNS
``….local`` name hides a host's address). Values are bounded; the text is passed on unchanged.
"""

from __future__ import annotations

import ipaddress
import re

MAX_CANDIDATE = 512  # a browser's are under 250 characters
MAX_EXTENSIONS = 8

_TCHARS = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"  # an RFC 8866 token
# foundation, component, transport, priority, address, port, type
_HEAD = re.compile(
    rf"candidate:([A-Za-z0-9+/]{{1,32}}) ([0-9]{{1,3}}) ({_TCHARS}) ([0-9]{{1,10}})"
    rf" (\S+) ([0-9]{{1,5}}) typ ({_TCHARS})"
)
_EXTENSION = re.compile(rf"{_TCHARS}")
_VALUE = re.compile(r"[!-~]+")  # VCHAR
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
MAX_PRIORITY = 2**32 - 1


class CandidateError(ValueError):
    """The text is not an ICE candidate attribute."""


def check_candidate(text: str) -> str:
    """``text`` if it is a candidate attribute by RFC 8839's grammar; raises ``CandidateError``."""
    if len(text) > MAX_CANDIDATE:
        raise CandidateError("too long")
    head = _HEAD.match(text)
    if head is None:
        raise CandidateError("not candidate:<foundation> <component> … typ <type>")
    if int(head.group(4)) > MAX_PRIORITY or int(head.group(6)) > 65535:
        raise CandidateError("a priority or port out of range")
    _address(head.group(5))
    rest = text[head.end() :]
    if rest and not rest.startswith(" "):
        raise CandidateError("the type ends at a space")
    words = rest.split(" ")[1:] if rest else []
    if len(words) % 2:
        raise CandidateError("each extension is a name and a value")
    pairs = list(zip(words[::2], words[1::2], strict=True))
    if pairs and pairs[0][0] == "raddr":
        _address(pairs.pop(0)[1])
    if pairs and pairs[0][0] == "rport":
        port = pairs.pop(0)[1]
        if not port.isascii() or not port.isdigit() or len(port) > 5 or int(port) > 65535:
            raise CandidateError("a malformed rport")
    if len(pairs) > MAX_EXTENSIONS:
        raise CandidateError("too many extensions")
    for name, value in pairs:
        if not _EXTENSION.fullmatch(name) or not _VALUE.fullmatch(value):
            raise CandidateError("a malformed extension")
    return text


def _address(text: str) -> None:
    """An IPv4 or IPv6 address, or a host name (RFC 8839 connection-address)."""
    try:
        ipaddress.ip_address(text)
        if "%" not in text:  # a scope (fe80::1%eth0) is free text
            return
    except ValueError:
        pass
    else:
        raise CandidateError("an address with a scope")
    if not _HOST_NAME.fullmatch(text) or text.replace(".", "").isdigit():
        raise CandidateError("not an address or a host name")
