"""One-time password reset links a coordinator issues for a staff member who forgot theirs.

The link holds a random id of 256 bits; the row keeps its SHA-256 and when it stops working, 24
hours after it was made, so a copy of the database resets nobody's password. A staff member has at
most one live link: a new one replaces the old. Using it sets the new password, deletes the row
(a link works once) and ends every session of that person, closing their room sockets: whoever
had their old password or a signed-in browser is out. Two-factor authentication stays as it was,
so the reset link alone does not sign anyone in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.people import passwords, staff_sessions
from server.people.password_policy import refuse_weak
from server.people.security_log import SecurityEvent, record
from server.people.session_rules import MAX_TOKEN_LENGTH, new_token, token_hash
from server.storage.tables import StaffPasswordResetRow, StaffRow

VALID_FOR = timedelta(hours=24)


async def issue(
    db: AsyncSession, staff_id: int, by: int | None, now: datetime
) -> tuple[StaffRow, str]:
    """A new reset link's id for an active staff member (the only copy of it: show it once),
    replacing any earlier link. Raises NOT_FOUND for an unknown or deactivated account."""
    staff = await db.get(StaffRow, staff_id)
    if staff is None or not staff.active:
        raise TupaError(ErrorCode.NOT_FOUND)
    await withdraw(db, staff_id)
    token = new_token()
    db.add(
        StaffPasswordResetRow(
            staff_id=staff_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    )
    record(db, staff_id, SecurityEvent.RESET_LINK_ISSUED, now, by=by)
    await db.flush()
    return staff, token


async def _live(
    db: AsyncSession, token: str | None, now: datetime, *, lock: bool = False
) -> tuple[StaffPasswordResetRow, StaffRow] | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = select(StaffPasswordResetRow).where(
        StaffPasswordResetRow.token_hash == token_hash(token)
    )
    row = await db.scalar(query.with_for_update() if lock else query)
    if row is None or row.expires_at <= now:
        return None
    staff = await db.get(StaffRow, row.staff_id)
    if staff is None or not staff.active:
        return None
    return row, staff


async def staff_for(db: AsyncSession, token: str | None, now: datetime) -> StaffRow | None:
    """Whose password this link would reset, while it still works; else None."""
    found = await _live(db, token, now)
    return None if found is None else found[1]


async def use(
    db: AsyncSession, token: str | None, new: str, repeated: str, now: datetime
) -> StaffRow:
    """Set the new password through a live link and end all the person's sessions. Raises
    RESET_LINK_INVALID (used, replaced, expired, unknown, or the account deactivated),
    PASSWORDS_DIFFER, or INVALID_INPUT / PASSWORD_TOO_COMMON; a refused password leaves the link
    working."""
    found = await _live(db, token, now, lock=True)
    if found is None:
        raise TupaError(ErrorCode.RESET_LINK_INVALID)
    row, staff = found
    if new != repeated:
        raise TupaError(ErrorCode.PASSWORDS_DIFFER)
    refuse_weak(new, email=staff.email or staff.login_name or "", real_name=staff.real_name)
    staff.password_hash = passwords.hash_password(new)
    await db.delete(row)
    await staff_sessions.end_all(db, staff.id)
    record(db, staff.id, SecurityEvent.PASSWORD_RESET, now)
    await db.flush()
    return staff


async def withdraw(db: AsyncSession, staff_id: int) -> None:
    """End a staff member's live link, if any (a newer one replaces it; deactivation ends it, so
    reactivating the account does not bring it back)."""
    await db.execute(
        delete(StaffPasswordResetRow).where(StaffPasswordResetRow.staff_id == staff_id)
    )


async def delete_expired(db: AsyncSession, now: datetime) -> None:
    """Delete the rows of links that no longer work (the background pass)."""
    await db.execute(delete(StaffPasswordResetRow).where(StaffPasswordResetRow.expires_at <= now))
