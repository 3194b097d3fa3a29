"""Health check for the proxy and the container runtime: the app answers and its database too."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from server.web.deps import Db

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def health(db: Db) -> dict[str, str]:
    await db.execute(text("SELECT 1"))
    return {"status": "ok"}
