"""One answer per person per session, even when the same form is sent twice at once."""

import asyncio

import pytest
from sqlalchemy import func, select

from server.errors import ErrorCode, TupaError
from server.storage.tables import FeedbackAnswerRow, FeedbackReceiptRow
from tests.services.feedback_support import answer, parents_after_a_held_session


async def a_parent_after_a_held_session(database, org, clock):
    (enrolment_id,), session_id = await parents_after_a_held_session(database, org, clock, 1)
    return enrolment_id, session_id


async def count(database, row_type):
    async with database.unit_of_work() as db:
        return await db.scalar(select(func.count()).select_from(row_type))


async def test_the_same_feedback_sent_twice_at_once_is_stored_once(database, org, clock):
    enrolment_id, session_id = await a_parent_after_a_held_session(database, org, clock)
    results = await asyncio.gather(
        *(answer(database, enrolment_id, session_id, {"q1": "4"}, clock.now) for _ in range(4)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, TupaError)]
    assert len([r for r in results if r is None]) == 1
    assert len(refused) == 3 and all(r.code is ErrorCode.ALREADY_ANSWERED for r in refused)
    assert await count(database, FeedbackAnswerRow) == 1
    assert await count(database, FeedbackReceiptRow) == 1


async def test_a_wrong_answer_stores_nothing_and_the_right_one_still_can_be_given(
    database, org, clock
):
    enrolment_id, session_id = await a_parent_after_a_held_session(database, org, clock)
    with pytest.raises(TupaError) as wrong:
        await answer(database, enrolment_id, session_id, {"q1": "6"}, clock.now)
    assert wrong.value.params["problem"] == "out_of_range"
    assert await count(database, FeedbackReceiptRow) == 0
    await answer(database, enrolment_id, session_id, {"q1": "5", "q2": "Kiitos"}, clock.now)
    assert await count(database, FeedbackAnswerRow) == 1
