"""A parent's device: the personal link is swapped for a cookie, so no working link stays behind.

Why it works this way (tried in Chromium, tests/e2e/test_device.py): whatever address a browser
opens is written to its history database, including an address that at once redirects elsewhere
or replaces itself with ``location.replace``. The personal link ``/me/<token>`` therefore stays in
the history of every browser it was opened in, and in the e-mail it came in. So:

- Opening the link (``open_link``) issues a *device*: a fresh 256-bit secret in an HttpOnly,
  SameSite=Strict cookie limited to ``/me``, of which only a hash is stored on the enrolment.
  The parent's pages and room socket accept the cookie only, never the token.
- While a device is held, the link itself opens nothing (LINK_IN_USE): the copy in the history
  list, in a synced history on another computer or in a screenshot is no way in. Opening it again
  in the browser that holds the device simply goes on to the page.
- The device is let go by "Forget this device", by the quick exit, by a coordinator's new link, or
  by ``idle`` time without use (a private window that was closed, a lost phone). From then on the
  link works again: that is how the parent gets back in, and it is also why the Safe use page says
  that the e-mail and the history list must be cleared where someone else may look.
- One device at a time per enrolment, and one personal page per browser: opening another
  enrolment's link in the same browser lets the first one go.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.links import new_link_token, token_hash
from server.enrolment.service import enrolment_by_token
from server.errors import ErrorCode, TupaError
from server.storage.tables import EnrolmentRow

COOKIE = "tupa_me"
COOKIE_PATH = "/me"


def _held(row: EnrolmentRow, now: datetime) -> bool:
    return (
        row.device_hash is not None
        and row.device_expires_at is not None
        and row.device_expires_at > now
    )


def _usable(device: str | None) -> bool:
    return device is not None and 20 <= len(device) <= 100


async def _by_device(db: AsyncSession, device: str | None, now: datetime) -> EnrolmentRow | None:
    if not _usable(device):
        return None
    assert device is not None
    row = await db.scalar(
        select(EnrolmentRow).where(EnrolmentRow.device_hash == token_hash(device))
    )
    return row if row is not None and _held(row, now) else None


async def open_link(
    db: AsyncSession, token: str, device: str | None, now: datetime, idle: timedelta
) -> tuple[EnrolmentRow, str | None]:
    """Swap a personal link for a device. Returns the enrolment and the new device secret, or None
    when this browser already holds the enrolment's device (its cookie stays).

    Raises NOT_FOUND, LINK_REVOKED, or LINK_IN_USE while another browser holds the device.
    """
    row = await enrolment_by_token(db, token)
    current = await _by_device(db, device, now)
    if current is not None and current.id == row.id:
        current.device_expires_at = now + idle
        return row, None
    if _held(row, now):
        raise TupaError(ErrorCode.LINK_IN_USE, idle_hours=max(1, round(idle / timedelta(hours=1))))
    if current is not None:
        let_go(current)  # this browser had another enrolment's page: it moves to this one
    secret = new_link_token()
    row.device_hash = token_hash(secret)
    row.device_expires_at = now + idle
    return row, secret


async def enrolment_by_device(
    db: AsyncSession, device: str | None, now: datetime, idle: timedelta | None = None
) -> EnrolmentRow:
    """The enrolment whose device this browser holds; use by a page (``idle`` given) keeps it for
    another ``idle``. Raises LINK_NEEDED or LINK_REVOKED."""
    row = await _by_device(db, device, now)
    if row is None:
        raise TupaError(ErrorCode.LINK_NEEDED)
    if row.link_revoked_at is not None:
        raise TupaError(ErrorCode.LINK_REVOKED)
    if idle is not None:
        row.device_expires_at = now + idle
    return row


async def forget(db: AsyncSession, device: str | None, now: datetime) -> None:
    """Let this browser's device go, so the cookie opens nothing even if a browser kept it."""
    row = await _by_device(db, device, now)
    if row is not None:
        let_go(row)


def let_go(row: EnrolmentRow) -> None:
    """No browser holds the enrolment any more; its link may open a new device (unless dead)."""
    row.device_hash = None
    row.device_expires_at = None
