"""What the accessibility statement says apart from the organisation's own details: compliance,
Tupa's known shortcomings, the assessment and the supervisory authority.

The statement follows the model of saavutettavuusvaatimukset.fi (the Commission's model, Decision
(EU) 2018/1523): how well the service meets the requirements, what is not accessible and why,
when and how that was assessed, how to give feedback, and whom to turn to when the answer does not
satisfy. The shortcomings are Tupa's own, found by its developers and checked against the code;
an organisation that assesses its installation again sets TUPA_ACCESSIBILITY_ASSESSED_ON and
TUPA_ACCESSIBILITY_ASSESSED_BY. Every text is a message id, translated when the page is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.i18n import N_

# When Tupa's developers made the self-assessment the shortcomings below come from.
TUPA_ASSESSED_ON = date(2026, 12, 3)
# The law asks for an answer to accessibility feedback within this many days (two weeks).
ANSWER_WITHIN_DAYS = 14


@dataclass(frozen=True)
class Shortcoming:
    """A part of Tupa that does not meet a requirement: what, why, and what to use instead."""

    what: str
    why: str
    instead: str


STAFF_LOGIN = Shortcoming(
    N_("Staff login"),
    N_(
        "Before a staff member is logged out after %(minutes)s minutes without use, a"
        " warning says so and Continue keeps the session. However busy, a session also"
        " ends %(hours)s h after logging in: that is warned ten minutes before, but it"
        " cannot be extended (WCAG 2.2.1 Timing Adjustable)."
    ),
    N_(
        "Save what you are writing when the warning comes, and log in again: the login"
        " returns to the same page."
    ),
)

SHORTCOMINGS: tuple[Shortcoming, ...] = (
    Shortcoming(
        N_("Video and audio in sessions"),
        N_(
            "What is said in group and live sessions has no captions, transcript or sign"
            " language interpretation (WCAG 1.2.4 Captions (Live))."
        ),
        N_("Every session has a chat: you can take part in writing."),
    ),
    Shortcoming(
        N_("Evaluation reports as PDF (for staff)"),
        N_(
            "The PDF files are not tagged, so a screen reader reads their text without"
            " headings or table structure (WCAG 1.3.1 Info and Relationships). Emoji in free"
            " text print as ■."
        ),
        N_("The same report is a web page and a CSV file."),
    ),
    STAFF_LOGIN,
)
# WCAG 2.2.1's twenty-hour exception: a session that may last this long needs no extension.
TIME_LIMIT_EXEMPT_HOURS = 20


def shortcomings(staff_session_max_hours: int) -> tuple[Shortcoming, ...]:
    """The shortcomings of this installation: the staff login's absolute limit is none once the
    organisation lets sessions last twenty hours (the idle limit is warned and renewable)."""
    if staff_session_max_hours >= TIME_LIMIT_EXEMPT_HOURS:
        return tuple(s for s in SHORTCOMINGS if s is not STAFF_LOGIN)
    return SHORTCOMINGS


@dataclass(frozen=True)
class Supervisor:
    """The supervisory authority and how to reach it. Since 1 January 2025 it is Traficom's
    digital accessibility supervision unit (it was the Regional State Administrative Agency for
    Southern Finland before): government proposal HE 71/2024."""

    name: str
    unit: str
    website: str
    email: str
    phone: str


_TRAFICOM = N_("Finnish Transport and Communications Agency Traficom")
_UNIT = N_("Digital Accessibility Supervision Unit")
_WEBSITES = {
    "fi": "https://www.saavutettavuusvaatimukset.fi",
    "sv": "https://www.tillganglighetskrav.fi",
    "en": "https://www.webaccessibility.fi",
}


def supervisor(language: str) -> Supervisor:
    """Traficom's accessibility supervision, with its website in ``language`` (names are message
    ids)."""
    phone = "+358 29 534 5000" if language == "en" else "029 534 5000"
    website = _WEBSITES.get(language, _WEBSITES["fi"])
    return Supervisor(_TRAFICOM, _UNIT, website, "saavutettavuus@traficom.fi", phone)


@dataclass(frozen=True)
class Assessment:
    """When the statement's assessment was made, and by whom ("": a self-assessment)."""

    on: date
    by: str

    @classmethod
    def of(cls, assessed_on: date | None, assessed_by: str) -> Assessment:
        """The organisation's own assessment where it gave one, else the one Tupa ships."""
        return cls(assessed_on or TUPA_ASSESSED_ON, assessed_by.strip())
