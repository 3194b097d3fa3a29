from decimal import Decimal

import pytest

from server.errors import ErrorCode, TupaError
from server.evaluation.disclosure import (
    DisclosedFunnel,
    disclose_commitment,
    disclose_count,
    disclose_distribution,
    disclose_free_text,
    disclose_funnel,
    disclose_mean,
    disclose_percentage,
    may_show_free_text,
)
from server.evaluation.figures import Commitment, Funnel
from server.evaluation.questionnaires import TextAnswers

# counts


@pytest.mark.parametrize("count", [0, 1, 2])
def test_count_below_three_is_suppressed(count):
    assert disclose_count(count) is None


def test_count_of_three_or_more_is_shown():
    assert disclose_count(3) == 3
    assert disclose_count(18) == 18


def test_threshold_is_a_parameter():
    assert disclose_count(4, threshold=5) is None
    assert disclose_count(5, threshold=5) == 5


def test_threshold_must_be_at_least_one():
    with pytest.raises(TupaError) as error:
        disclose_count(3, threshold=0)
    assert error.value.code is ErrorCode.INVALID_INPUT
    assert error.value.params["field"] == "threshold"


# derived figures


def test_mean_over_fewer_than_three_answers_is_suppressed():
    assert disclose_mean(Decimal("4.50"), n=2) is None
    assert disclose_mean(Decimal("4.33"), n=3) == Decimal("4.33")


def test_mean_of_nobody_stays_absent():
    assert disclose_mean(None, n=0) is None


@pytest.mark.parametrize(("numerator", "denominator"), [(2, 20), (2, 2), (0, 10)])
def test_percentage_with_a_small_numerator_or_denominator_is_suppressed(numerator, denominator):
    assert disclose_percentage(Decimal("10.00"), numerator, denominator) is None


def test_percentage_with_enough_behind_it_is_shown():
    assert disclose_percentage(Decimal("30.00"), 3, 10) == Decimal("30.00")


def test_seed_cohort_commitment_may_be_shown():
    seed = Commitment(attendances=503, started=18, sessions_held=33, places=594)
    assert disclose_commitment(seed) == Decimal("84.68")


def test_commitment_of_two_parents_is_suppressed_although_it_counts_many_places():
    two_parents = Commitment(attendances=15, started=2, sessions_held=10, places=20)
    assert disclose_commitment(two_parents) is None


def test_commitment_with_hardly_any_attendance_is_suppressed():
    assert (
        disclose_commitment(Commitment(attendances=2, started=5, sessions_held=8, places=40))
        is None
    )


# funnel


def test_seed_cohort_funnel_is_shown_whole():
    assert disclose_funnel(Funnel(21, 18, 14)) == DisclosedFunnel(21, 18, 14)


def test_stage_one_below_the_previous_is_suppressed_since_the_drop_points_at_one_person():
    assert disclose_funnel(Funnel(21, 20, 14)) == DisclosedFunnel(21, None, 14)


def test_drop_is_measured_from_the_last_stage_shown():
    assert disclose_funnel(Funnel(21, 20, 19)) == DisclosedFunnel(21, None, None)
    assert disclose_funnel(Funnel(21, 20, 18)) == DisclosedFunnel(21, None, 18)


def test_drop_of_zero_stays_shown():
    assert disclose_funnel(Funnel(8, 8, 8)) == DisclosedFunnel(8, 8, 8)


def test_small_funnel_stages_are_suppressed():
    assert disclose_funnel(Funnel(4, 2, 1)) == DisclosedFunnel(4, None, None)


# distribution


def test_distribution_with_no_small_cells_is_shown_whole():
    cells = ((1, 3), (2, 4), (3, 5))
    assert disclose_distribution(cells) == cells


def test_hidden_cells_totalling_under_three_take_the_smallest_shown_cell_with_them():
    # n = 10 is shown, so the hidden cells add up to 10 minus the shown ones: here to one person.
    got = disclose_distribution(((1, 0), (2, 0), (3, 1), (4, 5), (5, 4)))
    assert got == ((1, None), (2, None), (3, None), (4, 5), (5, None))


def test_hidden_zeros_do_not_reveal_that_everyone_chose_the_same():
    got = disclose_distribution(((1, 0), (2, 0), (3, 0), (4, 0), (5, 8)))
    assert got == ((1, None), (2, None), (3, None), (4, None), (5, None))


def test_hidden_cells_that_together_reach_the_threshold_take_nothing_else():
    got = disclose_distribution(((1, 2), (2, 1), (3, 4), (4, 6), (5, 5)))
    assert got == ((1, None), (2, None), (3, 4), (4, 6), (5, 5))


# free text


def test_free_text_is_shown_only_when_at_least_three_answered_the_questionnaire():
    texts = TextAnswers("wish", ("Kiitos", "Lisää aikaa"))
    assert not may_show_free_text(2)
    assert disclose_free_text(texts, respondents=2) is None
    assert may_show_free_text(3)
    assert disclose_free_text(texts, respondents=3) == ("Kiitos", "Lisää aikaa")
