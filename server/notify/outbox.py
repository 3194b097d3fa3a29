"""The e-mail outbox: enqueue idempotently, dispatch each message exactly once across instances,
and keep a message readable only until it is sent.

Enqueueing is an insert keyed by ``dedupe_key``: two instances that decide at the same moment to
send the same reminder insert one row. Dispatching claims a row with a conditional UPDATE
(``claimed_at`` empty or older than the lease); the database lets exactly one instance see its
UPDATE affect the row, on PostgreSQL and on SQLite alike. A message is marked sent after the mailer
returns; if an instance dies between the two, the lease expires and the message is sent again —
at least once, never twice while instances are alive.

A message's recipient, subject and body (which may hold a personal link) are stored sealed
(``sealing``) and deleted once it is sent, or given up: the row keeps its dedupe key, template,
language and times, which is what dedupe and the operator need. Without an SMTP server nothing
dispatches: mail waits, sealed, for ``tupa outbox`` (``waiting``) until it expires.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.logs import redact
from server.notify.mail import Mail, Mailer
from server.notify.sealing import LEGACY, UnreadableMail, seal, unseal
from server.storage.db import Database
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import OutboxRow

__all__ = ["Mail", "Mailer", "OutboxDispatcher", "discard_waiting_for", "enqueue", "tidy"]

log = logging.getLogger("tupa.mail")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 50
# Mail not sent this long after it was due is deleted unsent: a reminder a week late helps nobody,
# and a waiting message is a personal link and an address kept for no one.
EXPIRES_AFTER = timedelta(days=7)
UNREADABLE = "unreadable: sealed under another secret key; deleted unsent"


async def enqueue(
    db: AsyncSession,
    mail_key: bytes,
    dedupe_key: str,
    mail: Mail,
    now: datetime,
    send_after: datetime | None = None,
) -> None:
    """Queue ``mail``, sealed with ``mail_key``, unless a message with ``dedupe_key`` was queued
    before. The log says only which template was queued."""
    inserted = await insert_unless_exists(
        db,
        OutboxRow,
        ["dedupe_key"],
        dedupe_key=dedupe_key,
        template=mail.template[:40],
        language=mail.language[:5],
        sealed=seal(mail_key, mail),
        created_at=now,
        send_after=send_after or now,
        attempts=0,
    )
    if inserted:
        log.info("mail queued: %s", mail.template)


async def tidy(db: AsyncSession, mail_key: bytes, now: datetime) -> None:
    """Seal rows queued before sealing existed; delete the content of mail given up on."""
    legacy = await db.execute(
        select(OutboxRow.id, OutboxRow.sealed, OutboxRow.template, OutboxRow.language).where(
            OutboxRow.sealed.startswith(LEGACY)
        )
    )
    for row in legacy:
        try:
            mail = unseal(mail_key, row.sealed, row.template, row.language)
        except UnreadableMail:
            await _drop(db, row.id, UNREADABLE)
            continue
        await db.execute(
            update(OutboxRow).where(OutboxRow.id == row.id).values(sealed=seal(mail_key, mail))
        )
    waiting = and_(OutboxRow.sent_at.is_(None), OutboxRow.sealed.is_not(None))
    await db.execute(
        update(OutboxRow)
        .where(waiting, OutboxRow.send_after < now - EXPIRES_AFTER)
        .values(sealed=None, last_error="expired: not sent within 7 days of being due")
    )
    await db.execute(
        update(OutboxRow)
        .where(waiting, OutboxRow.attempts >= MAX_ATTEMPTS)
        .values(sealed=None)  # last_error keeps why the last attempt failed
    )


def _enrolment_of(dedupe_key: str) -> int | None:
    """The enrolment a parent's mail was queued for, from the dedupe keys ``notices.tell``
    (``notice:<enrolment>:…``) and the reminders (``reminder:<session>:<enrolment>:…``) make."""
    parts = dedupe_key.split(":")
    index = {"notice": 1, "reminder": 2}.get(parts[0])
    if index is None or len(parts) <= index or not parts[index].isdigit():
        return None
    return int(parts[index])


async def discard_waiting_for(db: AsyncSession, enrolment_ids: list[int]) -> int:
    """Delete unsent the mail waiting for these enrolments (their personal data is being
    forgotten or erased: their address must not stay behind in the outbox). Returns how many."""
    wanted = set(enrolment_ids)
    if not wanted:
        return 0
    rows = await db.execute(
        select(OutboxRow.id, OutboxRow.dedupe_key).where(
            OutboxRow.sent_at.is_(None),
            OutboxRow.sealed.is_not(None),
            or_(
                OutboxRow.dedupe_key.startswith("notice:"),
                OutboxRow.dedupe_key.startswith("reminder:"),
            ),
        )
    )
    ids = [row.id for row in rows if _enrolment_of(row.dedupe_key) in wanted]
    for outbox_id in ids:
        await _drop(db, outbox_id, "deleted unsent: the person's data was deleted")
    return len(ids)


async def _drop(db: AsyncSession, outbox_id: int, reason: str) -> None:
    await db.execute(
        update(OutboxRow).where(OutboxRow.id == outbox_id).values(sealed=None, last_error=reason)
    )


class OutboxDispatcher:
    """Sends due outbox messages; safe to run in every instance at once."""

    def __init__(
        self, database: Database, mailer: Mailer, instance_id: str, mail_key: bytes
    ) -> None:
        self.database = database
        self.mailer = mailer
        self.instance_id = instance_id
        self.mail_key = mail_key

    async def dispatch_due(self, now: datetime) -> int:
        """Send what is due now; returns how many messages this instance sent."""
        async with self.database.unit_of_work() as db:
            candidates = list(
                await db.scalars(
                    select(OutboxRow.id)
                    .where(
                        OutboxRow.sent_at.is_(None),
                        OutboxRow.sealed.is_not(None),
                        OutboxRow.send_after <= now,
                        OutboxRow.attempts < MAX_ATTEMPTS,
                        or_(OutboxRow.claimed_at.is_(None), OutboxRow.claimed_at < now - LEASE),
                    )
                    .order_by(OutboxRow.id)
                    .limit(BATCH)
                )
            )
        sent = 0
        for outbox_id in candidates:
            mail = await self._claim(outbox_id, now)
            if mail is None:
                continue  # another instance has it, or it could not be read
            try:
                await self.mailer.send(mail)
            except Exception as exc:  # any transport failure: retry after the lease
                # The type only: an SMTP refusal quotes the address it refused.
                log.warning(
                    "mail %s (%s) not sent: %s", outbox_id, mail.template, type(exc).__name__
                )
                await self._record_failure(outbox_id, exc)
                continue
            await self._mark_sent(outbox_id, now)
            log.info("mail sent: %s", mail.template)
            sent += 1
        return sent

    async def _claim(self, outbox_id: int, now: datetime) -> Mail | None:
        async with self.database.unit_of_work() as db:
            result = await db.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == outbox_id,
                    OutboxRow.sent_at.is_(None),
                    OutboxRow.sealed.is_not(None),
                    or_(OutboxRow.claimed_at.is_(None), OutboxRow.claimed_at < now - LEASE),
                )
                .values(
                    claimed_by=self.instance_id, claimed_at=now, attempts=OutboxRow.attempts + 1
                )
                .returning(OutboxRow.sealed, OutboxRow.template, OutboxRow.language)
            )
            row = result.first()
            if row is None:
                return None
            try:
                return unseal(self.mail_key, row.sealed, row.template, row.language)
            except UnreadableMail:
                log.warning("mail %s (%s) deleted unsent: %s", outbox_id, row.template, UNREADABLE)
                await _drop(db, outbox_id, UNREADABLE)
                return None

    async def _mark_sent(self, outbox_id: int, now: datetime) -> None:
        """Sent: the content goes, the dedupe key and the times stay."""
        async with self.database.unit_of_work() as db:
            await db.execute(
                update(OutboxRow).where(OutboxRow.id == outbox_id).values(sent_at=now, sealed=None)
            )

    async def _record_failure(self, outbox_id: int, error: Exception) -> None:
        reason = f"{type(error).__name__}: {redact(str(error))}"
        async with self.database.unit_of_work() as db:
            await db.execute(
                update(OutboxRow).where(OutboxRow.id == outbox_id).values(last_error=reason[:500])
            )
