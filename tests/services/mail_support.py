"""Mail waiting in the outbox, opened with the organisation's key: for tests that check what a
parent or a coordinator would be sent."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.notify.mail import Mail
from server.notify.sealing import unseal
from server.organisation import Organisation
from server.storage.tables import OutboxRow


async def queued(db: AsyncSession, org: Organisation, dedupe_like: str = "%") -> list[Mail]:
    """Every queued mail whose content is still kept and whose dedupe key is like the pattern."""
    rows = await db.execute(
        select(OutboxRow.sealed, OutboxRow.template, OutboxRow.language)
        .where(OutboxRow.dedupe_key.like(dedupe_like), OutboxRow.sealed.is_not(None))
        .order_by(OutboxRow.id)
    )
    return [unseal(org.mail_key, r.sealed, r.template, r.language) for r in rows]
