from decimal import Decimal

import pytest

from server.errors import ErrorCode, TupaError
from server.evaluation.questionnaires import (
    AnswerError,
    AnswerProblem,
    ChangeProblem,
    ItemChange,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireError,
    QuestionnaireKind,
    QuestionnaireLocked,
    QuestionnaireProblem,
    ScaleSummary,
    check_change,
    define_questionnaire,
    self_assessment_change,
    summarise_feedback,
    validate_answers,
)

FEEDBACK = QuestionnaireKind.FEEDBACK
SELF_ASSESSMENT = QuestionnaireKind.SELF_ASSESSMENT
TEXT = QuestionKind.TEXT

USEFUL = Question("useful", "Kuinka hyödyllinen tapaaminen oli?")
SAFE = Question("safe", "Tunsitko olosi turvalliseksi ryhmässä?")
WISH = Question("wish", "Mitä toivoisit seuraavalta kerralta?", TEXT)
AFTER_SESSION = define_questionnaire(FEEDBACK, [USEFUL, SAFE, WISH])

CALM = Question("calm", "Pystyn rauhoittumaan riidan jälkeen.")
TALK = Question("talk", "Osaan puhua lapsen kanssa erosta.")
START_AND_END = define_questionnaire(SELF_ASSESSMENT, [CALM, TALK])


def problem_of(error: pytest.ExceptionInfo[TupaError]) -> str:
    """The problem code; a change that would break answers is QUESTIONNAIRE_LOCKED (409)."""
    locked = isinstance(error.value, QuestionnaireLocked)
    expected = ErrorCode.QUESTIONNAIRE_LOCKED if locked else ErrorCode.INVALID_INPUT
    assert error.value.code is expected
    return str(error.value.params["problem"])


# defining a questionnaire


def test_questionnaire_collapses_whitespace_in_question_text():
    got = define_questionnaire(FEEDBACK, [Question("q1", "  Kuinka   hyödyllinen\n oli? ")])
    assert got.questions == (Question("q1", "Kuinka hyödyllinen oli?"),)


@pytest.mark.parametrize("count", [0, 16])
def test_questionnaire_has_1_to_15_questions(count):
    questions = [Question(f"q{i}", f"Kysymys {i}") for i in range(count)]
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(FEEDBACK, questions)
    assert problem_of(error) == QuestionnaireProblem.QUESTION_COUNT


def test_fifteen_questions_are_allowed():
    questions = [Question(f"q{i}", f"Kysymys {i}") for i in range(15)]
    assert len(define_questionnaire(FEEDBACK, questions).questions) == 15


@pytest.mark.parametrize("text", ["", "   ", "x" * 301])
def test_question_text_is_1_to_300_characters(text):
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(FEEDBACK, [Question("q1", text)])
    assert problem_of(error) == QuestionnaireProblem.QUESTION_TEXT
    assert error.value.params["field"] == "q1"


def test_question_text_of_300_characters_is_allowed():
    assert define_questionnaire(FEEDBACK, [Question("q1", "x" * 300)])


def test_question_keys_are_unique():
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(FEEDBACK, [USEFUL, Question("useful", "Toinen")])
    assert error.value.problem is QuestionnaireProblem.DUPLICATE_KEY


@pytest.mark.parametrize("key", ["", "has space", "x" * 41, "ä"])
def test_question_key_is_short_and_plain(key):
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(FEEDBACK, [Question(key, "Kysymys")])
    assert error.value.problem is QuestionnaireProblem.QUESTION_KEY


@pytest.mark.parametrize(("low", "high"), [(3, 3), (5, 1), (-1, 5), (0, 11)])
def test_scale_is_whole_numbers_within_0_to_10_with_at_least_two_points(low, high):
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(FEEDBACK, [Question("q1", "Kysymys", scale_min=low, scale_max=high)])
    assert error.value.problem is QuestionnaireProblem.SCALE_RANGE


def test_scale_of_0_to_10_is_allowed():
    assert define_questionnaire(
        FEEDBACK, [Question("q1", "Suosittelisitko?", scale_min=0, scale_max=10)]
    )


def test_self_assessment_has_only_scale_items():
    with pytest.raises(QuestionnaireError) as error:
        define_questionnaire(SELF_ASSESSMENT, [CALM, WISH])
    assert error.value.problem is QuestionnaireProblem.TEXT_IN_SELF_ASSESSMENT


# answers


def test_valid_answers_are_kept_in_question_order():
    got = validate_answers(
        AFTER_SESSION, {"wish": " Lisää aikaa keskustelulle ", "safe": 5, "useful": 4}
    )
    assert got == {"useful": 4, "safe": 5, "wish": "Lisää aikaa keskustelulle"}
    assert list(got) == ["useful", "safe", "wish"]


def test_scale_answer_from_a_form_may_arrive_as_text():
    assert validate_answers(AFTER_SESSION, {"useful": " 4", "safe": "5"}) == {
        "useful": 4,
        "safe": 5,
    }


def test_free_text_is_optional_and_blank_text_is_left_out():
    assert validate_answers(AFTER_SESSION, {"useful": 3, "safe": 3, "wish": "  \n "}) == {
        "useful": 3,
        "safe": 3,
    }


def test_free_text_keeps_its_lines_but_loses_control_characters():
    got = validate_answers(
        AFTER_SESSION, {"useful": 3, "safe": 3, "wish": "Kiitos\r\nHyvä\x00 ilta"}
    )
    assert got["wish"] == "Kiitos\nHyvä ilta"


def test_every_scale_question_must_be_answered():
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": 4, "safe": ""})
    assert error.value.problem is AnswerProblem.MISSING_ANSWER
    assert error.value.params["field"] == "safe"


def test_answer_to_a_question_not_in_the_questionnaire_is_refused():
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": 4, "safe": 4, "smuggled": "x"})
    assert problem_of(error) == "unknown_question"


@pytest.mark.parametrize("value", [0, 6, "6", -1])
def test_scale_answer_outside_the_scale_is_refused(value):
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": value, "safe": 4})
    assert problem_of(error) == "out_of_range"
    assert error.value.params["field"] == "useful"


@pytest.mark.parametrize("value", [True, 4.0, "neljä", "4.5", [4]])
def test_scale_answer_must_be_a_whole_number(value):
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": value, "safe": 4})
    assert problem_of(error) == "wrong_type"


def test_free_text_answer_must_be_text():
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": 4, "safe": 4, "wish": 5})
    assert error.value.problem is AnswerProblem.WRONG_TYPE


def test_free_text_answer_is_at_most_2000_characters():
    assert validate_answers(AFTER_SESSION, {"useful": 4, "safe": 4, "wish": "x" * 2000})
    with pytest.raises(AnswerError) as error:
        validate_answers(AFTER_SESSION, {"useful": 4, "safe": 4, "wish": "x" * 2001})
    assert problem_of(error) == "too_long"


# changing a questionnaire


def test_anything_may_change_before_the_first_answer():
    check_change(AFTER_SESSION, define_questionnaire(FEEDBACK, [WISH]), has_answers=False)


def test_answered_questionnaire_may_not_lose_a_question():
    with pytest.raises(QuestionnaireLocked) as error:
        check_change(
            AFTER_SESSION, define_questionnaire(FEEDBACK, [USEFUL, WISH]), has_answers=True
        )
    assert error.value.problem is ChangeProblem.QUESTION_REMOVED
    assert error.value.params["field"] == "safe"


def test_answered_question_may_not_change_from_scale_to_text():
    retyped = Question("safe", SAFE.text, TEXT)
    with pytest.raises(QuestionnaireLocked) as error:
        check_change(
            AFTER_SESSION, define_questionnaire(FEEDBACK, [USEFUL, retyped, WISH]), has_answers=True
        )
    assert problem_of(error) == "question_retyped"


def test_answered_question_may_not_get_another_scale():
    rescaled = Question("safe", SAFE.text, scale_min=1, scale_max=7)
    with pytest.raises(QuestionnaireLocked) as error:
        check_change(
            AFTER_SESSION,
            define_questionnaire(FEEDBACK, [USEFUL, rescaled, WISH]),
            has_answers=True,
        )
    assert problem_of(error) == "question_rescaled"


def test_answered_questionnaire_may_not_change_kind():
    with pytest.raises(QuestionnaireLocked) as error:
        check_change(START_AND_END, define_questionnaire(FEEDBACK, [CALM, TALK]), has_answers=True)
    assert problem_of(error) == "kind_changed"


def test_typo_in_an_answered_question_may_be_fixed():
    typo = define_questionnaire(
        SELF_ASSESSMENT, [Question("calm", "Pystyn rauhoitumaan riidan jälkeen."), TALK]
    )
    check_change(typo, START_AND_END, has_answers=True)


def test_answered_question_may_not_be_reworded_into_another_question():
    reworded = Question("calm", "Nukun hyvin useimpina öinä.")
    with pytest.raises(QuestionnaireLocked) as error:
        check_change(
            START_AND_END, define_questionnaire(SELF_ASSESSMENT, [reworded, TALK]), has_answers=True
        )
    assert problem_of(error) == "question_reworded"


def test_answered_questionnaire_may_gain_and_reorder_questions():
    extra = Question("sleep", "Nukun hyvin useimpina öinä.")
    grown = define_questionnaire(SELF_ASSESSMENT, [TALK, extra, CALM])
    check_change(START_AND_END, grown, has_answers=True)


# feedback summary


def test_feedback_summary_gives_n_mean_and_distribution_per_scale_question():
    responses = [{"useful": 5, "safe": 4}, {"useful": 4, "safe": 4}, {"useful": 4, "safe": 5}]

    summary = summarise_feedback(AFTER_SESSION, responses)

    assert summary.responses == 3
    assert summary.scales[0] == ScaleSummary(
        key="useful",
        n=3,
        mean=Decimal("4.33"),
        distribution=((1, 0), (2, 0), (3, 0), (4, 2), (5, 1)),
    )


def test_feedback_mean_rounds_half_up_to_two_decimals():
    responses = [{"useful": 2}] * 7 + [{"useful": 3}]  # 17 / 8 = 2.125
    assert summarise_feedback(AFTER_SESSION, responses).scales[0].mean == Decimal("2.13")


def test_free_text_answers_come_back_sorted_not_in_the_order_they_were_given():
    responses: list[dict[str, int | str]] = [
        {"useful": 4, "safe": 4, "wish": "lisää aikaa"},
        {"useful": 4, "safe": 4},
        {"useful": 4, "safe": 4, "wish": "Aiemmin alkava ilta"},
        {"useful": 4, "safe": 4, "wish": "Enemmän pienryhmiä"},
    ]
    texts = summarise_feedback(AFTER_SESSION, responses).texts
    assert texts[0].key == "wish"
    assert texts[0].answers == ("Aiemmin alkava ilta", "Enemmän pienryhmiä", "lisää aikaa")


def test_free_text_summary_carries_no_respondent():
    summary = summarise_feedback(AFTER_SESSION, [{"useful": 4, "safe": 4, "wish": "Kiitos"}])
    assert summary.texts[0].answers == ("Kiitos",)
    assert set(vars(summary.texts[0])) == {"key", "answers"}


def test_question_added_after_some_responses_has_a_smaller_n():
    grown = define_questionnaire(
        FEEDBACK, [USEFUL, SAFE, WISH, Question("pace", "Oliko tahti sopiva?")]
    )
    responses = [{"useful": 4, "safe": 4}, {"useful": 4, "safe": 4, "pace": 3}]
    pace = summarise_feedback(grown, responses).scales[2]
    assert (pace.key, pace.n, pace.mean) == ("pace", 1, Decimal("3.00"))


def test_scale_question_nobody_answered_has_no_mean():
    summary = summarise_feedback(AFTER_SESSION, [])
    assert summary.scales[0].n == 0
    assert summary.scales[0].mean is None
    assert summary.scales[0].distribution == ((1, 0), (2, 0), (3, 0), (4, 0), (5, 0))


# self-assessment change


def test_change_is_measured_over_participants_who_answered_at_start_and_end():
    at_start = {1: {"calm": 2, "talk": 3}, 2: {"calm": 3, "talk": 3}, 3: {"calm": 1, "talk": 1}}
    at_end = {1: {"calm": 4, "talk": 4}, 2: {"calm": 4, "talk": 3}, 4: {"calm": 5, "talk": 5}}

    got = self_assessment_change(START_AND_END, at_start, at_end)

    assert got == (
        ItemChange(
            "calm",
            n=2,
            mean_start=Decimal("2.50"),
            mean_end=Decimal("4.00"),
            mean_change=Decimal("1.50"),
        ),
        ItemChange(
            "talk",
            n=2,
            mean_start=Decimal("3.00"),
            mean_end=Decimal("3.50"),
            mean_change=Decimal("0.50"),
        ),
    )


def test_participant_who_skipped_an_item_at_the_end_is_left_out_of_that_item_only():
    at_start = {1: {"calm": 2, "talk": 2}, 2: {"calm": 2, "talk": 2}}
    at_end = {1: {"calm": 3, "talk": 4}, 2: {"talk": 4}}
    calm, talk = self_assessment_change(START_AND_END, at_start, at_end)
    assert (calm.n, talk.n) == (1, 2)


def test_change_can_be_negative_and_rounds_half_away_from_zero():
    at_start = {p: {"calm": 3, "talk": 3} for p in range(8)}
    at_end = {p: {"calm": 3 if p else 2, "talk": 3} for p in range(8)}  # 23 / 8 - 3 = -0.125
    calm = self_assessment_change(START_AND_END, at_start, at_end)[0]
    assert calm.mean_change == Decimal("-0.13")
    assert calm.mean_end == Decimal("2.88")


def test_item_with_no_pairs_has_no_means():
    got = self_assessment_change(START_AND_END, {1: {"calm": 2, "talk": 2}}, {})
    assert got[0] == ItemChange("calm", n=0, mean_start=None, mean_end=None, mean_change=None)


def test_questionnaire_lookup_by_key():
    assert AFTER_SESSION.question("wish") == WISH
    assert Questionnaire(FEEDBACK, ()).question("wish") is None
