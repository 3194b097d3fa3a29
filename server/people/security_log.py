"""The security log: what happened to each staff account's access, for coordinators to read.

A line says what happened, when, who did it when that was someone else (a coordinator who
deactivated the account or made a reset link; none from the command line) and, for a login, the
coarse browser name the session list shows too. It never holds a password, a code, a token or an
IP address: a failed login for an account is one line with a time, and a failure for an address
that is no account is not written at all. Lines older than ``TUPA_SECURITY_LOG_DAYS`` are deleted
by the background pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.errors import ErrorCode, TupaError
from server.storage.tables import StaffRow, StaffSecurityEventRow

PAGE = 200  # the most recent lines a coordinator sees at once


class SecurityEvent(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"  # a wrong password for this account
    CODE_FAILED = "code_failed"  # a wrong or reused two-factor code
    LOGOUT = "logout"
    SESSION_ENDED = "session_ended"  # one session ended from the security page
    ALL_SESSIONS_ENDED = "all_sessions_ended"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event name
    RESET_LINK_ISSUED = "reset_link_issued"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an event: a reset link was used
    DEACTIVATED = "deactivated"
    ACTIVATED = "activated"
    TWO_FACTOR_ON = "two_factor_on"
    TWO_FACTOR_OFF = "two_factor_off"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_NEW = "recovery_codes_new"


# A line written by a later Tupa and read by an earlier one (a rollback) is left out, not a 500.
KNOWN = frozenset(event.value for event in SecurityEvent)


def record(
    db: AsyncSession,
    staff_id: int,
    event: SecurityEvent,
    now: datetime,
    *,
    by: int | None = None,
    browser: str | None = None,
) -> None:
    """Add a line, written with the caller's unit of work (a refused login's line too: the route
    answers the refusal, so the transaction commits)."""
    db.add(
        StaffSecurityEventRow(
            staff_id=staff_id,
            at=now,
            kind=event.value,
            by_staff_id=by if by != staff_id else None,
            browser=browser[:60] if browser else None,
        )
    )


@dataclass(frozen=True)
class SecurityLine:
    """A line as a coordinator reads it: ``by`` is the real name of whoever else did it."""

    at: datetime
    event: SecurityEvent
    by: str | None
    browser: str | None


async def log_of(db: AsyncSession, staff_id: int) -> tuple[StaffRow, list[SecurityLine]]:
    """A staff member (active or not) and their most recent lines, newest first. Raises
    NOT_FOUND."""
    staff = await db.get(StaffRow, staff_id)
    if staff is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    await db.flush()
    by = aliased(StaffRow)
    found = await db.execute(
        select(StaffSecurityEventRow, by.real_name)
        .outerjoin(by, by.id == StaffSecurityEventRow.by_staff_id)
        .where(StaffSecurityEventRow.staff_id == staff_id)
        .order_by(StaffSecurityEventRow.at.desc(), StaffSecurityEventRow.id.desc())
        .limit(PAGE)
    )
    lines = [
        SecurityLine(row.at, SecurityEvent(row.kind), name, row.browser)
        for row, name in found
        if row.kind in KNOWN
    ]
    return staff, lines


async def delete_older_than(db: AsyncSession, now: datetime, keep_for: timedelta) -> int:
    """Delete the lines older than ``keep_for`` (the background pass). Returns how many."""
    result = await db.execute(
        delete(StaffSecurityEventRow).where(StaffSecurityEventRow.at < now - keep_for)
    )
    return int(getattr(result, "rowcount", 0) or 0)
