"""The facilitators of a series told by e-mail when a parent books, moves or cancels an
individual time: they meet the parent alone, so they must know without watching the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_, Translator
from server.localised import localised
from server.notify.outbox import Mail, enqueue
from server.organisation import Organisation
from server.people.roles import Role
from server.storage.tables import SeriesRow

BOOKED = N_("%(name)s booked an individual session on %(start)s.")
MOVED = N_("%(name)s moved their individual session from %(old_start)s to %(new_start)s.")
CANCELLED = N_("%(name)s cancelled their individual session on %(start)s.")
SUBJECT = N_("%(series)s: individual sessions")
BODY = N_(
    "Hello %(staff)s,\n\n%(what)s\n\nThe individual sessions of the series: %(link)s\n\n"
    "Best regards, %(organisation)s"
)


async def tell_facilitators(
    db: AsyncSession,
    org: Organisation,
    series: SeriesRow,
    what: str,
    language: str,
    now: datetime,
    **params: Any,
) -> None:
    """Queue one mail to each active facilitator of the series; ``what`` is BOOKED, MOVED or
    CANCELLED, its instants (keys ending in ``start``) given in UTC and shown in Helsinki time.
    The mail names the parent by pseudonym only, sealed in the outbox like every mail."""
    t = Translator(language, org.zone)  # type: ignore[arg-type]
    shown = {
        key: t.datetime(value, "long") if key.endswith("start") else value
        for key, value in params.items()
    }
    title = localised(series.title_texts, language).text
    for assigned in series.staff:
        staff = assigned.member
        if staff.role != Role.FACILITATOR.value or not staff.active or staff.email is None:
            continue  # an account with a login name only is told on its pages, not by mail
        mail = Mail(
            staff.email,
            t.gettext(SUBJECT, series=title),
            t.gettext(
                BODY,
                staff=staff.real_name,
                what=t.gettext(what, **shown),
                link=org.url(f"/staff/series/{series.id}/individual"),
                organisation=org.name,
            ),
            "individual_booking",
            language,
        )
        key = f"individual:{series.id}:{staff.id}:{now.isoformat()}"
        await enqueue(db, org.mail_key, key, mail, now)
