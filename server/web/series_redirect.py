"""The way back to a series' staff page after an action, with the notice it shows.

Every staff action on a series answers 303 to the series page (or one of its pages: bans,
individual times, attendance), naming what was done in ``done`` for the page to confirm; one
function spells that address so the pages and their actions cannot drift apart.
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import RedirectResponse


def back_to_series(series_id: int, done: str, page: str = "", anchor: str = "") -> Response:
    """303 to ``/staff/series/{id}{page}?done={done}`` (``page`` such as "/bans"), at ``anchor``."""
    fragment = f"#{anchor}" if anchor else ""
    return RedirectResponse(f"/staff/series/{series_id}{page}?done={done}{fragment}", 303)
