"""The series a staff member runs, or FORBIDDEN: the one check of the per-series staff pages.

Attendance, evaluation reports, bans and individual times are open to coordinators and to the
facilitators assigned to the series (``permissions.runs_series``); each page asks here, so the
rule is looked up the same way everywhere.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.permissions import runs_series
from server.scheduling import service as scheduling
from server.storage.tables import SeriesRow, StaffRow


async def series_run_by(db: AsyncSession, series_id: int, staff: StaffRow) -> SeriesRow:
    """Raises NOT_FOUND for no such series, FORBIDDEN when this staff member does not run it."""
    series = await scheduling.get_series(db, series_id)
    if not runs_series(staff.role, any(s.staff_id == staff.id for s in series.staff)):
        raise TupaError(ErrorCode.FORBIDDEN)
    return series
