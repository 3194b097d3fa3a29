"""Whether a new staff password will do: long enough, and not one of the most common passwords.

Length is what makes a password hard to guess (NIST SP 800-63B); rules about digits and symbols
are not, so there are none. The list of common passwords ships with Tupa (``common_passwords.txt``,
its source and licence in ``common_passwords.NOTICE``): an attacker tries those first, so none of
them is accepted, whatever its length, and neither is the person's own e-mail address or name.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from server.errors import ErrorCode, TupaError

MIN_LENGTH = 10
MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased, read once per process (about 20,000 entries)."""
    text = files("server.people").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _plain(text: str) -> str:
    return "".join(text.split()).casefold()


def refuse_weak(password: str, *, email: str = "", real_name: str = "") -> None:
    """Raise INVALID_INPUT (field password) for a length outside 10–256 characters and
    PASSWORD_TOO_COMMON for a listed password, the e-mail address, its part before the @ or the
    name (compared without case or spaces)."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise TupaError(ErrorCode.INVALID_INPUT, field="password")
    plain = _plain(password)
    personal = {_plain(email), _plain(email.partition("@")[0]), _plain(real_name)} - {""}
    if plain in common_passwords() or password.strip().lower() in common_passwords():
        raise TupaError(ErrorCode.PASSWORD_TOO_COMMON)
    if plain in personal:
        raise TupaError(ErrorCode.PASSWORD_TOO_COMMON)
