"""Feedback answers cannot be joined to the receipts that say who answered: not by an id, not by
a time, not by the order the rows lie in."""

import asyncio
import json
import secrets

from sqlalchemy import func, select, text

from server.storage.tables import FeedbackAnswerRow, FeedbackReceiptRow
from tests.services.feedback_support import answer, parents_after_a_held_session

PARENTS = 10  # ten answers fall in receipt order by chance once in 3.6 million runs


async def raw_rows(database, table):
    """Every row of ``table`` as a dump would read it: all columns, no ORDER BY."""
    async with database.engine.connect() as conn:
        result = await conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 (a constant)
        return list(result.keys()), [tuple(row) for row in result]


def receipt_order(labels, enrolment_ids, receipts):
    """The labels in the order the receipts of their writers lie in."""
    by_enrolment = dict(zip(enrolment_ids, labels, strict=True))
    return [by_enrolment[enrolment_id] for _session_id, enrolment_id in receipts]


async def test_no_column_and_not_the_row_order_of_answers_follow_the_receipts(database, org, clock):
    enrolment_ids, session_id = await parents_after_a_held_session(database, org, clock, PARENTS)
    # A random label per parent: what they write must not be what orders the rows.
    labels = [secrets.token_hex(4) for _ in enrolment_ids]
    for enrolment_id, written in zip(enrolment_ids, labels, strict=True):
        clock.advance(minutes=3)
        await answer(database, enrolment_id, session_id, {"q1": "4", "q2": written}, clock.now)

    receipt_columns, receipts = await raw_rows(database, "feedback_receipts")
    assert receipt_columns == ["session_id", "enrolment_id"]  # no time of answering
    answered = receipt_order(labels, enrolment_ids, receipts)
    assert sorted(answered) == sorted(labels)

    columns, answers = await raw_rows(database, "feedback_answers")
    content = columns.index("answers")

    def label(row):
        value = row[content]
        return (json.loads(value) if isinstance(value, str) else value)["q2"]

    assert sorted(label(row) for row in answers) == sorted(labels)
    assert [label(row) for row in answers] != answered, "rows lie in the order of the receipts"
    for index, column in enumerate(columns):
        values = [row[index] for row in answers]
        if len(set(map(str, values))) < 2:
            continue  # the same for every answer: orders nothing
        numbers = all(isinstance(v, int) for v in values)
        ordered = sorted(answers, key=lambda r: r[index] if numbers else str(r[index]))
        assert [label(row) for row in ordered] != answered, (
            f"feedback_answers.{column} orders the answers like the receipts"
        )


async def test_parents_answering_at_once_each_keep_their_one_answer(database, org, clock):
    enrolment_ids, session_id = await parents_after_a_held_session(database, org, clock, 6)
    await asyncio.gather(
        *(
            answer(database, enrolment_id, session_id, {"q1": "5", "q2": str(n)}, clock.now)
            for n, enrolment_id in enumerate(enrolment_ids)
        )
    )
    async with database.unit_of_work() as db:
        texts = sorted(a["q2"] for a in await db.scalars(select(FeedbackAnswerRow.answers)))
        receipts = await db.scalar(select(func.count()).select_from(FeedbackReceiptRow))
    assert texts == [str(n) for n in range(6)]
    assert receipts == 6
