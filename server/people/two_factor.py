"""Two-factor authentication of staff: TOTP codes, each usable once, and recovery codes.

A code from the authenticator app is valid for its 30-second step and one step either way (clock
drift); the step of the last accepted code is kept, and a code is refused unless its step is
later, so a code seen over someone's shoulder or replayed from a proxy log opens nothing. The
step is claimed by one conditional update, so two requests with the same code cannot both pass.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.people import passwords, recovery_codes
from server.people.security_log import SecurityEvent, record
from server.storage.tables import StaffRow

TOTP_ISSUER = "Tupa"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def totp_uri(staff: StaffRow, secret: str, issuer: str = TOTP_ISSUER) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=issuer)


def _app_code(code: str) -> str | None:
    """Six digits, spaces allowed between them; None when it is no app code."""
    digits = code.strip().replace(" ", "")
    return digits if digits.isdigit() and len(digits) == 6 else None


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, within the drift allowed; None if none."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _claim_step(db: AsyncSession, staff: StaffRow, step: int) -> bool:
    """Record ``step`` as used unless it or a later one already is; whether this call did."""
    result = await db.execute(
        update(StaffRow)
        .where(
            StaffRow.id == staff.id,
            or_(StaffRow.totp_last_step.is_(None), StaffRow.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return bool(getattr(result, "rowcount", 0))


async def check_code(db: AsyncSession, staff: StaffRow, code: str, now: datetime) -> None:
    """Accept a fresh app code or an unused recovery code; raise TOTP_INVALID otherwise (a wrong
    code, one already used, or a used recovery code)."""
    if staff.totp_secret is None:
        return
    app_code = _app_code(code)
    if app_code is None:
        if await recovery_codes.use(db, staff.id, code):
            record(db, staff.id, SecurityEvent.RECOVERY_CODE_USED, now)
            return
        record(db, staff.id, SecurityEvent.CODE_FAILED, now)
        raise TupaError(ErrorCode.TOTP_INVALID)
    step = _step_of(staff.totp_secret, app_code, now)
    if step is None or not await _claim_step(db, staff, step):
        record(db, staff.id, SecurityEvent.CODE_FAILED, now)
        raise TupaError(ErrorCode.TOTP_INVALID)


async def turn_on(
    db: AsyncSession, staff: StaffRow, secret: str, code: str, now: datetime
) -> list[str]:
    """Turn two-factor on once the staff member proves the app shows the right code (that code
    is then used); the ten recovery codes, to be shown this once."""
    app_code = _app_code(code)
    step = None if app_code is None else _step_of(secret, app_code, now)
    if step is None:
        raise TupaError(ErrorCode.TOTP_INVALID)
    staff.totp_secret = secret
    staff.totp_last_step = step
    record(db, staff.id, SecurityEvent.TWO_FACTOR_ON, now)
    return await recovery_codes.make_anew(db, staff.id)


def _check_password(staff: StaffRow, password: str) -> None:
    if not passwords.verify_password(staff.password_hash, password):
        raise TupaError(ErrorCode.LOGIN_FAILED)


async def turn_off(db: AsyncSession, staff: StaffRow, password: str, now: datetime) -> None:
    """Turn two-factor off; the password is asked again so a left-open session cannot do it.
    Raises LOGIN_FAILED."""
    _check_password(staff, password)
    record(db, staff.id, SecurityEvent.TWO_FACTOR_OFF, now)
    staff.totp_secret = None
    staff.totp_last_step = None
    await recovery_codes.forget(db, staff.id)


async def new_recovery_codes(
    db: AsyncSession, staff: StaffRow, password: str, now: datetime
) -> list[str]:
    """Ten recovery codes in place of the old ones, for the password (as turning off asks it).
    Raises LOGIN_FAILED."""
    _check_password(staff, password)
    record(db, staff.id, SecurityEvent.RECOVERY_CODES_NEW, now)
    return await recovery_codes.make_anew(db, staff.id)
