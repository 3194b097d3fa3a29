"""A staff member changes their own password: the current one first, then all their other
sessions end (a browser left signed in elsewhere, or someone who learnt the old password, is out),
and the one they changed it in goes on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.people import passwords, staff_sessions
from server.people.password_policy import refuse_weak
from server.people.security_log import SecurityEvent, record
from server.storage.tables import StaffRow


async def change_password(
    db: AsyncSession,
    staff: StaffRow,
    current: str,
    new: str,
    repeated: str,
    keep_session_id: int,
    now: datetime,
) -> int:
    """Set ``new`` as the password of ``staff``. Raises LOGIN_FAILED for a wrong current password
    (checked first, so the throttle counts it whatever else is wrong), PASSWORDS_DIFFER, and
    INVALID_INPUT or PASSWORD_TOO_COMMON for a new password that will not do. Returns how many
    other sessions ended."""
    if not passwords.verify_password(staff.password_hash, current):
        raise TupaError(ErrorCode.LOGIN_FAILED)
    if new != repeated:
        raise TupaError(ErrorCode.PASSWORDS_DIFFER)
    refuse_weak(new, email=staff.email or staff.login_name or "", real_name=staff.real_name)
    staff.password_hash = passwords.hash_password(new)
    ended = await staff_sessions.end_all(db, staff.id, keep=keep_session_id)
    record(db, staff.id, SecurityEvent.PASSWORD_CHANGED, now)
    return ended
