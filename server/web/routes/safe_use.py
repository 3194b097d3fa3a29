"""The Safe use page: what the quick exit, private windows and "Forget this device" can and
cannot hide, linked from every page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server.web.templating import render

router = APIRouter()


@router.get("/safe-use")
async def safe_use(request: Request) -> Response:
    return render(request, "public/safe_use.html", {})
