"""Session reminders (default 24 h and 1 h before) and deadline flags, queued in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import occupancy
from server.i18n import N_, Translator
from server.localised import localised
from server.notify.outbox import Mail, enqueue
from server.organisation import Organisation
from server.people.roles import Role
from server.scheduling.series import SessionStatus
from server.storage.tables import EnrolmentRow, SeriesRow, SessionRow, StaffRow

REMINDER_SUBJECT = N_("Reminder: %(series)s %(start)s")
REMINDER_BODY = N_(
    "Hello %(name)s,\n\nthe next session of %(series)s starts %(start)s.\nTheme: %(theme)s\n\n"
    "Open your personal link to join or to cancel your place.\n\nBest regards, %(organisation)s"
)
DECISION_SUBJECT = N_("Decision needed: %(series)s is below its minimum size")
DECISION_BODY = N_(
    "Enrolment for %(series)s closed with %(enrolled)s enrolled; the minimum is %(minimum)s.\n"
    "Confirm or cancel the series in Tupa: %(link)s"
)


def reminder_due(starts_at: datetime, offsets_minutes: Sequence[int], now: datetime) -> int | None:
    """The reminder to send now for a session, if any.

    Among the offsets whose moment has passed before the session starts, the nearest one: a parent
    who enrols 30 minutes before a session gets one reminder, not a "tomorrow" and an "in an hour".
    """
    if now >= starts_at:
        return None
    passed = [m for m in offsets_minutes if starts_at - timedelta(minutes=m) <= now]
    return min(passed) if passed else None


async def enqueue_due_reminders(
    db: AsyncSession, org: Organisation, offsets_minutes: Sequence[int], now: datetime
) -> int:
    """Queue the reminders due now; the dedupe key makes repeated runs and instances harmless."""
    if not offsets_minutes:
        return 0
    horizon = now + timedelta(minutes=max(offsets_minutes))
    sessions = await db.scalars(
        select(SessionRow)
        .join(SeriesRow)
        .where(
            SessionRow.status == SessionStatus.PLANNED.value,
            SeriesRow.status != SeriesStatus.CANCELLED.value,
            SessionRow.starts_at > now,
            SessionRow.starts_at <= horizon,
        )
    )
    queued = 0
    for session in sessions:
        offset = reminder_due(session.starts_at, offsets_minutes, now)
        if offset is None:
            continue
        # An individual time reminds the one parent who booked it (None: nobody).
        only = [EnrolmentRow.id == session.booked_enrolment_id] if session.kind != "group" else []
        enrolments = await db.scalars(
            select(EnrolmentRow).where(
                *only,
                EnrolmentRow.series_id == session.series_id,
                EnrolmentRow.status == EnrolmentStatus.ENROLLED.value,
                EnrolmentRow.email.is_not(None),
            )
        )
        for enrolment in enrolments:
            assert enrolment.email is not None
            t = Translator(enrolment.language, org.zone)  # type: ignore[arg-type]
            start = t.datetime(session.starts_at, "long")
            title = localised(session.series.title_texts, enrolment.language).text
            params = {"series": title, "start": start}
            mail = Mail(
                enrolment.email,
                t.gettext(REMINDER_SUBJECT, **params),
                t.gettext(
                    REMINDER_BODY,
                    name=enrolment.pseudonym,
                    theme=localised(session.theme_texts, enrolment.language).text or "–",
                    organisation=org.name,
                    **params,
                ),
                "reminder",
                enrolment.language,
            )
            # The start time is part of the key: a moved session earns fresh reminders.
            key = f"reminder:{session.id}:{enrolment.id}:{offset}:{session.starts_at.isoformat()}"
            await enqueue(db, org.mail_key, key, mail, now)
            queued += 1
    return queued


async def enqueue_decision_requests(
    db: AsyncSession, org: Organisation, series_ids: Sequence[int], now: datetime, language: str
) -> None:
    """E-mail every coordinator once per series that closed below its minimum."""
    if not series_ids:
        return
    coordinators = list(
        await db.scalars(
            select(StaffRow).where(
                StaffRow.role == Role.COORDINATOR.value,
                StaffRow.deactivated_at.is_(None),
                StaffRow.email.is_not(None),
            )
        )
    )
    t = Translator(language, org.zone)  # type: ignore[arg-type]
    for series_id in series_ids:
        series = await db.get(SeriesRow, series_id)
        assert series is not None
        enrolled = (await occupancy(db, series)).enrolled
        params = {
            "series": localised(series.title_texts, language).text,
            "enrolled": enrolled,
            "minimum": series.min_size,
            "link": org.url(f"/staff/series/{series.id}"),
        }
        for c in coordinators:
            mail = Mail(
                str(c.email),  # only coordinators with an address were chosen
                t.gettext(DECISION_SUBJECT, **params),
                t.gettext(DECISION_BODY, **params),
                "decision_needed",
                language,
            )
            await enqueue(db, org.mail_key, f"decision:{series_id}:{c.id}", mail, now)
