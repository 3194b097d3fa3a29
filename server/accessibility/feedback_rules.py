"""What accessibility feedback may hold, and how often one address may send it (pure).

The form is public and reaches the coordinators, so it is read strictly: bounded text, no
control characters or text-direction overrides (which could make what a coordinator reads differ
from what was sent), an optional contact on one line. A client address may send a few messages an
hour: enough for anyone with something to say, too few to bury the coordinators' list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.bidi import without_reordering
from server.errors import ErrorCode, TupaError

FEEDBACK_MAX = 2000
CONTACT_MAX = 200
# Control characters other than the line feed and the tab.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class FeedbackDraft:
    """Feedback as it will be stored: its text and how to answer the sender (None: anonymous)."""

    text: str
    contact: str | None


def read_feedback(text: str, contact: str) -> FeedbackDraft:
    """The feedback a form sent, or INVALID_INPUT naming every field that cannot be stored."""
    text = _CONTROLS.sub("", without_reordering(text.replace("\r\n", "\n"))).strip()
    contact = " ".join(_CONTROLS.sub(" ", without_reordering(contact)).split())
    invalid = []
    if not 1 <= len(text) <= FEEDBACK_MAX:
        invalid.append("feedback")
    if len(contact) > CONTACT_MAX:
        invalid.append("contact")
    if invalid:
        raise TupaError(ErrorCode.INVALID_INPUT, fields=invalid)
    return FeedbackDraft(text, contact or None)


@dataclass(frozen=True)
class SendingLimit:
    """At most ``sends`` from one client address, counted until ``window`` after its latest."""

    sends: int = 5
    window: timedelta = timedelta(hours=1)

    def clears_at(self, now: datetime) -> datetime:
        return now + self.window

    def refuses(self, sends: int) -> bool:
        """Whether the ``sends``-th send in a row (this one included) is one too many."""
        return sends > self.sends
