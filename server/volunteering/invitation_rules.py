"""When a peer-volunteer invitation may be made and still stands, and which alias is refused
(pure).

An invitation goes to a parent who completed a series that has ended: completed as the reports
count it (attended at least the completion share of the sessions held), so a coordinator invites
exactly the people the report calls graduates. It stands for ``VALID_FOR`` and is used once.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from enum import StrEnum

from server.enrolment.rules import EnrolmentStatus

# Long enough to think it over and talk with someone; short enough that an unanswered invitation
# does not wait on a device for months.
VALID_FOR = timedelta(days=30)


class InvitationStatus(StrEnum):
    OPEN = "open"  # waiting for the parent's answer, until it expires
    ACCEPTED = "accepted"  # the parent made a volunteer account with it
    REFUSED = "refused"  # the parent said no
    WITHDRAWN = "withdrawn"  # a coordinator took it back, or the parent's data was erased
    EXPIRED = "expired"  # set when a newer invitation replaces one that was left unanswered


def stands(status: str, expires_at: datetime, now: datetime) -> bool:
    """Whether the parent can still answer the invitation."""
    return status == InvitationStatus.OPEN and now < expires_at


def shown_status(status: str, expires_at: datetime, now: datetime) -> InvitationStatus:
    """The status as people should see it: an open invitation past its time has expired."""
    if status == InvitationStatus.OPEN and not now < expires_at:
        return InvitationStatus.EXPIRED
    return InvitationStatus(status)


def may_invite(
    completed: bool,
    enrolment_status: str,
    erased: bool,
    earlier: list[tuple[str, datetime]],
    now: datetime,
) -> bool:
    """A parent who completed, is still enrolled (not banned or removed), whose data is not
    erased, and has neither a standing invitation nor an accepted one. A refused or expired
    invitation may be followed by a new one: people change their minds."""
    if not completed or enrolment_status != EnrolmentStatus.ENROLLED or erased:
        return False
    return not any(
        status == InvitationStatus.ACCEPTED or stands(status, expires_at, now)
        for status, expires_at in earlier
    )


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def alias_gives_away(alias: str, pseudonym: str) -> bool:
    """An alias that is the old pseudonym (in any case or spacing) would link the volunteer to the
    parent for everyone who was in the group."""
    return _name_key(alias) == _name_key(pseudonym)
