"""The e-mail outbox: enqueue idempotently, dispatch each message exactly once across instances.

Enqueueing is an insert keyed by ``dedupe_key``: two instances that decide at the same moment to
send the same reminder insert one row. Dispatching claims a row with a conditional UPDATE
(``claimed_at`` empty or older than the lease); the database lets exactly one instance see its
UPDATE affect the row, on PostgreSQL and on SQLite alike. A message is marked sent after the mailer
returns; if an instance dies between the two, the lease expires and the message is sent again —
at least once, never twice while instances are alive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.db import Database
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import OutboxRow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 50


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


async def enqueue(
    db: AsyncSession, dedupe_key: str, mail: Mail, now: datetime, send_after: datetime | None = None
) -> None:
    """Queue ``mail`` unless a message with ``dedupe_key`` was queued before."""
    await insert_unless_exists(
        db,
        OutboxRow,
        ["dedupe_key"],
        dedupe_key=dedupe_key,
        recipient=mail.recipient,
        subject=mail.subject[:200],
        body=mail.body,
        created_at=now,
        send_after=send_after or now,
        attempts=0,
    )


class OutboxDispatcher:
    """Sends due outbox messages; safe to run in every instance at once."""

    def __init__(self, database: Database, mailer: Mailer, instance_id: str) -> None:
        self.database = database
        self.mailer = mailer
        self.instance_id = instance_id

    async def dispatch_due(self, now: datetime) -> int:
        """Send what is due now; returns how many messages this instance sent."""
        async with self.database.unit_of_work() as db:
            candidates = list(
                await db.scalars(
                    select(OutboxRow.id)
                    .where(
                        OutboxRow.sent_at.is_(None),
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
                continue  # another instance has it
            try:
                await self.mailer.send(mail)
            except Exception as exc:  # any transport failure: retry after the lease
                log.warning("sending outbox message %s failed: %s", outbox_id, exc)
                await self._record_failure(outbox_id, str(exc))
                continue
            await self._mark_sent(outbox_id, now)
            sent += 1
        return sent

    async def _claim(self, outbox_id: int, now: datetime) -> Mail | None:
        async with self.database.unit_of_work() as db:
            result = await db.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == outbox_id,
                    OutboxRow.sent_at.is_(None),
                    or_(OutboxRow.claimed_at.is_(None), OutboxRow.claimed_at < now - LEASE),
                )
                .values(
                    claimed_by=self.instance_id, claimed_at=now, attempts=OutboxRow.attempts + 1
                )
                .returning(OutboxRow.recipient, OutboxRow.subject, OutboxRow.body)
            )
            row = result.first()
        return Mail(row.recipient, row.subject, row.body) if row else None

    async def _mark_sent(self, outbox_id: int, now: datetime) -> None:
        async with self.database.unit_of_work() as db:
            await db.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(sent_at=now))

    async def _record_failure(self, outbox_id: int, error: str) -> None:
        async with self.database.unit_of_work() as db:
            await db.execute(
                update(OutboxRow).where(OutboxRow.id == outbox_id).values(last_error=error[:500])
            )
