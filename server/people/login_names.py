"""How a staff member is named at login: an e-mail address or a login name (pure).

A peer volunteer who came from a parents' group may have no e-mail address they want tied to
the account, so an account may log in with a login name instead. A login name never contains
"@", so one login field tells the two apart; names are compared casefolded (after NFKC), so
"Aamu" and "aamu" are one name and cannot belong to two accounts.
"""

from __future__ import annotations

import re
import unicodedata

from server.errors import ErrorCode, TupaError

MIN_LENGTH = 3
MAX_LENGTH = 40
_ALLOWED = re.compile(r"[\w.\-]+")  # letters (ä, ö, å included), digits, "_", "." and "-"


def is_email(login: str) -> bool:
    """Whether what was typed in the login field is meant as an e-mail address."""
    return "@" in login


def clean_login_name(value: str) -> str:
    """The login name as it will be kept (NFKC, no surrounding space). Raises INVALID_INPUT
    (field ``login``) unless it is 3–40 letters, digits, dots, hyphens or underscores."""
    name = unicodedata.normalize("NFKC", value.strip())
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH or not _ALLOWED.fullmatch(name):
        raise TupaError(ErrorCode.INVALID_INPUT, field="login")
    if len(login_key(name)) > MAX_LENGTH:  # casefolding lengthens a few letters ("ß" → "ss")
        raise TupaError(ErrorCode.INVALID_INPUT, field="login")
    return name


def login_key(name: str) -> str:
    """The key a login name is unique and looked up by."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()
