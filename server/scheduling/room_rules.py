"""What a series asks of its rooms beyond the media mode: whether a chat message with identifying
details that a parent sends anyway waits for a moderator's approval (``server.rooms.holding``), and
whether visitors may drop in to its running stage sessions (``server.scheduling.drop_in``).

A room reads it when it is loaded, so a change reaches rooms opened after it; a room already
open keeps the rule it opened with until it closes (the staff page says so).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.scheduling.series import MediaMode
from server.scheduling.service import get_series
from server.storage.tables import SeriesRow


async def hold_identifying(db: AsyncSession, series_id: int, held: bool) -> None:
    """Hold (or post as before) what a parent sends anyway after being asked. Raises NOT_FOUND."""
    series = await get_series(db, series_id)
    series.identifying_held = held
    await db.flush()


def has_stage(series: SeriesRow) -> bool:
    """Whether the series has a stage session (only such a series may allow drop-in)."""
    return series.program.media_mode == MediaMode.STAGE.value or any(
        s.media_mode == MediaMode.STAGE.value for s in series.sessions
    )


async def allow_drop_in(db: AsyncSession, series_id: int, allowed: bool) -> None:
    """Let visitors drop in to the series' running stage sessions, or stop letting new ones in
    (those watching stay until they leave). Raises NOT_FOUND, INVALID_INPUT for a series with no
    stage session."""
    series = await get_series(db, series_id)
    if allowed and not has_stage(series):
        raise TupaError(ErrorCode.INVALID_INPUT, field="drop_in")
    series.drop_in = allowed
    await db.flush()
