"""The mail that brings a staff member the password reset link a coordinator made for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_, Translator
from server.notify.outbox import Mail, enqueue
from server.organisation import Organisation
from server.settings import Language

RESET_SUBJECT = N_("A link for setting a new password in Tupa")
RESET_BODY = N_(
    "Hello %(name)s,\n\na coordinator of %(organisation)s made you a link for setting a new"
    " password in Tupa. It works once, within 24 hours:\n\n%(link)s\n\nSetting the new password"
    " ends every session where you are signed in. If you did not ask for this, tell a"
    " coordinator.\n\nBest regards, %(organisation)s"
)


async def queue_reset_link(
    db: AsyncSession,
    org: Organisation,
    staff_id: int,
    recipient: str,
    name: str,
    link: str,
    language: Language,
    now: datetime,
) -> None:
    """Queue the reset link for ``recipient``, sealed like every queued mail and deleted once
    sent; the log and the outbox listing show only that a ``password_reset`` mail was queued."""
    t = Translator(language, org.zone)
    mail = Mail(
        recipient,
        t.gettext(RESET_SUBJECT),
        t.gettext(RESET_BODY, name=name, organisation=org.name, link=link),
        "password_reset",
        language,
    )
    # Each link its own key: a second link the same day is mailed too.
    await enqueue(db, org.mail_key, f"password_reset:{staff_id}:{now.isoformat()}", mail, now)
