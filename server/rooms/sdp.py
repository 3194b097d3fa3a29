"""SDP offers and answers read strictly, as RFC 8866 writes them and as a browser reads them (pure).

The room decides from an SDP whether a person would send audio or video, so it must read the
direction the browser will act on. Neither library at hand does that: aiortc's ``sdp`` module
splits lines with ``str.splitlines`` (a vertical tab, form feed or U+2028 ends a line there, not
in a browser) and ignores what it does not know; ``sdp-transform`` (PyPI) splits on an optional
CR and matches lines by regular expressions, also leniently. So this module refuses whatever a
browser might read differently from it, rather than guessing:

- lines end with CRLF and only CRLF (RFC 8866 §5); a bare CR or LF is refused, and a line holds
  printable ASCII only, so no control or non-ASCII character can be read as a line break by one
  side and not by the other (browsers write nothing else);
- lines come in the order of RFC 8866 §9, with the grammar of their type;
- a direction attribute (``sendrecv``, ``sendonly``, ``recvonly``, ``inactive``) stands alone,
  at most once, and only in a media section: Chrome ignores one at session level and takes the
  last of several, RFC 8866 inherits and leaves several undefined; refusing them ends the doubt;
- a section whose port is 0 is rejected, unless it says ``a=bundle-only`` (RFC 8843), as browsers
  read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
SENDING_DIRECTIONS = frozenset({"sendrecv", "sendonly"})
MAX_SECTIONS = 32  # a browser's offer has a few; a mesh of sixteen people still far fewer

_TCHARS = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"  # an RFC 8866 token
_LINE = re.compile(r"[ -~]*")  # printable ASCII and space
_ORIGIN = re.compile(rf"\S+ [0-9]+ [0-9]+ {_TCHARS} {_TCHARS} \S+")
_TIMING = re.compile(r"[0-9]+ [0-9]+")
_CONNECTION = re.compile(rf"{_TCHARS} {_TCHARS} \S+")
_BANDWIDTH = re.compile(rf"{_TCHARS}:[0-9]+")
_MEDIA = re.compile(rf"({_TCHARS}) ([0-9]+)(?:/[0-9]+)? {_TCHARS}(?:/{_TCHARS})*(?: {_TCHARS})+")
_ATTRIBUTE = re.compile(rf"({_TCHARS})(?::([ -~]+))?")

# RFC 8866 §9: which line types may follow which, at session level and in a media section.
# Each state lists the types allowed next and the state each leads to.
_SESSION_ORDER: dict[str, dict[str, str]] = {
    "v": {"o": "o"},
    "o": {"s": "s"},
    "s": {"i": "i", "u": "u", "e": "e", "p": "p", "c": "c", "b": "b", "t": "t"},
    "i": {"u": "u", "e": "e", "p": "p", "c": "c", "b": "b", "t": "t"},
    "u": {"e": "e", "p": "p", "c": "c", "b": "b", "t": "t"},
    "e": {"e": "e", "p": "p", "c": "c", "b": "b", "t": "t"},
    "p": {"p": "p", "c": "c", "b": "b", "t": "t"},
    "c": {"b": "b", "t": "t"},
    "b": {"b": "b", "t": "t"},
    "t": {"t": "t", "r": "r", "z": "z", "k": "k", "a": "a", "m": "m"},
    "r": {"t": "t", "r": "r", "z": "z", "k": "k", "a": "a", "m": "m"},
    "z": {"k": "k", "a": "a", "m": "m"},
    "k": {"a": "a", "m": "m"},
    "a": {"a": "a", "m": "m"},
}
_MEDIA_ORDER: dict[str, dict[str, str]] = {
    "m": {"i": "mi", "c": "mc", "b": "mb", "k": "mk", "a": "ma", "m": "m"},
    "mi": {"c": "mc", "b": "mb", "k": "mk", "a": "ma", "m": "m"},
    "mc": {"c": "mc", "b": "mb", "k": "mk", "a": "ma", "m": "m"},
    "mb": {"b": "mb", "k": "mk", "a": "ma", "m": "m"},
    "mk": {"a": "ma", "m": "m"},
    "ma": {"a": "ma", "m": "m"},
}
_ORDER = {**_SESSION_ORDER, **_MEDIA_ORDER}
# Where a session description may end: after its timing or anywhere in a media section.
_FINAL = frozenset({"t", "r", "z", "k", "a", *_MEDIA_ORDER})


class SdpError(ValueError):
    """The text is not an SDP this module can read as a browser would."""


@dataclass(frozen=True)
class MediaSection:
    kind: str  # audio, video, application, …
    rejected: bool
    direction: str  # the one a browser acts on: the section's own, or sendrecv

    @property
    def sends(self) -> bool:
        return not self.rejected and self.direction in SENDING_DIRECTIONS


@dataclass(frozen=True)
class Sdp:
    """A parsed offer or answer: its text, passed on unchanged, and what it would send."""

    text: str
    sections: tuple[MediaSection, ...]

    @property
    def sent_kinds(self) -> frozenset[str]:
        """The media kinds ("audio", "video") the SDP would send."""
        return frozenset(s.kind for s in self.sections if s.kind in ("audio", "video") and s.sends)


@dataclass
class _Section:
    kind: str
    port: int
    direction: str | None = None
    bundle_only: bool = False


def parse_sdp(text: str) -> Sdp:
    """``text`` as an SDP; raises ``SdpError`` for anything RFC 8866 (as above) does not allow."""
    if not text.endswith("\r\n"):
        raise SdpError("an SDP ends with CRLF")
    lines = text[:-2].split("\r\n")
    state = ""
    sections: list[_Section] = []
    for line in lines:
        if not _LINE.fullmatch(line) or len(line) < 2 or line[1] != "=":
            raise SdpError("a line is <type>=<value> in printable ASCII, ended by CRLF")
        kind, value = line[0], line[2:]
        if not state:
            if line != "v=0":
                raise SdpError("an SDP starts with v=0")
            state = "v"
            continue
        following = _ORDER[state].get(kind)
        if following is None:
            raise SdpError(f"{kind}= may not follow {state[-1]}=")
        state = following
        _check_value(kind, value)
        if kind == "m":
            sections.append(_media(value))
            if len(sections) > MAX_SECTIONS:
                raise SdpError("too many media sections")
        elif kind == "a":
            _attribute(value, sections[-1] if state == "ma" else None)
    if state not in _FINAL:
        raise SdpError("an SDP needs v=, o=, s= and t=")
    return Sdp(
        text,
        tuple(
            MediaSection(s.kind, s.port == 0 and not s.bundle_only, s.direction or "sendrecv")
            for s in sections
        ),
    )


def _check_value(kind: str, value: str) -> None:
    pattern = {"o": _ORIGIN, "t": _TIMING, "c": _CONNECTION, "b": _BANDWIDTH}.get(kind)
    if pattern is not None and not pattern.fullmatch(value):
        raise SdpError(f"a malformed {kind}= line")
    if not value:
        raise SdpError(f"an empty {kind}= line")


def _media(value: str) -> _Section:
    match = _MEDIA.fullmatch(value)
    if match is None:
        raise SdpError("a malformed m= line")
    port = int(match.group(2))
    if port > 65535:
        raise SdpError("a port beyond 65535")
    return _Section(match.group(1), port)


def _attribute(value: str, section: _Section | None) -> None:
    match = _ATTRIBUTE.fullmatch(value)
    if match is None:
        raise SdpError("a malformed a= line")
    name, argument = match.group(1), match.group(2)
    if name in DIRECTIONS:
        if argument is not None:
            raise SdpError("a direction takes no value")
        if section is None:
            raise SdpError("a direction belongs to a media section")
        if section.direction is not None:
            raise SdpError("a media section has one direction")
        section.direction = name
    elif name == "bundle-only" and section is not None:
        section.bundle_only = True
