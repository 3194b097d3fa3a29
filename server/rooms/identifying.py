"""Whether a text someone is about to post looks like it identifies them (pure).

Parents in custody disputes or leaving violence sometimes type a phone number, an address or a
personal identity code into the chat to "keep in touch"; everyone reads it before a facilitator
can delete it. The room asks before posting such a text (``protocol``), so these rules decide
what is asked about: false alarms cost the writer one click, misses can cost a family its safety.

Checksummed numbers are checked with the libraries made for them (``phonenumbers``, ``stdnum``),
so a date, a time, a price or a session number does not look like one; e-mail addresses and
street addresses are careful patterns. The rules are the same whatever language the text is in:
the room does not know it, and a Finnish-speaking parent may well write a Swedish address.
What is not caught (names, a child's school, an inflected address) is listed in the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum import iban
from stdnum.fi import hetu, ytunnus


class Kind(StrEnum):
    """What a finding looks like. The values are on the wire: never rename one."""

    PHONE = "phone"
    EMAIL = "email"
    PERSONAL_ID = "personal_id"
    STREET_ADDRESS = "street_address"
    BANK_ACCOUNT = "bank_account"
    BUSINESS_ID = "business_id"


_DIGIT = re.compile(r"\d")  # any Unicode digit: phonenumbers reads Arabic-Indic ones too


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int
    end: int


def findings(text: str) -> list[Finding]:
    """Everything in ``text`` that looks like identifying details, in the order it appears."""
    if _DIGIT.search(text) is None:
        # Every rule but the e-mail one needs a digit, and most chat lines have none: the
        # patterns below cost tens of microseconds a line, at thousands of lines a second.
        return _emails(text)
    found = [*_emails(text), *_personal_ids(text), *_business_ids(text), *_bank_accounts(text)]
    found += _street_addresses(text)
    taken = [(f.start, f.end) for f in found]
    # A phone number inside a personal identity code or an account number is that, not a phone.
    found += [f for f in _phones(text) if not any(s < f.end and f.start < e for s, e in taken)]
    return sorted(found, key=lambda f: (f.start, f.kind.value))


def kinds(text: str) -> list[Kind]:
    """The kinds of ``findings(text)``, each once, in a fixed order (what the room asks about)."""
    seen = {f.kind for f in findings(text)}
    return [kind for kind in Kind if kind in seen]


# --- phone numbers ------------------------------------------------------------------------------

# Service numbers anyone may share (help lines, offices' switchboards): no person behind them.
_SERVICE_NUMBERS = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
    }
)
# What phonenumbers may take for a number but people write as a date: 06.12.2017.
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})")
_MIN_PHONE_DIGITS = 6  # fewer digits in the whole text: no phone number, no need to look


def _phones(text: str) -> list[Finding]:
    if sum(ch.isdigit() for ch in text) < _MIN_PHONE_DIGITS:
        return []  # most messages: the matcher costs a millisecond on a long one
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "FI", phonenumbers.Leniency.VALID):
        if _DATE.fullmatch(match.raw_string):
            continue
        if phonenumbers.number_type(match.number) in _SERVICE_NUMBERS and not _swedish_mobile(
            match.raw_string
        ):
            continue
        found.append(Finding(Kind.PHONE, match.start, match.end))
    return found


def _swedish_mobile(written: str) -> bool:
    """Whether a Finnish service number is also a Swedish mobile: 070-123 45 67 is both, and a
    parent in Ostrobothnia may well have one. Only mobiles: 08 numbers would take in help lines."""
    try:
        number = phonenumbers.parse(written, "SE")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) == (
        PhoneNumberType.MOBILE
    )


# --- e-mail addresses ---------------------------------------------------------------------------

# A local part, then "@" or the "(at)" Finnish organisations write to keep robots off, then a
# domain of at least two labels ending in letters. Letters may be Finnish ones (ä, ö, å).
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}"
    r"\s?(?:@|\(at\)|\[at\])\s?"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])",
    re.IGNORECASE,
)


def _emails(text: str) -> list[Finding]:
    if "@" not in text and "at)" not in text.lower() and "at]" not in text.lower():
        return []
    return [Finding(Kind.EMAIL, m.start(), m.end()) for m in _EMAIL.finditer(text)]


# --- personal identity codes and business ids ---------------------------------------------------

# ddmmyy, the century sign (+, - or one of the signs of 2023: Y X W V U, B C D E F A), the
# individual number and the check character; stdnum checks the date and the checksum.
_HETU = re.compile(r"(?<![\w-])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?!\w)", re.IGNORECASE)
# A business id (Y-tunnus): seven digits, a hyphen, a check digit. A sole trader's is listed
# under their own name in the public trade register, so it names a person as surely as a phone.
_YTUNNUS = re.compile(r"(?<![\w-])\d{7}-\d(?![\w-])")


def _personal_ids(text: str) -> list[Finding]:
    return [
        Finding(Kind.PERSONAL_ID, m.start(), m.end())
        for m in _HETU.finditer(text)
        # A temporary code (individual number 900-999) identifies as well as a permanent one.
        if hetu.is_valid(m.group().upper(), allow_temporary=True)
    ]


def _business_ids(text: str) -> list[Finding]:
    return [
        Finding(Kind.BUSINESS_ID, m.start(), m.end())
        for m in _YTUNNUS.finditer(text)
        if ytunnus.is_valid(m.group())
    ]


# --- bank accounts ------------------------------------------------------------------------------

# Where an IBAN may begin: a country code and check digits; the rest is tried below, written
# together or in groups of four ("FI21 1234 5600 0007 85").
_IBAN_START = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])", re.IGNORECASE)
_IBAN_TAIL = re.compile(r"(?:[ ]?[A-Z0-9]){11,30}", re.IGNORECASE)
_IBAN_MIN, _IBAN_MAX = 15, 34  # Norway's are the shortest, Saint Lucia's the longest


def _bank_accounts(text: str) -> list[Finding]:
    found = []
    for start in _IBAN_START.finditer(text):
        tail = _IBAN_TAIL.match(text, start.end())
        if tail is None:
            continue
        # The longest prefix that is a valid IBAN: a word may follow the number without a break.
        end = tail.end()
        while end > start.start():
            candidate = text[start.start() : end]
            compact = candidate.replace(" ", "")
            if len(compact) < _IBAN_MIN:
                break
            if len(compact) <= _IBAN_MAX and iban.is_valid(compact.upper()):
                found.append(Finding(Kind.BANK_ACCOUNT, start.start(), end))
                break
            end -= 1
            while end > start.start() and text[end - 1] == " ":
                end -= 1
    return found


# --- street addresses ---------------------------------------------------------------------------

# Finnish and Swedish street names end in one of these (Mannerheimintie, Hämeenkatu, Storgatan,
# Kungsvägen); a name is a word of at least two letters before its ending. Words that end so
# but are seldom streets followed by a number (a bus line, a floor, a gate, a park) are left out.
_FI_STREETS = (
    "katu|tie|kuja|polku|kaari|rinne|raitti|väylä|tori|aukio|puistikko|ranta|mäki"
    "|kaarre|penger|laituri|nummi|ahde|tanhua|kierto"
)
_SV_STREETS = "gatan|gata|vägen|väg|gränd|gränden|stigen|backen|torget|allén|kajen|strand"
# A house number, a staircase letter and a flat ("12 B 5", "3a"), not a date or time ("3.12.").
_NUMBER = r"\d{1,3}(?:[ ]?[A-Za-z])?(?:[ ]?\d{1,3})?(?![\d,.:/]\d)"
_STREET = re.compile(
    rf"(?<![\w-])[^\W\d_][^\W\d_-]{{1,30}}(?:-[^\W\d_]{{2,30}})?(?:{_FI_STREETS}|{_SV_STREETS})"
    rf"[ ]{_NUMBER}(?![\w])",
    re.IGNORECASE,
)
# English addresses put the number first: "12 Baker Street", "4B Elm Road".
_EN_STREET = re.compile(
    r"(?<![\w.,:/])\d{1,4}[A-Za-z]?[ ](?:[A-Z][a-z]+[ ]){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Crescent|Terrace|Gardens)(?![\w])"
)


def _street_addresses(text: str) -> list[Finding]:
    found = [Finding(Kind.STREET_ADDRESS, m.start(), m.end()) for m in _STREET.finditer(text)]
    found += [Finding(Kind.STREET_ADDRESS, m.start(), m.end()) for m in _EN_STREET.finditer(text)]
    return found
