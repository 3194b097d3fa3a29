"""What the forms planning a series and an intake share: the program template they start from,
and the parents' enrolment questions, read the same way in both."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.questions import MAX_QUESTIONS, Question, define_questions
from server.errors import TupaError
from server.scheduling import service as scheduling
from server.storage.tables import ProgramRow
from server.web.forms import FormReader


async def program_asked(request: Request, db: AsyncSession) -> ProgramRow | None:
    """The template named by ``?program=``; None when it is missing, not an id, or not found."""
    raw = request.query_params.get("program", "")
    if not raw.isdigit() or len(raw) >= 10:
        return None
    return await scheduling.program_by_id(db, int(raw))


def read_questions(form: FormReader) -> list[Question]:
    """The questions of rows q1…qN (label, options, required); a set that cannot be defined marks
    the field ``questions`` and reads as none, so the form shows it with the other errors."""
    rows = [
        (
            form.text(f"q{i}_label", 200),
            form.text(f"q{i}_options", 10 * 81),
            form.checkbox(f"q{i}_required"),
        )
        for i in range(1, MAX_QUESTIONS + 1)
    ]
    try:
        return define_questions(rows)
    except TupaError:
        form.errors.add("questions")
        return []
