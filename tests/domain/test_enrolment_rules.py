from datetime import UTC, datetime, timedelta

import pytest

from server.enrolment.questions import Question, check_answers, define_questions
from server.enrolment.rules import (
    Occupancy,
    Seat,
    SeriesStatus,
    WaitlistPlace,
    clean_email,
    clean_pseudonym,
    decide,
)
from server.errors import ErrorCode, TupaError
from server.scheduling.series import needs_decision

T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=3)


def occupancy(enrolled: int, waitlisted: int = 0, capacity: int = 8, min_size: int = 4):
    return Occupancy(capacity=capacity, min_size=min_size, enrolled=enrolled, waitlisted=waitlisted)


def test_parent_gets_a_seat_while_one_is_free():
    assert decide(SeriesStatus.OPEN, DEADLINE, occupancy(enrolled=7), T0) == Seat()


def test_ninth_parent_is_waitlisted_when_capacity_is_eight():
    got = decide(SeriesStatus.OPEN, DEADLINE, occupancy(enrolled=8, waitlisted=2), T0)
    assert got == WaitlistPlace(position=3)


def test_enrolment_closes_at_the_deadline():
    with pytest.raises(TupaError) as error:
        decide(SeriesStatus.OPEN, DEADLINE, occupancy(enrolled=1), DEADLINE)
    assert error.value.code is ErrorCode.ENROLMENT_CLOSED


def test_cancelled_series_takes_no_enrolments():
    with pytest.raises(TupaError) as error:
        decide(SeriesStatus.CANCELLED, DEADLINE, occupancy(enrolled=1), T0)
    assert error.value.code is ErrorCode.SERIES_CANCELLED


def test_series_below_minimum_needs_a_decision_once_enrolment_closes():
    below = occupancy(enrolled=3, min_size=4)
    assert not needs_decision(SeriesStatus.OPEN, DEADLINE, below, T0)
    assert needs_decision(SeriesStatus.OPEN, DEADLINE, below, DEADLINE)
    assert not needs_decision(SeriesStatus.CONFIRMED, DEADLINE, below, DEADLINE)
    assert not needs_decision(SeriesStatus.OPEN, DEADLINE, occupancy(enrolled=4), DEADLINE)


def test_seats_left_never_goes_negative():
    assert occupancy(enrolled=10, capacity=8).seats_left == 0


@pytest.mark.parametrize("raw", ["", "a", " x ", "x" * 41, "Mira\x00", "Tab\u200bname\u0007"])
def test_pseudonym_must_be_2_to_40_printable_characters(raw):
    with pytest.raises(TupaError) as error:
        clean_pseudonym(raw)
    assert error.value.params["field"] == "pseudonym"


def test_pseudonym_whitespace_is_collapsed():
    assert clean_pseudonym("  Pieni   Myyrä ") == "Pieni Myyrä"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_email_is_optional(raw):
    assert clean_email(raw) is None


@pytest.mark.parametrize(
    "raw", ["not-an-email", "a@b", "a b@example.org", "x@" + "y" * 300 + ".fi"]
)
def test_malformed_email_is_refused(raw):
    with pytest.raises(TupaError):
        clean_email(raw)


def test_coordinator_defines_choice_and_free_text_questions():
    questions = define_questions(
        [("Lapsen ikä", "0–2 v | 3–6 v", True), ("", "ignored", False), ("Toiveet", "", False)]
    )
    assert questions == [
        Question("q1", "Lapsen ikä", ["0–2 v", "3–6 v"], True),
        Question("q2", "Toiveet", [], False),
    ]


@pytest.mark.parametrize(
    "rows",
    [
        [("Q", "|".join(str(i) for i in range(11)), False)],
        [("Q", "a | a", False)],
        [(f"Q{i}", "", False) for i in range(6)],
        [("x" * 201, "", False)],
    ],
)
def test_question_definitions_are_bounded(rows):
    with pytest.raises(TupaError):
        define_questions(rows)


def test_answers_keep_only_known_questions_and_valid_choices():
    questions = [Question("q1", "Ikä", ["0–2 v", "3–6 v"], True), Question("q2", "Muuta", [])]
    kept = check_answers(questions, {"q1": "3–6 v", "q2": "  kiitos  ", "q9": "smuggled"})
    assert kept == {"q1": "3–6 v", "q2": "kiitos"}


@pytest.mark.parametrize("answers", [{}, {"q1": "7–12 v"}, {"q1": "0–2 v", "q2": "x" * 301}])
def test_invalid_answers_are_refused_with_the_question_named(answers):
    questions = [Question("q1", "Ikä", ["0–2 v", "3–6 v"], True), Question("q2", "Muuta", [])]
    with pytest.raises(TupaError) as error:
        check_answers(questions, answers)
    assert error.value.params["field"] in {"q1", "q2"}
