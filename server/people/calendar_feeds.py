"""A staff member's private calendar feed: its address is the credential, so only a hash is kept.

The feed is subscribed to by URL from a calendar app, which sends no cookie; whoever has the
address reads the staff member's sessions. The address is shown once, when the staff member makes
it on their security page; the database keeps its SHA-256 (a fast hash is enough for a random
value no one can guess), so a copy of the database subscribes nobody. Making a new address ends
the old one. A new account has no feed until its owner makes one.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import StaffRow

TOKEN_BYTES = 24  # 192 bits, 32 characters in the address
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 64


def feed_path(token: str) -> str:
    """Where the feed of ``token`` is read."""
    return f"/calendar/staff/{token}.ics"


def token_hash(token: str) -> str:
    """What the database keeps of a feed's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def make_feed(staff: StaffRow) -> str:
    """A new feed address for ``staff``, ending any earlier one; returns its token (the only
    copy of it, to be shown once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    staff.calendar_token_hash = token_hash(token)
    return token


def has_feed(staff: StaffRow) -> bool:
    return staff.calendar_token_hash is not None


async def staff_by_feed_token(db: AsyncSession, token: str) -> StaffRow | None:
    """The active staff member whose feed has this token, if any."""
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        return None
    return await db.scalar(
        select(StaffRow).where(
            StaffRow.calendar_token_hash == token_hash(token), StaffRow.deactivated_at.is_(None)
        )
    )
