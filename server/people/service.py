"""Staff accounts: creation, the password check of a login, the staff pickers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.bidi import has_direction_controls
from server.errors import ErrorCode, TupaError
from server.people import passwords
from server.people.password_policy import refuse_weak
from server.people.roles import Role, public_name
from server.people.security_log import SecurityEvent, record
from server.storage.tables import StaffRow


@dataclass(frozen=True)
class NewStaff:
    email: str
    real_name: str
    role: Role
    password: str
    alias: str | None = None


async def create_staff(db: AsyncSession, new: NewStaff, now: datetime) -> StaffRow:
    """Create a staff account. Raises INVALID_INPUT (field set), PASSWORD_TOO_COMMON or
    EMAIL_TAKEN."""
    email = new.email.strip().lower()
    if not 3 <= len(email) <= 254 or "@" not in email:
        raise TupaError(ErrorCode.INVALID_INPUT, field="email")
    real_name = " ".join(new.real_name.split())
    if not 1 <= len(real_name) <= 120 or not _showable(real_name):
        raise TupaError(ErrorCode.INVALID_INPUT, field="real_name")
    alias = " ".join((new.alias or "").split()) or None
    if alias is not None and (not 2 <= len(alias) <= 60 or not _showable(alias)):
        raise TupaError(ErrorCode.INVALID_INPUT, field="alias")
    if new.role is Role.VOLUNTEER and alias is None:
        raise TupaError(ErrorCode.INVALID_INPUT, field="alias")
    refuse_weak(new.password, email=email, real_name=real_name)
    taken = await db.scalar(select(func.count()).where(StaffRow.email == email))
    if taken:
        raise TupaError(ErrorCode.EMAIL_TAKEN)
    row = StaffRow(
        email=email,
        real_name=real_name,
        alias=alias,
        role=new.role.value,
        password_hash=passwords.hash_password(new.password),
        created_at=now,
    )
    db.add(row)
    await db.flush()
    return row


def _showable(name: str) -> bool:
    """A name is shown inside other text (the room, pages, mails): no control characters, lone
    surrogates or text-direction controls, which could hide it or reverse the words around it."""
    if has_direction_controls(name):
        return False
    return not any(unicodedata.category(char) in ("Cc", "Cs") for char in name)


def shown_name(staff: StaffRow) -> str:
    """The name participants see for this staff member (a volunteer's alias, never a real name)."""
    return public_name(Role(staff.role), staff.real_name, staff.alias)


async def check_password(db: AsyncSession, email: str, password: str, now: datetime) -> StaffRow:
    """The active staff member with these credentials; LOGIN_FAILED otherwise (and a line in the
    security log of the account, if the address is one; its owner can see that someone tried).

    An unknown address, a wrong password and a deactivated account get the same answer after one
    Argon2 verification each (against a dummy hash for an unknown address), so neither the answer
    nor its time says which addresses are staff. Failures are counted by the login throttle
    (``server.web.throttling``), never on the account: no one can lock a staff member out.
    """
    staff = await db.scalar(select(StaffRow).where(StaffRow.email == email.strip().lower()))
    ok = passwords.verify_password(staff.password_hash if staff else None, password)
    if staff is None or not staff.active or not ok:
        if staff is not None:
            record(db, staff.id, SecurityEvent.LOGIN_FAILED, now)
        raise TupaError(ErrorCode.LOGIN_FAILED)
    return staff


async def staff_by_id(db: AsyncSession, staff_id: int) -> StaffRow | None:
    row = await db.get(StaffRow, staff_id)
    return row if row is not None and row.active else None


async def list_staff(db: AsyncSession) -> list[StaffRow]:
    return list(await db.scalars(select(StaffRow).order_by(StaffRow.role, StaffRow.real_name)))


async def assignable_staff(db: AsyncSession) -> list[StaffRow]:
    """Active facilitators and volunteers: whom the staff pickers of a series offer."""
    return list(
        await db.scalars(
            select(StaffRow)
            .where(
                StaffRow.deactivated_at.is_(None),
                StaffRow.role.in_([Role.FACILITATOR.value, Role.VOLUNTEER.value]),
            )
            .order_by(StaffRow.role, StaffRow.real_name)
        )
    )
