"""What parents are told when something about their enrolment changes.

Every change is kept as a notice on the parent's personal page (parents need not give an e-mail
address) and, when they gave one, also e-mailed in the language they enrolled in.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_, Translator
from server.localised import localised
from server.notify.outbox import Mail, enqueue
from server.organisation import Organisation
from server.storage.tables import EnrolmentRow, NoticeRow


class NoticeKind(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    SESSION_MOVED = "session_moved"
    SESSION_CANCELLED = "session_cancelled"
    SERIES_CONFIRMED = "series_confirmed"
    SERIES_CANCELLED = "series_cancelled"
    REMOVED = "removed"
    WITHDRAWN = "withdrawn"
    BANNED = "banned"
    RECEIVED = "received"  # waits for a coordinator's decision; says no more than that
    REFUSED = "refused"
    PLACED = "placed"  # moved from an intake into the group composed for them
    NOT_PLACED = "not_placed"  # on an intake's waiting list when its groups were composed
    PEER_INVITED = "peer_invited"  # invited to continue as a peer volunteer (server/volunteering)
    # Individual times (server/scheduling/individual.py), as the parent booked, moved or cancelled.
    INDIVIDUAL_BOOKED = "individual_booked"
    INDIVIDUAL_MOVED = "individual_moved"
    INDIVIDUAL_CANCELLED = "individual_cancelled"


NOTICE_TEXT: dict[NoticeKind, str] = {
    NoticeKind.ENROLLED: N_("You have a place in %(series)s."),
    NoticeKind.WAITLISTED: N_(
        "%(series)s is full. You are number %(position)s on the waiting list; we will tell you "
        "if a place becomes free."
    ),
    NoticeKind.PROMOTED: N_("A place became free in %(series)s and it is now yours."),
    NoticeKind.SESSION_MOVED: N_(
        "A session of %(series)s has moved from %(old_start)s to %(new_start)s."
    ),
    NoticeKind.SESSION_CANCELLED: N_("The session of %(series)s on %(start)s is cancelled."),
    NoticeKind.SERIES_CONFIRMED: N_("%(series)s will be held as planned. Welcome!"),
    NoticeKind.SERIES_CANCELLED: N_(
        "Unfortunately %(series)s is cancelled. Your enrolment has ended."
    ),
    NoticeKind.REMOVED: N_("Your enrolment in %(series)s has been ended by the organiser."),
    NoticeKind.WITHDRAWN: N_("You cancelled your enrolment in %(series)s."),
    NoticeKind.BANNED: N_(
        "You can no longer take part in %(series)s. Your enrolment has been ended by the organiser."
    ),
    NoticeKind.RECEIVED: N_(
        "We have received your enrolment in %(series)s. It is being processed; we will tell you "
        "when it has been handled."
    ),
    NoticeKind.REFUSED: N_("Unfortunately your enrolment in %(series)s could not be accepted."),
    NoticeKind.PLACED: N_(
        "The groups of %(intake)s have been composed. Your group is %(series)s; its first "
        "session is on %(first_start)s. Your personal link stays the same."
    ),
    NoticeKind.NOT_PLACED: N_(
        "The groups of %(series)s have been composed and their places are taken. You stay on the "
        "waiting list; we will tell you if the organiser can offer you a place."
    ),
    NoticeKind.PEER_INVITED: N_(
        "The organiser of %(series)s invites you to continue as a peer volunteer in new groups."
        " Read the invitation on your personal page."
    ),
    NoticeKind.INDIVIDUAL_BOOKED: N_(
        "You booked an individual session of %(series)s on %(start)s."
    ),
    NoticeKind.INDIVIDUAL_MOVED: N_(
        "You moved your individual session of %(series)s from %(old_start)s to %(new_start)s."
    ),
    NoticeKind.INDIVIDUAL_CANCELLED: N_(
        "You cancelled your individual session of %(series)s on %(start)s."
    ),
}

SUBJECT = N_("%(series)s: news about your enrolment")


def notice_text(t: Translator, kind: NoticeKind, params: dict[str, Any]) -> str:
    """The notice in the reader's language, with instants shown in the organisation's zone."""
    shown = {
        key: t.datetime(datetime.fromisoformat(value), "long") if key.endswith("start") else value
        for key, value in params.items()
    }
    return t.gettext(NOTICE_TEXT[kind], **shown)


def mail_body(t: Translator, pseudonym: str, text: str, link: str | None, organisation: str) -> str:
    """A short plain-text e-mail; the personal link appears only when we still know it."""
    lines = [t.gettext("Hello %(name)s,", name=pseudonym), "", text, ""]
    if link:
        lines += [
            t.gettext("Your personal link (keep it to yourself, it is your way back in):"),
            link,
            "",
        ]
    else:
        lines += [t.gettext("Open your personal link to see the details."), ""]
    lines.append(t.gettext("Best regards, %(organisation)s", organisation=organisation))
    return "\n".join(lines)


async def tell(
    db: AsyncSession,
    org: Organisation,
    enrolment: EnrolmentRow,
    kind: NoticeKind,
    now: datetime,
    link: str | None = None,
    **params: Any,
) -> None:
    """Record a notice for the parent and e-mail it once if they gave an address.

    The notice keeps the Finnish title (the page shows the title in its own language); the
    e-mail names the series in the language the parent enrolled in, where it was given.
    """
    params = {"series": enrolment.series.title, **params}
    db.add(NoticeRow(enrolment_id=enrolment.id, kind=kind.value, params=params, created_at=now))
    if not enrolment.email:
        return
    t = Translator(enrolment.language, org.zone)  # type: ignore[arg-type]
    title = localised(enrolment.series.title_texts, enrolment.language).text
    text = notice_text(t, kind, {**params, "series": title})
    body = mail_body(t, enrolment.pseudonym, text, link, org.name)
    subject = t.gettext(SUBJECT, series=title)
    key = f"notice:{enrolment.id}:{kind.value}:{now.isoformat()}"
    mail = Mail(enrolment.email, subject, body, f"notice.{kind.value}", enrolment.language)
    await enqueue(db, org.mail_key, key, mail, now)
