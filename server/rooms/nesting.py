"""How deeply a JSON text nests, read before decoding it (pure).

Split from ``frames``, whose strict parsing calls it before handing a frame to the decoder.
"""

from __future__ import annotations

import re

# What nests JSON values, and what starts, ends or escapes inside a string.
_STRUCTURE = re.compile(r'[][{}"\\]')


def too_deep(raw: str, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` deep (brackets in strings aside).

    Checked before decoding: the decoder recurses once per level and would run out of stack.
    """
    depth = 0
    in_string = False
    escaped = -1  # the position a backslash in a string escapes
    for match in _STRUCTURE.finditer(raw):
        at = match.start()
        if at == escaped:
            continue
        char = raw[at]
        if in_string:
            if char == "\\":
                escaped = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False
