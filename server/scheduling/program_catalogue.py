"""The programs a coordinator plans a series from: the shipped templates stored once, then listed.

The templates themselves are pure data (``programs.py``); this module is their rows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.scheduling.programs import PROGRAM_TEMPLATES
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import ProgramRow


async def ensure_program_templates(db: AsyncSession) -> None:
    """Insert the shipped program templates that are missing.

    Safe when several instances start at once: each template is keyed by its slug, and a
    template a coordinator already has is never overwritten.
    """
    for t in PROGRAM_TEMPLATES:
        await insert_unless_exists(
            db,
            ProgramRow,
            ["slug"],
            slug=t.slug,
            name=t.name,
            name_sv=t.name_sv,
            name_en=t.name_en,
            description=t.description,
            life_situation=t.life_situation.value,
            media_mode=t.media_mode.value,
            session_count=t.session_count,
            duration_minutes=t.duration_minutes,
            cadence=t.cadence.value,
            capacity=t.capacity,
            min_size=t.min_size,
            themes=list(t.themes),
        )


async def list_programs(db: AsyncSession) -> list[ProgramRow]:
    return list(await db.scalars(select(ProgramRow).order_by(ProgramRow.name)))


async def program_by_id(db: AsyncSession, program_id: int) -> ProgramRow | None:
    return await db.get(ProgramRow, program_id)
