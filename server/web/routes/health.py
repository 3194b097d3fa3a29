"""Health check for the proxy and the container runtime: the app answers and its database too."""

from __future__ import annotations

from fastapi import APIRouter

from server.storage.health import check_database
from server.web.deps import Db

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def health(db: Db) -> dict[str, str]:
    await check_database(db)
    return {"status": "ok"}
