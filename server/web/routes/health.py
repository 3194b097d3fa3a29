"""Health for the proxy and the container runtime: ``/healthz`` says the process answers and
reports what it depends on; ``/readyz`` fails while the database or the bus between instances
does not answer, so that a proxy sends no traffic to an instance that cannot store or deliver."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.storage.health import check_database

router = APIRouter()

CHECK_SECONDS = 2.0
OK, UNAVAILABLE = "ok", "unavailable"


async def _answers(check: Awaitable[None]) -> str:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await check
    except Exception:  # whatever the reason, it does not answer now (nothing of it is shown)
        return UNAVAILABLE
    return OK


async def _report(request: Request) -> dict[str, str]:
    async def database() -> None:
        async with request.app.state.database.unit_of_work() as db:
            await check_database(db)

    report = {
        "database": await _answers(database()),
        "bus": await _answers(request.app.state.hub.bus.check()),
    }
    report["status"] = OK if all(v == OK for v in report.values()) else UNAVAILABLE
    return report


@router.get("/healthz", include_in_schema=False)
async def health(request: Request) -> dict[str, str]:
    """Alive: answers 200 whenever the process does, with the database and the bus reported."""
    return await _report(request)


@router.get("/readyz", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """Ready for traffic: 200 only while both the database and the bus answer, else 503."""
    report = await _report(request)
    return JSONResponse(report, status_code=200 if report["status"] == OK else 503)
