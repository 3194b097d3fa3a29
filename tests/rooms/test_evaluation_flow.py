"""Feedback after a held session, questionnaires that keep their answers, attendance pages."""

import re
from contextlib import asynccontextmanager
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from server.evaluation.attendance_sheet import EvaluationRules
from server.evaluation.service import series_evaluation
from server.storage.tables import (
    AttendanceCorrectionRow,
    FeedbackAnswerRow,
    FeedbackReceiptRow,
    QuestionnaireRow,
    SeriesRow,
)
from tests.conftest import post_form
from tests.roomclient import a_room, parent_device, staff_cookie
from tests.rooms.support import open_room_with_parents


@asynccontextmanager
async def browser(server, cookie=""):
    """An HTTP client that keeps its cookies, starting from a logged-in staff cookie if given."""
    cookies = dict(pair.split("=", 1) for pair in cookie.split("; ") if pair)
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies) as client:
        yield client


async def parent_of(server, link):
    """A parent's browser holding the device their link was swapped for."""
    return browser(server, f"tupa_me={await parent_device(server, link)}")


async def program_of(database, series_id):
    async with database.unit_of_work() as db:
        return (await db.get(SeriesRow, series_id)).program_id


async def define_feedback(server, room, fields):
    program_id = await program_of(server.database, room.series_id)
    page = f"/staff/programs/{program_id}/questionnaires/feedback"
    async with browser(server, room.coordinator) as coordinator:
        return await post_form(coordinator, page, page, fields)


FEEDBACK = {
    "text_1": "Miten tapaaminen onnistui?",
    "kind_1": "scale",
    "text_2": "Mitä haluat sanoa ohjaajille?",
    "kind_2": "text",
}


async def a_held_session(server, org, clock):
    """A room with Mustikka, Puolukka and the facilitator in it for a whole session, then ended."""
    room, facilitator, parents = await open_room_with_parents(
        server, org, clock, "Mustikka", "Puolukka"
    )
    assert (await define_feedback(server, room, FEEDBACK)).status_code == 303
    clock.advance(minutes=100)
    await facilitator.send(type="end")
    for parent in parents.values():
        await parent.closed_with()
    # Staff who were not in the room have been idle past their session's limit: they log in again.
    room.coordinator = await staff_cookie(server, "coordinator@example.org")
    room.volunteer = await staff_cookie(server, "volunteer@example.org")
    return room


async def count(database, row_type):
    async with database.unit_of_work() as db:
        return await db.scalar(select(func.count()).select_from(row_type))


async def test_parent_answers_feedback_once_and_the_answer_carries_no_name(live_server, org, clock):
    room = await a_held_session(live_server, org, clock)
    link = room.parent_links["Mustikka"]
    async with await parent_of(live_server, link) as parent:
        me = await parent.get("/me")
        assert f"/me/feedback/{room.session_id}" in me.text

        form = f"/me/feedback/{room.session_id}"
        too_high = await post_form(parent, form, form, {"q1": "9", "q2": "Kiitos"})
        assert too_high.status_code == 422
        assert 'role="alert"' in too_high.text
        assert "Kiitos" in too_high.text  # what was written is not lost
        assert await count(live_server.database, FeedbackAnswerRow) == 0

        given = await post_form(parent, form, form, {"q1": "4", "q2": "Kiitos, auttoi paljon"})
        assert given.status_code == 303
        again = await parent.post(form, data={"csrf_token": "x", "q1": "1"})
        assert again.status_code in (403, 409)
        page_again = await parent.get(form)
        assert page_again.status_code == 409
        me = await parent.get("/me")
        assert f"/feedback/{room.session_id}" not in me.text

    async with live_server.database.unit_of_work() as db:
        answers = list(await db.scalars(select(FeedbackAnswerRow)))
        receipts = list(await db.scalars(select(FeedbackReceiptRow)))
    assert [a.answers for a in answers] == [{"q1": 4, "q2": "Kiitos, auttoi paljon"}]
    assert len(receipts) == 1
    assert not hasattr(answers[0], "enrolment_id")  # who wrote it is not stored with it


async def test_feedback_is_only_for_parents_who_were_in_the_ended_session(live_server, org, clock):
    room, facilitator, _parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    assert (await define_feedback(live_server, room, FEEDBACK)).status_code == 303
    async with await parent_of(live_server, room.parent_links["Mustikka"]) as parent:
        early = await parent.get(f"/me/feedback/{room.session_id}")
        assert early.status_code == 409  # the session has not ended
    async with await parent_of(live_server, room.parent_links["Puolukka"]) as parent:
        absent = await parent.get(f"/me/feedback/{room.session_id}")
        assert absent.status_code == 409
    await facilitator.close()


async def test_questionnaire_with_answers_keeps_its_questions_but_can_gain_new_ones(
    live_server, org, clock
):
    room = await a_held_session(live_server, org, clock)
    link = room.parent_links["Puolukka"]
    form = f"/me/feedback/{room.session_id}"
    async with await parent_of(live_server, link) as parent:
        assert (await post_form(parent, form, form, {"q1": "5"})).status_code == 303

    removed = await define_feedback(
        live_server,
        room,
        {"key_1": "q1", "text_1": "Miten tapaaminen onnistui?", "kind_1": "scale"},
    )
    assert removed.status_code == 422
    assert 'role="alert"' in removed.text
    retyped = await define_feedback(
        live_server, room, {**{f"key_{i}": f"q{i}" for i in (1, 2)}, **FEEDBACK, "kind_1": "text"}
    )
    assert retyped.status_code == 422
    grown = await define_feedback(
        live_server,
        room,
        {
            **{f"key_{i}": f"q{i}" for i in (1, 2)},
            **FEEDBACK,
            "text_3": "Suosittelisitko ryhmää?",
            "kind_3": "scale",
        },
    )
    assert grown.status_code == 303
    async with live_server.database.unit_of_work() as db:
        row = await db.scalar(select(QuestionnaireRow))
    assert [q["key"] for q in row.questions] == ["q1", "q2", "q3"]
    assert await count(live_server.database, FeedbackAnswerRow) == 1


async def test_facilitator_corrects_attendance_and_a_volunteer_may_not_see_it(
    live_server, org, clock
):
    room = await a_held_session(live_server, org, clock)
    page = f"/staff/series/{room.series_id}/attendance"
    async with browser(live_server, room.volunteer) as volunteer:
        assert (await volunteer.get(page)).status_code == 403
    async with browser(live_server, room.facilitator) as facilitator:
        sheet = await facilitator.get(page)
        assert sheet.status_code == 200
        assert sheet.text.count('data-attended="yes"') == 2
        action = f"/staff/series/{room.series_id}/attendance/{room.session_id}"
        ids = [int(x) for x in re.findall(action + r"/(\d+)", sheet.text)]
        no_reason = await post_form(facilitator, page, f"{action}/{ids[0]}", {"attended": "no"})
        assert no_reason.status_code == 422
        corrected = await post_form(
            facilitator, page, f"{action}/{ids[0]}", {"attended": "no", "reason": "Yhteys katkesi"}
        )
        assert corrected.status_code == 303
        sheet = await facilitator.get(page)
        assert sheet.text.count('data-attended="yes"') == 1
        assert "Yhteys katkesi" in sheet.text
    assert await count(live_server.database, AttendanceCorrectionRow) == 1


async def test_self_assessment_at_start_and_end_pairs_each_parents_answers(live_server, org, clock):
    room = await a_room(live_server, org, clock)
    program_id = await program_of(live_server.database, room.series_id)
    page = f"/staff/programs/{program_id}/questionnaires/self_assessment"
    async with browser(live_server, room.coordinator) as coordinator:
        items = {"text_1": "Tunnistan, mitä tunnen.", "text_2": "Jaksan arjessa."}
        assert (await post_form(coordinator, page, page, items)).status_code == 303

    async def answer(name, moment, values):
        link = room.parent_links[name]
        async with await parent_of(live_server, link) as parent:
            me = await parent.get("/me")
            assert f"/me/self-assessment/{moment}" in me.text
            form = f"/me/self-assessment/{moment}"
            return await post_form(parent, form, form, values)

    assert (await answer("Mustikka", "start", {"q1": "2", "q2": "3"})).status_code == 303
    assert (await answer("Puolukka", "start", {"q1": "5", "q2": "5"})).status_code == 303
    async with await parent_of(live_server, room.parent_links["Mustikka"]) as parent:
        early = await parent.get("/me/self-assessment/end")
        assert early.status_code == 409

    clock.advance(days=35)  # past the last of the four weekly sessions
    assert (await answer("Mustikka", "end", {"q1": "4", "q2": "3"})).status_code == 303

    async with live_server.database.unit_of_work() as db:
        report = await series_evaluation(db, room.series_id, EvaluationRules())
    assert report.self_assessment is not None
    change = {item.key: item for item in report.self_assessment[1]}
    assert change["q1"].n == 1  # Puolukka answered only at the start
    assert (change["q1"].mean_start, change["q1"].mean_end) == (Decimal(2), Decimal(4))
    assert change["q1"].mean_change == 2 and change["q2"].mean_change == 0
