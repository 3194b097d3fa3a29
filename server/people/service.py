"""Staff accounts: creation, login with lockout, and optional TOTP two-factor authentication."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.bidi import has_direction_controls
from server.errors import ErrorCode, TupaError
from server.people import passwords
from server.people.lockout import LockoutPolicy
from server.people.roles import Role, public_name
from server.storage.tables import StaffRow

TOTP_ISSUER = "Tupa"


@dataclass(frozen=True)
class NewStaff:
    email: str
    real_name: str
    role: Role
    password: str
    alias: str | None = None


async def create_staff(db: AsyncSession, new: NewStaff, now: datetime) -> StaffRow:
    """Create a staff account. Raises INVALID_INPUT (field set) or EMAIL_TAKEN."""
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
    if not passwords.MIN_LENGTH <= len(new.password) <= passwords.MAX_LENGTH:
        raise TupaError(ErrorCode.INVALID_INPUT, field="password")
    taken = await db.scalar(select(func.count()).where(StaffRow.email == email))
    if taken:
        raise TupaError(ErrorCode.EMAIL_TAKEN)
    row = StaffRow(
        email=email,
        real_name=real_name,
        alias=alias,
        role=new.role.value,
        password_hash=passwords.hash_password(new.password),
        failed_logins=0,
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


async def check_password(
    db: AsyncSession, email: str, password: str, now: datetime, policy: LockoutPolicy
) -> StaffRow:
    """The active staff member with these credentials.

    Raises ACCOUNT_LOCKED while the account is locked (even for the right password, so guessing
    cannot continue during a lock) and LOGIN_FAILED otherwise; ``failures`` tells the caller how
    long to wait before answering. Each failure is committed by the caller's unit of work.
    """
    staff = await db.scalar(
        select(StaffRow).where(StaffRow.email == email.strip().lower()).with_for_update()
    )
    if staff is not None and policy.is_locked(staff.locked_until, now):
        raise TupaError(ErrorCode.ACCOUNT_LOCKED, until=staff.locked_until)
    ok = passwords.verify_password(staff.password_hash if staff else None, password)
    if staff is None or not staff.active:
        raise TupaError(ErrorCode.LOGIN_FAILED, failures=1)
    if not ok:
        raise _record_failure(staff, now, policy)
    return staff


def check_totp(staff: StaffRow, code: str, now: datetime, policy: LockoutPolicy) -> None:
    """Accept a current TOTP code (one step of clock drift either way) or count a failure."""
    if staff.totp_secret is None:
        return
    if policy.is_locked(staff.locked_until, now):
        raise TupaError(ErrorCode.ACCOUNT_LOCKED, until=staff.locked_until)
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise _record_failure(staff, now, policy, ErrorCode.TOTP_INVALID)
    if not pyotp.TOTP(staff.totp_secret).verify(code, for_time=now, valid_window=1):
        raise _record_failure(staff, now, policy, ErrorCode.TOTP_INVALID)


def record_success(staff: StaffRow) -> None:
    staff.failed_logins = 0
    staff.locked_until = None


def _record_failure(
    staff: StaffRow, now: datetime, policy: LockoutPolicy, code: ErrorCode = ErrorCode.LOGIN_FAILED
) -> TupaError:
    failures = staff.failed_logins + 1
    staff.failed_logins, staff.locked_until = policy.after_failure(staff.failed_logins, now)
    if staff.locked_until is not None:
        return TupaError(ErrorCode.ACCOUNT_LOCKED, until=staff.locked_until, failures=failures)
    return TupaError(code, failures=failures)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(staff: StaffRow, secret: str, issuer: str = TOTP_ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=issuer)


def enable_totp(staff: StaffRow, secret: str, code: str, now: datetime) -> None:
    """Turn two-factor on once the staff member proves the app shows the right code."""
    code = code.strip().replace(" ", "")
    if not pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1):
        raise TupaError(ErrorCode.TOTP_INVALID)
    staff.totp_secret = secret


def disable_totp(staff: StaffRow, password: str) -> None:
    """Turn two-factor off; the password is asked again so a left-open session cannot do it."""
    if not passwords.verify_password(staff.password_hash, password):
        raise TupaError(ErrorCode.LOGIN_FAILED)
    staff.totp_secret = None


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
