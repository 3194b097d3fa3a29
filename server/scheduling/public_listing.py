"""Whether a series is on the public lists (the front page, the series list, the public API) or
reachable by its address only.

An unlisted series is still a series like any other: its page answers at its address, people
enrol there, and its address is what the coordinator hands to the people it is meant for (the
staff page offers it to copy). Its pages tell search engines not to index them. Series of a
program template that is not for parents to find (the experience partner training) start
unlisted.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.scheduling.lookups import get_series
from server.scheduling.programs import PROGRAM_TEMPLATES

_UNLISTED_TEMPLATES = frozenset(t.slug for t in PROGRAM_TEMPLATES if not t.listed)


def listed_by_default(program_slug: str) -> bool:
    """Whether a new series of this program starts on the public lists."""
    return program_slug not in _UNLISTED_TEMPLATES


async def set_listed(db: AsyncSession, series_id: int, listed: bool) -> None:
    """Put the series on the public lists or take it off them. Raises NOT_FOUND."""
    series = await get_series(db, series_id)
    series.listed = listed
    await db.flush()
