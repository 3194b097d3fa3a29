"""Accessibility feedback: stored when sent, read and marked handled by coordinators, deleted a
set time after that (or a year after it arrived if nobody ever handles it), and announced to
coordinators by e-mail without its content.

The mail says only that feedback has arrived and where to read it: the text and the sender's
contact stay in the database, behind a coordinator's login, and leave nothing in the outbox or
the log. Coordinators get at most one such mail an hour, however much arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accessibility.feedback_rules import FeedbackDraft
from server.accessibility.sending_limit import SendCounter
from server.accessibility.statement import ANSWER_WITHIN_DAYS
from server.errors import ErrorCode, TupaError
from server.i18n import N_, Translator
from server.notify.outbox import Mail, enqueue
from server.organisation import Organisation
from server.people.roles import Role
from server.settings import Language
from server.storage.tables import AccessibilityFeedbackRow, StaffRow

FORM = "accessibility_feedback"  # the form's name in the send counts, and the mail's template
PAGE = "/staff/accessibility-feedback"

ARRIVED_SUBJECT = N_("New accessibility feedback in Tupa")
ARRIVED_BODY = N_(
    "Hello,\n\nsomeone sent accessibility feedback through the accessibility statement of"
    " %(organisation)s. If they left a contact, they should have an answer within %(days)s"
    " days.\n\nRead it in Tupa (this e-mail does not include it): %(link)s"
)


@dataclass(frozen=True)
class Feedback:
    """One piece of feedback as coordinators see it."""

    id: int
    received_at: datetime
    language: str
    text: str
    contact: str | None
    handled_at: datetime | None
    handled_by: str | None  # the coordinator's name, while their account exists


async def send(
    db: AsyncSession,
    org: Organisation,
    counter: SendCounter,
    address: str,
    draft: FeedbackDraft,
    language: Language,
    mail_language: Language,
    now: datetime,
) -> None:
    """Store ``draft`` and tell the coordinators. Raises TOO_MANY_SENDS (counted, nothing
    stored) when ``address`` has sent the form too often lately."""
    await counter.count(db, FORM, address, now)
    db.add(
        AccessibilityFeedbackRow(
            received_at=now, language=language, text=draft.text, contact=draft.contact
        )
    )
    await _tell_coordinators(db, org, mail_language, now)


async def _tell_coordinators(
    db: AsyncSession, org: Organisation, language: Language, now: datetime
) -> None:
    coordinators = await db.scalars(
        select(StaffRow).where(
            StaffRow.role == Role.COORDINATOR.value,
            StaffRow.deactivated_at.is_(None),
            StaffRow.email.is_not(None),
        )
    )
    t = Translator(language, org.zone)
    body = t.gettext(
        ARRIVED_BODY, organisation=org.name, days=ANSWER_WITHIN_DAYS, link=org.url(PAGE)
    )
    hour = now.strftime("%Y-%m-%dT%H")
    for coordinator in coordinators:
        mail = Mail(str(coordinator.email), t.gettext(ARRIVED_SUBJECT), body, FORM, language)
        # One mail per coordinator an hour: more feedback that hour is on the same page.
        await enqueue(db, org.mail_key, f"{FORM}:{coordinator.id}:{hour}", mail, now)


async def everything(db: AsyncSession) -> list[Feedback]:
    """All feedback kept: what is not handled yet first, then newest first."""
    rows = await db.execute(
        select(AccessibilityFeedbackRow, StaffRow.real_name)
        .outerjoin(StaffRow, StaffRow.id == AccessibilityFeedbackRow.handled_by)
        .order_by(
            AccessibilityFeedbackRow.handled_at.is_not(None),
            AccessibilityFeedbackRow.received_at.desc(),
            AccessibilityFeedbackRow.id.desc(),
        )
    )
    return [
        Feedback(row.id, row.received_at, row.language, row.text, row.contact, row.handled_at, name)
        for row, name in rows
    ]


async def unhandled_count(db: AsyncSession) -> int:
    count = await db.scalar(
        select(func.count()).where(AccessibilityFeedbackRow.handled_at.is_(None))
    )
    return int(count or 0)


async def mark_handled(db: AsyncSession, feedback_id: int, staff_id: int, now: datetime) -> None:
    """Mark feedback handled by ``staff_id`` (handling it twice keeps the first). NOT_FOUND when
    there is no such feedback (any more)."""
    row = await db.get(AccessibilityFeedbackRow, feedback_id)
    if row is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    await db.execute(
        update(AccessibilityFeedbackRow)
        .where(
            AccessibilityFeedbackRow.id == feedback_id,
            AccessibilityFeedbackRow.handled_at.is_(None),
        )
        .values(handled_at=now, handled_by=staff_id)
    )


# Feedback nobody marks handled still holds a contact someone gave: it cannot wait for ever. The
# law asks for an answer within 14 days, so a year is far past any use it still has.
UNHANDLED_KEPT_DAYS = 365


async def forget_expired(db: AsyncSession, now: datetime, keep_for: timedelta) -> Sequence[int]:
    """Delete feedback handled more than ``keep_for`` ago, and feedback nobody handled that
    arrived more than ``UNHANDLED_KEPT_DAYS`` ago; returns the ids deleted."""
    deleted = await db.scalars(
        delete(AccessibilityFeedbackRow)
        .where(
            (AccessibilityFeedbackRow.handled_at <= now - keep_for)
            | (
                AccessibilityFeedbackRow.handled_at.is_(None)
                & (AccessibilityFeedbackRow.received_at <= now - timedelta(UNHANDLED_KEPT_DAYS))
            )
        )
        .returning(AccessibilityFeedbackRow.id)
    )
    return list(deleted)
