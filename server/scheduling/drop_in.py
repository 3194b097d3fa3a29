"""Dropping in to a live stage session without enrolling (issue 16, "Drop-in live").

A monthly public broadcast (the eroneuvo live) should not ask its viewers to enrol first. A
``stage`` series may therefore allow drop-in (``SeriesRow.drop_in``): while one of its sessions
runs, from when a facilitator opens its room, a visitor gives a pseudonym and watches as audience.

Why a drop-in viewer is an enrolment (status ``drop_in``, ``drop_in`` true, no e-mail address):
everything a parent's safety and the organisation's follow-up hang on already hangs on the
enrolment: the device cookie that keeps the link out of the address bar and that the quick exit
lets go, the room's membership, lobby and moderation, the ban, attendance, the one feedback per
session, the lifetime pass and erasure. A drop-in holds no seat: ``occupancy`` counts only seats
and waiting places, and the reports count drop-in viewers apart from the enrolled cohort.

A ban holds for the browser for the whole series: the visitor's browser keeps a random secret in
a cookie of its own (``BROWSER_COOKIE``, not let go by the quick exit), and the enrolment keeps an
HMAC of it keyed per series (``browser_key``), so the same browser finds the same enrolment and a
banned one joins no more, while the database cannot link one browser across series. The same
browser coming back (a reload, the quick exit, another session of the series) gets its enrolment
back rather than a new one, so its feedback is given once. Joins are counted per client address
as keyed hashes (``server.accessibility.sending_limit``); no address is stored.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accessibility.sending_limit import SendCounter
from server.enrolment.devices import let_go
from server.enrolment.links import new_link_token, token_hash
from server.enrolment.rules import (
    ACTIVE_STATUSES,
    EnrolmentStatus,
    SeriesStatus,
    clean_pseudonym,
    pseudonym_key,
)
from server.enrolment.service import lock_series, occupancy
from server.errors import ErrorCode, TupaError
from server.scheduling.series import MediaMode, SessionStatus, room_is_joinable
from server.settings import Language
from server.storage.tables import (
    EnrolmentRow,
    RoomMemberRow,
    RoomRow,
    SeriesBanRow,
    SeriesRow,
    SessionRow,
)

BROWSER_COOKIE = "tupa_live"
BROWSER_COOKIE_PATH = "/live"
SEND_FORM = "drop-in"  # the name joins are counted under, per client address
# Statuses a pseudonym may not be taken from: the people still in the series and the viewers.
_NAMED_STATUSES = [*(s.value for s in ACTIVE_STATUSES), EnrolmentStatus.DROP_IN.value]


@dataclass(frozen=True)
class DropInRequest:
    pseudonym: str
    browser: str | None  # the secret of this browser's BROWSER_COOKIE, if it sent one
    device: str | None  # the parent device cookie this browser holds, if any (it is let go)
    language: Language = "fi"


@dataclass(frozen=True)
class DropIn:
    enrolment: EnrolmentRow
    session: SessionRow
    browser: str  # the secret to keep in BROWSER_COOKIE (the one sent, or a new one)
    device: str  # a new parent device secret for this browser (server.enrolment.devices)
    returning: bool  # the browser had dropped in to this series before: same pseudonym


def browser_key(secret: bytes, series_id: int, browser: str) -> str:
    """What is stored of a browser's cookie in one series: an HMAC under a key derived from the
    secret key, differing per series, so equal browsers in two series do not match."""
    message = f"{series_id}\n{browser}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _usable(secret: str | None) -> bool:
    return secret is not None and 20 <= len(secret) <= 100 and secret.isascii()


async def live_session(
    db: AsyncSession, series: SeriesRow, now: datetime, opens_before: timedelta
) -> SessionRow | None:
    """The stage session of ``series`` a visitor may drop in to now: its room opened by a
    facilitator and not ended, within its joining window. None when the series allows no
    drop-in or nothing runs."""
    if not series.drop_in or series.status == SeriesStatus.CANCELLED.value:
        return None
    rows = await db.execute(
        select(SessionRow)
        .join(RoomRow, RoomRow.session_id == SessionRow.id)
        .where(
            SessionRow.series_id == series.id,
            SessionRow.media_mode == MediaMode.STAGE.value,
            SessionRow.status != SessionStatus.CANCELLED.value,
            RoomRow.opened_at.is_not(None),
            RoomRow.ended_at.is_(None),
        )
        .order_by(SessionRow.starts_at)
    )
    for session in rows.scalars():
        status = SessionStatus(session.status)
        if room_is_joinable(status, session.starts_at, session.duration_minutes, now, opens_before):
            return session
    return None


def drop_in_live(series: SeriesRow, session: SessionRow) -> bool:
    """Whether a drop-in visitor of ``series`` may be in ``session``'s room at all."""
    return series.drop_in and session.media_mode == MediaMode.STAGE.value


async def join(
    db: AsyncSession,
    series_id: int,
    request: DropInRequest,
    counter: SendCounter,
    address: str,
    key_secret: bytes,
    now: datetime,
    opens_before: timedelta,
    idle: timedelta,
) -> DropIn:
    """Let a visitor watch the series' running stage session under a pseudonym.

    The join is counted against ``address`` first (TOO_MANY_SENDS: the caller answers it itself,
    so the count commits). Raises NOT_FOUND, LIVE_NOT_RUNNING, LIVE_REFUSED (this browser was
    banned from the series), LIVE_FULL, INVALID_INPUT or PSEUDONYM_TAKEN.
    """
    await counter.count(db, SEND_FORM, address, now)
    series = await lock_series(db, series_id)
    session = await live_session(db, series, now, opens_before)
    if session is None:
        raise TupaError(ErrorCode.LIVE_NOT_RUNNING)
    browser = request.browser if _usable(request.browser) else new_link_token()
    assert browser is not None
    key = browser_key(key_secret, series.id, browser)
    known = await db.scalar(
        select(EnrolmentRow)
        .where(
            EnrolmentRow.series_id == series.id,
            EnrolmentRow.browser_key == key,
            EnrolmentRow.drop_in.is_(True),
        )
        .order_by(EnrolmentRow.id.desc())
        .limit(1)
    )
    if known is not None and (
        known.status == EnrolmentStatus.BANNED.value
        or await db.get(SeriesBanRow, (series.id, known.id)) is not None
    ):
        raise TupaError(ErrorCode.LIVE_REFUSED)
    returning = known is not None and known.status == EnrolmentStatus.DROP_IN.value
    row = known if returning and known is not None else None
    await _check_room_for(db, series, session, row)
    if row is None:
        row = await _new_viewer(db, series, request, key, now)
    row.live_session_id = session.id  # the place is held from now, under the series lock
    await _hand_device(db, row, request.device)
    device = new_link_token()
    row.device_hash = token_hash(device)
    row.device_expires_at = now + idle
    row.updated_at = now
    return DropIn(row, session, browser, device, returning)


async def _check_room_for(
    db: AsyncSession, series: SeriesRow, session: SessionRow, row: EnrolmentRow | None
) -> None:
    """LIVE_FULL when the seats of the series and the drop-in viewers holding a place in this
    session fill its capacity; a viewer holding one already always gets back.

    A viewer holds a place from joining the session (``live_session_id``), not only once in its
    room: counted at entry, two visitors joining at the same moment, neither in the room yet,
    could both take the last place. The caller holds the series lock from this count until the
    join is stored, so counting and taking are one step. Those who have been in the room keep
    their place too (a viewer who since joined another session of the series, or one from
    before places were held at the join).
    """
    in_room = select(RoomMemberRow.enrolment_id).join(
        EnrolmentRow, EnrolmentRow.id == RoomMemberRow.enrolment_id
    )
    in_room = in_room.where(RoomMemberRow.session_id == session.id, EnrolmentRow.drop_in.is_(True))
    joined = select(EnrolmentRow.id).where(
        EnrolmentRow.live_session_id == session.id,
        EnrolmentRow.drop_in.is_(True),
        EnrolmentRow.series_id == series.id,
    )
    holding = set(await db.scalars(in_room)) | set(await db.scalars(joined))
    if row is not None and row.id in holding:
        return
    if (await occupancy(db, series)).enrolled + len(holding) >= series.capacity:
        raise TupaError(ErrorCode.LIVE_FULL)


async def _new_viewer(
    db: AsyncSession, series: SeriesRow, request: DropInRequest, key: str, now: datetime
) -> EnrolmentRow:
    pseudonym = clean_pseudonym(request.pseudonym)
    clash = await db.scalar(
        select(func.count()).where(
            EnrolmentRow.series_id == series.id,
            EnrolmentRow.pseudonym_key == pseudonym_key(pseudonym),
            EnrolmentRow.status.in_(_NAMED_STATUSES),
        )
    )
    if clash:
        raise TupaError(ErrorCode.PSEUDONYM_TAKEN)
    row = EnrolmentRow(
        series_id=series.id,
        pseudonym=pseudonym,
        pseudonym_key=pseudonym_key(pseudonym),
        email=None,
        language=request.language,
        answers={},
        status=EnrolmentStatus.DROP_IN.value,
        token_hash=token_hash(new_link_token()),  # no link is ever given: the device is the way in
        created_at=now,
        updated_at=now,
        drop_in=True,
        browser_key=key,
    )
    row.series = series
    db.add(row)
    await db.flush()
    return row


async def _hand_device(db: AsyncSession, row: EnrolmentRow, device: str | None) -> None:
    """One personal page per browser: the device this browser held for another enrolment (a
    parent's own group) is let go, as opening another link would."""
    if not _usable(device):
        return
    assert device is not None
    held = await db.scalar(
        select(EnrolmentRow).where(EnrolmentRow.device_hash == token_hash(device))
    )
    if held is not None and held.id != row.id:
        let_go(held)
