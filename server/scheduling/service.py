"""The scheduling service as routes, background and tests call it (`service as scheduling`).

Each job lives in a module of its own, named for it; this module only gathers their public names
so that callers keep one entry point:

- ``program_catalogue``: the program templates stored and listed;
- ``planning``: a series planned from a template, and who runs it;
- ``lookups``: one series or session by id, and the parents enrolled in a series;
- ``session_changes``: one session moved, cancelled or edited;
- ``series_decisions``: a whole series confirmed or cancelled;
- ``listings``: series open for enrolment, every series for coordinators, one person's sessions.
"""

from __future__ import annotations

from server.scheduling.listings import (
    SeriesListing,
    all_series,
    open_series,
    series_needing_decision,
    sessions_of_staff,
)
from server.scheduling.lookups import ended_rooms, get_series, get_session, session_by_id
from server.scheduling.planning import (
    MAX_DURATION,
    MIN_DURATION,
    SeriesPlan,
    assign_staff,
    default_deadline,
    plan_series,
)
from server.scheduling.program_catalogue import (
    ensure_program_templates,
    list_programs,
    program_by_id,
)
from server.scheduling.series_decisions import cancel_series, confirm_series
from server.scheduling.session_changes import cancel_session, edit_session, move_session

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "SeriesListing",
    "SeriesPlan",
    "all_series",
    "assign_staff",
    "cancel_series",
    "cancel_session",
    "confirm_series",
    "default_deadline",
    "edit_session",
    "ended_rooms",
    "ensure_program_templates",
    "get_series",
    "get_session",
    "list_programs",
    "move_session",
    "open_series",
    "plan_series",
    "program_by_id",
    "series_needing_decision",
    "session_by_id",
    "sessions_of_staff",
]
