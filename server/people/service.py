"""Staff accounts: creation, the password check of a login, the staff pickers.

An account logs in with its e-mail address or, if it has one instead, its login name
(``server.people.login_names``); every account has at least one of the two.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.bidi import has_direction_controls
from server.errors import ErrorCode, TupaError
from server.people import passwords
from server.people.login_names import clean_login_name, is_email, login_key
from server.people.password_policy import refuse_weak
from server.people.roles import Role, public_name
from server.people.security_log import SecurityEvent, record
from server.storage.tables import StaffRow


@dataclass(frozen=True)
class NewStaff:
    """``email`` may be None when ``login_name`` is given: the account then logs in by name."""

    email: str | None
    real_name: str
    role: Role
    password: str
    alias: str | None = None
    login_name: str | None = None


async def create_staff(db: AsyncSession, new: NewStaff, now: datetime) -> StaffRow:
    """Create a staff account. Raises INVALID_INPUT (field set), PASSWORD_TOO_COMMON,
    EMAIL_TAKEN or LOGIN_NAME_TAKEN."""
    email = None if new.email is None else new.email.strip().lower()
    if email is None and new.login_name is None:
        raise TupaError(ErrorCode.INVALID_INPUT, field="login")
    if email is not None and (not 3 <= len(email) <= 254 or "@" not in email):
        raise TupaError(ErrorCode.INVALID_INPUT, field="email")
    login_name = None if new.login_name is None else clean_login_name(new.login_name)
    real_name = " ".join(new.real_name.split())
    if not 1 <= len(real_name) <= 120 or not _showable(real_name):
        raise TupaError(ErrorCode.INVALID_INPUT, field="real_name")
    alias = " ".join((new.alias or "").split()) or None
    if alias is not None and (not 2 <= len(alias) <= 60 or not _showable(alias)):
        raise TupaError(ErrorCode.INVALID_INPUT, field="alias")
    if new.role is Role.VOLUNTEER and alias is None:
        raise TupaError(ErrorCode.INVALID_INPUT, field="alias")
    refuse_weak(new.password, email=email or login_name or "", real_name=real_name)
    if email is not None and await db.scalar(select(func.count()).where(StaffRow.email == email)):
        raise TupaError(ErrorCode.EMAIL_TAKEN)
    key = None if login_name is None else login_key(login_name)
    if key is not None and await db.scalar(select(func.count()).where(StaffRow.login_key == key)):
        raise TupaError(ErrorCode.LOGIN_NAME_TAKEN)
    row = StaffRow(
        email=email,
        login_name=login_name,
        login_key=key,
        real_name=real_name,
        alias=alias,
        role=new.role.value,
        password_hash=passwords.hash_password(new.password),
        created_at=now,
    )
    db.add(row)
    try:
        await db.flush()
    except IntegrityError as exc:
        # Another transaction made the same account since the checks above and committed
        # first: the unique index decided. (Not in a savepoint: on SQLite, before any write, a
        # savepoint is the outermost transaction and releasing it would commit the account.)
        taken = "login_key" in str(exc.orig)
        raise TupaError(ErrorCode.LOGIN_NAME_TAKEN if taken else ErrorCode.EMAIL_TAKEN) from exc
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


def login_of(staff: StaffRow) -> str:
    """What this account types in the login field (and what its failures are counted under)."""
    return staff.email or staff.login_name or ""


async def check_password(db: AsyncSession, login: str, password: str, now: datetime) -> StaffRow:
    """The active staff member with these credentials (``login``: an e-mail address or a login
    name); LOGIN_FAILED otherwise (and a line in the
    security log of the account, if the address is one; its owner can see that someone tried).

    An unknown address, a wrong password and a deactivated account get the same answer after one
    Argon2 verification each (against a dummy hash for an unknown address), so neither the answer
    nor its time says which addresses are staff. Failures are counted by the login throttle
    (``server.web.throttling``), never on the account: no one can lock a staff member out.
    """
    if is_email(login):
        found = select(StaffRow).where(StaffRow.email == login.strip().lower())
    else:
        found = select(StaffRow).where(StaffRow.login_key == login_key(login))
    staff = await db.scalar(found)
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
