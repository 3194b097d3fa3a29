"""Staff sessions kept on the server: starting one at login, finding it from the cookie, ending it.

Ending a session (logout, the security page's list, deactivation) deletes its row, so the same
cookie opens nothing at the next request, and announces ``STAFF_SIGNED_OUT`` after the commit so
that the room sockets this session opened close on every instance. Expiry (idle or absolute, see
``session_rules``) is checked whenever a cookie is used; the background pass deletes expired rows.
An open room socket asks ``still_here`` once a minute: it counts as activity, so a facilitator
who spends a whole session in the room is still signed in after it, and it closes once its
session is past the absolute limit or ended where no hub heard of it (the command line).
A staff page asks ``time_left`` to warn before either limit (WCAG 2.2.1); asking is no activity,
or an open tab would keep its session alive for ever. ``renew`` is the warning's "Continue".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.people.security_log import SecurityEvent, record
from server.people.session_rules import (
    MAX_TOKEN_LENGTH,
    SEEN_RESOLUTION,
    SessionLimits,
    TimeLeft,
    describe_browser,
    expired,
    new_token,
    remaining,
    token_hash,
)
from server.settings import Settings
from server.storage.db import after_commit
from server.storage.tables import StaffRow, StaffSessionRow


def limits_of(settings: Settings) -> SessionLimits:
    """The idle and absolute limits this installation is configured with."""
    return SessionLimits(
        idle=timedelta(minutes=settings.staff_session_idle_minutes),
        absolute=timedelta(hours=settings.staff_session_max_hours),
    )


async def start(
    db: AsyncSession,
    staff: StaffRow,
    now: datetime,
    user_agent: str,
    *,
    instead_of: str | None = None,
    code_due: bool = False,
    next_path: str | None = None,
) -> str:
    """A new session for ``staff``, ending the session of ``instead_of`` (the cookie this browser
    had, so a login never keeps an id seen before it); returns the id for the cookie (the only
    copy of it). With ``code_due`` it only lets the person enter their two-factor code."""
    await forget(db, instead_of)
    token = new_token()
    browser = describe_browser(user_agent)[:60]
    db.add(
        StaffSessionRow(
            staff_id=staff.id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            browser=browser,
            code_due=code_due,
            next_path=next_path[:200] if next_path else None,
        )
    )
    if not code_due:  # signed in: with two-factor, once the code is given
        record(db, staff.id, SecurityEvent.LOGIN, now, browser=browser or None)
    await db.flush()
    return token


async def _by_token(db: AsyncSession, token: str | None) -> StaffSessionRow | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return await db.scalar(
        select(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash(token))
    )


async def _live(
    db: AsyncSession, token: str | None, now: datetime, limits: SessionLimits
) -> StaffSessionRow | None:
    row = await _by_token(db, token)
    if row is None or expired(row.created_at, row.last_seen_at, row.code_due, now, limits):
        return None  # an expired row is left to the background pass
    return row


async def signed_in(
    db: AsyncSession, token: str | None, now: datetime, limits: SessionLimits
) -> tuple[StaffSessionRow, StaffRow] | None:
    """The live session of this cookie and its active staff member, or None. Using it counts as
    activity for the idle limit."""
    row = await _live(db, token, now, limits)
    if row is None or row.code_due:
        return None
    staff = await _used_by_active_staff(db, row, now)
    return (row, staff) if staff is not None else None


async def time_left(
    db: AsyncSession, token: str | None, now: datetime, limits: SessionLimits
) -> TimeLeft | None:
    """How long the signed-in session of this cookie still lasts, or None when there is none.
    Not counted as activity: the warning asks while its person is away from the keyboard."""
    row = await _live(db, token, now, limits)
    if row is None or row.code_due:
        return None
    staff = await db.get(StaffRow, row.staff_id)
    if staff is None or not staff.active:
        return None
    return remaining(row.created_at, row.last_seen_at, now, limits)


async def renew(
    db: AsyncSession, token: str | None, now: datetime, limits: SessionLimits
) -> TimeLeft | None:
    """Restart the idle clock of this cookie's signed-in session (its person said they are still
    there) and say how long it now lasts; None when there is no session to renew. The absolute
    limit stays where the login put it."""
    found = await signed_in(db, token, now, limits)
    if found is None:
        return None
    row = found[0]
    row.last_seen_at = now  # exactly now, not at SEEN_RESOLUTION: the person asked for it
    return remaining(row.created_at, row.last_seen_at, now, limits)


async def still_here(
    db: AsyncSession, session_id: int, now: datetime, limits: SessionLimits
) -> bool:
    """Whether a session whose room socket is open still lets it in, counting the socket as
    activity for the idle limit (the browser pings the room, but loads no page while its person
    moderates for an hour and more). False once the session ended, passed its absolute limit or
    its person was deactivated, also where no hub was told (``tupa staff deactivate``)."""
    row = await db.get(StaffSessionRow, session_id)
    # The open socket is itself the activity the idle limit asks for: only the absolute limit.
    if row is None or expired(row.created_at, now, row.code_due, now, limits):
        return False
    return await _used_by_active_staff(db, row, now) is not None


async def _used_by_active_staff(
    db: AsyncSession, row: StaffSessionRow, now: datetime
) -> StaffRow | None:
    """The session's staff member while their account is active, counting this use as activity
    for the idle limit (written at most once a minute); None for a deactivated account."""
    staff = await db.get(StaffRow, row.staff_id)
    if staff is None or not staff.active:
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return staff


async def waiting_for_code(
    db: AsyncSession, token: str | None, now: datetime, limits: SessionLimits
) -> StaffSessionRow | None:
    """The session of a login whose password was right and whose code is still due, or None."""
    row = await _live(db, token, now, limits)
    return row if row is not None and row.code_due else None


async def sessions_of(
    db: AsyncSession, staff_id: int, now: datetime, limits: SessionLimits
) -> list[StaffSessionRow]:
    """A staff member's signed-in sessions, the most recently used first."""
    rows = await db.scalars(
        select(StaffSessionRow)
        .where(StaffSessionRow.staff_id == staff_id, StaffSessionRow.code_due.is_(False))
        .order_by(StaffSessionRow.last_seen_at.desc(), StaffSessionRow.id.desc())
    )
    return [r for r in rows if not expired(r.created_at, r.last_seen_at, False, now, limits)]


async def forget(db: AsyncSession, token: str | None) -> None:
    """End the session of this cookie, whatever state it is in (logout, a new login over it)."""
    row = await _by_token(db, token)
    if row is None:
        return
    await db.delete(row)
    await db.flush()
    if not row.code_due:
        after_commit(db, _signed_out(row.staff_id, row.id))


async def sign_out(db: AsyncSession, token: str | None, now: datetime) -> None:
    """Log out: end the session of this cookie, and log it if it was signed in."""
    row = await _by_token(db, token)
    if row is not None and not row.code_due:
        record(db, row.staff_id, SecurityEvent.LOGOUT, now)
    await forget(db, token)


async def end(db: AsyncSession, staff_id: int, session_id: int, now: datetime) -> bool:
    """End one of this staff member's sessions (someone else's id does nothing). Whether one
    ended."""
    row = await db.get(StaffSessionRow, session_id)
    if row is None or row.staff_id != staff_id:
        return False
    await db.delete(row)
    record(db, staff_id, SecurityEvent.SESSION_ENDED, now)
    await db.flush()
    after_commit(db, _signed_out(staff_id, session_id))
    return True


async def end_own(db: AsyncSession, staff_id: int, now: datetime) -> int:
    """A staff member ends every session of their own (the security page), and it is logged."""
    record(db, staff_id, SecurityEvent.ALL_SESSIONS_ENDED, now)
    return await end_all(db, staff_id)


async def end_all(
    db: AsyncSession, staff_id: int, *, announce: bool = True, keep: int | None = None
) -> int:
    """End every session of a staff member but ``keep`` (the one a password was just changed in).
    ``announce=False`` when the caller closes all their room sockets anyway (deactivation).
    Returns how many ended."""
    ids = [
        session_id
        for session_id in await db.scalars(
            select(StaffSessionRow.id).where(StaffSessionRow.staff_id == staff_id)
        )
        if session_id != keep
    ]
    if ids:
        await db.execute(delete(StaffSessionRow).where(StaffSessionRow.id.in_(ids)))
    if announce:
        for session_id in ids:
            after_commit(db, _signed_out(staff_id, session_id))
    return len(ids)


async def delete_expired(db: AsyncSession, now: datetime, limits: SessionLimits) -> int:
    """Delete the rows of sessions that no longer open anything (the background pass)."""
    # Candidates by index-friendly bounds; ``expired`` has the last word. (A login waiting for
    # its code has never been seen since it started.)
    quiet_since = now - min(limits.idle, limits.code_step)
    rows = list(
        await db.scalars(
            select(StaffSessionRow).where(
                (StaffSessionRow.last_seen_at < quiet_since)
                | (StaffSessionRow.created_at < now - limits.absolute)
            )
        )
    )
    gone = [r for r in rows if expired(r.created_at, r.last_seen_at, r.code_due, now, limits)]
    for row in gone:
        await db.delete(row)
    return len(gone)


def hold_totp_setup(row: StaffSessionRow, secret: str | None) -> None:
    """Keep (or drop) the two-factor secret offered on the security page, on the server."""
    row.totp_setup = secret


def _signed_out(staff_id: int, session_id: int) -> AccessChange:
    return AccessChange(
        AccessReason.STAFF_SIGNED_OUT, staff_id=staff_id, staff_session_id=session_id
    )
