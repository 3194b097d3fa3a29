"""What waits in the outbox, for the operator's terminal (``tupa outbox``) and never the log.

Without an SMTP server (the embedded default) nothing sends mail: it waits here, sealed, until it
is sent once SMTP is set, deleted by the operator, or expires (``outbox.EXPIRES_AFTER``). The
listing shows no address and no content; opening one message is a deliberate step, so that an
operator can pass a personal link on by hand to the person it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.notify.mail import Mail
from server.notify.sealing import unseal
from server.storage.tables import OutboxRow

WAITING = (OutboxRow.sent_at.is_(None), OutboxRow.sealed.is_not(None))


@dataclass(frozen=True)
class WaitingMail:
    id: int
    template: str
    language: str
    created_at: datetime
    send_after: datetime
    attempts: int
    last_error: str | None


async def waiting_mail(db: AsyncSession) -> list[WaitingMail]:
    """Every message not sent yet whose content is still kept, oldest first."""
    rows = await db.scalars(select(OutboxRow).where(*WAITING).order_by(OutboxRow.id))
    return [
        WaitingMail(
            r.id, r.template, r.language, r.created_at, r.send_after, r.attempts, r.last_error
        )
        for r in rows
    ]


async def open_waiting(db: AsyncSession, mail_key: bytes, outbox_id: int) -> Mail:
    """One waiting message in full; ``not_found`` when it was sent, deleted or never existed.
    Raises ``sealing.UnreadableMail`` when it was sealed under another secret key."""
    row = await db.scalar(select(OutboxRow).where(OutboxRow.id == outbox_id, *WAITING))
    if row is None or row.sealed is None:
        raise TupaError(ErrorCode.NOT_FOUND, outbox_id=outbox_id)
    return unseal(mail_key, row.sealed, row.template, row.language)


async def delete_waiting(db: AsyncSession, outbox_id: int) -> None:
    """Delete a waiting message's content (the operator passed it on by hand, or it is not
    wanted); the row stays, so its dedupe key keeps it from being queued again."""
    result = await db.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, *WAITING)
        .values(sealed=None, last_error="deleted unsent by the operator")
    )
    if not getattr(result, "rowcount", 0):
        raise TupaError(ErrorCode.NOT_FOUND, outbox_id=outbox_id)
