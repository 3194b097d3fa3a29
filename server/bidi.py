"""Unicode's text-direction controls, which names and messages must not carry (pure).

An embedding, override or isolate (U+202A–U+202E, U+2066–U+2069) reorders the text after it up to
the end of its paragraph, so a pseudonym or a message holding one could reverse the words shown
around it. The marks (U+200E, U+200F, U+061C) only steer neutral characters such as punctuation
and spaces next to them; people writing right to left use them, so messages keep marks, while
names, which are shown inside other sentences, may carry none of these characters at all.
"""

from __future__ import annotations

import re

_REORDERING = "\u202a-\u202e\u2066-\u2069"
_MARKS = "\u200e\u200f\u061c"
_REORDERING_CHARACTERS = re.compile(f"[{_REORDERING}]")
_DIRECTION_CHARACTERS = re.compile(f"[{_REORDERING}{_MARKS}]")


def without_reordering(text: str) -> str:
    """``text`` without embeddings, overrides and isolates (marks stay)."""
    return _REORDERING_CHARACTERS.sub("", text)


def has_direction_controls(text: str) -> bool:
    """Whether ``text`` holds any embedding, override, isolate or direction mark."""
    return _DIRECTION_CHARACTERS.search(text) is not None
