"""Deactivating a staff account who left, and reactivating it; never the last coordinator.

A deactivated account keeps its row, so everything it did stays attributed (series, corrections,
the moderation log's stored names). While ``deactivated_at`` is set, ``staff_by_id`` refuses it:
its sessions are deleted, so its cookies stop opening pages and rooms at the next request, it
cannot log in, its password reset link (if any) stops working for good, and it is left out of
staff pickers. Its open room sockets are closed on every
instance once the change commits (``AccessReason.STAFF_DEACTIVATED``).

A coordinator may deactivate themself while another coordinator stays active: someone who is
leaving can close their own account, and the other coordinator can undo it. The page ends the
signed-in session at once, as it does for anyone else's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.errors import ErrorCode, TupaError
from server.people import password_resets, staff_sessions
from server.people.roles import Role
from server.people.security_log import SecurityEvent, record
from server.storage.db import after_commit
from server.storage.tables import StaffRow


async def deactivate(
    db: AsyncSession, staff_id: int, now: datetime, *, by: int | None = None
) -> StaffRow:
    """Deactivate a staff account (``by``: the coordinator who did, None from the command line).
    Raises NOT_FOUND or LAST_COORDINATOR; an account already deactivated keeps its first time and
    nothing is announced or logged again."""
    staff = await db.get(StaffRow, staff_id, with_for_update=True)
    if staff is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if not staff.active:
        return staff
    if staff.role == Role.COORDINATOR.value and await _active_coordinators(db) <= 1:
        raise TupaError(ErrorCode.LAST_COORDINATOR)
    staff.deactivated_at = now
    # Its sessions end too; the announcement below closes all its room sockets anyway.
    await staff_sessions.end_all(db, staff.id, announce=False)
    await password_resets.withdraw(db, staff.id)
    record(db, staff.id, SecurityEvent.DEACTIVATED, now, by=by)
    await db.flush()
    after_commit(db, AccessChange(AccessReason.STAFF_DEACTIVATED, staff_id=staff.id))
    return staff


async def reactivate(
    db: AsyncSession, staff_id: int, now: datetime, *, by: int | None = None
) -> StaffRow:
    """Give a deactivated account its access back (the same password and two-factor). Raises
    NOT_FOUND; an active account is left as it is, and nothing is logged."""
    staff = await db.get(StaffRow, staff_id, with_for_update=True)
    if staff is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if staff.active:
        return staff
    staff.deactivated_at = None
    record(db, staff.id, SecurityEvent.ACTIVATED, now, by=by)
    await db.flush()
    return staff


async def staff_id_by_email(db: AsyncSession, email: str) -> int:
    """The account with this e-mail address, active or not (for ``tupa staff``). Raises
    NOT_FOUND."""
    staff_id = await db.scalar(select(StaffRow.id).where(StaffRow.email == email.strip().lower()))
    if staff_id is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    return staff_id


async def _active_coordinators(db: AsyncSession) -> int:
    """How many coordinators are active, with their rows locked on PostgreSQL: two coordinators
    deactivating each other at once cannot both pass this check (the second waits, then no longer
    counts the first). SQLite lets one writer in at a time and refuses the second one."""
    rows = await db.scalars(
        select(StaffRow.id)
        .where(StaffRow.role == Role.COORDINATOR.value, StaffRow.deactivated_at.is_(None))
        .with_for_update()
    )
    return len(list(rows))
