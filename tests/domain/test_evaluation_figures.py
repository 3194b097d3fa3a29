from decimal import Decimal

import pytest

from server.errors import ErrorCode, TupaError
from server.evaluation.figures import (
    Cohort,
    Commitment,
    Funnel,
    attendance_per_session,
    commitment,
    funnel,
    program_figures,
    series_figures,
)


def cohort_from(rows: dict[int, str], first_session: int = 101) -> Cohort:
    """A cohort drawn as a matrix: one row per participant, "x" where they attended a session."""
    width = len(next(iter(rows.values()))) if rows else 0
    sessions = tuple(range(first_session, first_session + width))
    return Cohort(
        enrolled=tuple(rows),
        sessions_held=sessions,
        attendance=frozenset(
            (p, sessions[i]) for p, row in rows.items() for i, mark in enumerate(row) if mark == "x"
        ),
    )


SMALL = cohort_from(
    {
        1: "xxxx",  # every session
        2: "x.x.",  # exactly half
        3: "x...",  # came once
        4: "....",  # never came
    }
)


def seed_rows() -> dict[int, str]:
    """The first cohort of Vanhemmalta vanhemmalle: 21 enrolled, 18 started, 14 completed.

    33 sessions held. Participants 1–8 completed but missed two sessions each, 9–14 came every
    time, 15–18 dropped out after 16, 15, 14 and 12 sessions, and 19–21 never came.
    """
    held = 33
    rows: dict[int, str] = {}
    for p in range(1, 9):
        rows[p] = "".join("." if i in (p, p + 10) else "x" for i in range(held))
    for p in range(9, 15):
        rows[p] = "x" * held
    for p, stayed in zip(range(15, 19), (16, 15, 14, 12), strict=True):
        rows[p] = "x" * stayed + "." * (held - stayed)
    for p in range(19, 22):
        rows[p] = "." * held
    return rows


def seed_cohort() -> Cohort:
    return cohort_from(seed_rows())


# funnel


def test_funnel_counts_enrolled_started_and_completed_from_the_matrix():
    assert funnel(SMALL) == Funnel(enrolled=4, started=3, completed=2)


def test_seed_cohort_funnel_is_21_enrolled_18_started_14_completed():
    assert funnel(seed_cohort()) == Funnel(enrolled=21, started=18, completed=14)


def test_attending_17_of_33_sessions_completes_and_16_does_not():
    cohort = cohort_from({1: "x" * 17 + "." * 16, 2: "x" * 16 + "." * 17})
    assert funnel(cohort).completed == 1


def test_completion_share_is_a_parameter():
    assert funnel(SMALL, completion_share=Decimal("0.75")).completed == 1
    assert funnel(SMALL, completion_share=Decimal("0.25")).completed == 3


@pytest.mark.parametrize("share", [0, Decimal("1.5")])
def test_completion_share_must_be_above_zero_and_at_most_one(share):
    with pytest.raises(TupaError) as error:
        funnel(SMALL, completion_share=share)
    assert error.value.code is ErrorCode.INVALID_INPUT
    assert error.value.params["field"] == "completion_share"


def test_when_nothing_was_held_nobody_started_or_completed():
    cohort = Cohort(enrolled=(1, 2, 3), sessions_held=(), attendance=frozenset())
    assert funnel(cohort) == Funnel(enrolled=3, started=0, completed=0)


def test_attendance_of_someone_not_enrolled_or_at_a_session_not_held_is_not_counted():
    cohort = Cohort(
        enrolled=(1,),
        sessions_held=(101, 102),
        attendance=frozenset({(1, 101), (99, 101), (99, 102), (1, 555)}),
    )
    assert funnel(cohort) == Funnel(enrolled=1, started=1, completed=1)
    assert attendance_per_session(cohort) == ((101, 1), (102, 0))
    assert commitment(cohort).attendances == 1


def test_participant_enrolled_twice_is_refused():
    with pytest.raises(ValueError):
        Cohort(enrolled=(1, 1), sessions_held=(101,), attendance=frozenset())


# attendance per session


def test_attendance_per_held_session_is_in_the_order_sessions_were_held():
    assert attendance_per_session(SMALL) == ((101, 3), (102, 1), (103, 2), (104, 1))


def test_seed_cohort_attendance_per_session_adds_up_to_503():
    per_session = attendance_per_session(seed_cohort())
    assert len(per_session) == 33
    assert sum(n for _, n in per_session) == 503
    assert per_session[0] == (101, 18)  # everyone who started came to the first session


# commitment


def test_commitment_is_attendances_over_started_times_held():
    assert commitment(SMALL) == Commitment(attendances=7, started=3, sessions_held=4, places=12)
    assert commitment(SMALL).percentage == Decimal("58.33")


def test_commitment_of_seed_cohort_is_84_68_percent():
    got = commitment(seed_cohort())
    assert got == Commitment(attendances=503, started=18, sessions_held=33, places=594)
    assert got.percentage == Decimal("84.68")


def test_parents_who_never_started_do_not_lower_the_commitment():
    everyone_came = cohort_from({1: "xx", 2: "xx", 3: ".."})
    assert commitment(everyone_came).percentage == Decimal("100.00")


def test_commitment_rounds_half_up_to_two_decimals():
    assert Commitment(attendances=1, started=40, sessions_held=20, places=800).percentage == (
        Decimal("0.13")
    )


def test_commitment_is_none_when_nothing_was_held():
    cohort = Cohort(enrolled=(1, 2), sessions_held=(), attendance=frozenset())
    assert commitment(cohort).percentage is None


def test_commitment_is_none_when_nobody_started():
    assert commitment(cohort_from({1: "...", 2: "..."})).percentage is None


def test_series_figures_bundle_funnel_attendance_and_commitment():
    figures = series_figures(SMALL)
    assert figures.funnel == funnel(SMALL)
    assert figures.attendance_per_session == attendance_per_session(SMALL)
    assert figures.commitment == commitment(SMALL)


# program level


def test_program_commitment_is_the_ratio_of_sums_not_the_mean_of_percentages():
    small_full = cohort_from({p: "x" * 10 for p in range(1, 5)})  # 4 started, 40/40 = 100 %
    large_half = cohort_from({p: "x" * 5 + "." * 5 for p in range(1, 21)}, first_session=201)
    assert commitment(small_full).percentage == Decimal("100.00")
    assert commitment(large_half).percentage == Decimal("50.00")

    program = program_figures([small_full, large_half])

    assert program.commitment.attendances == 140
    assert program.commitment.places == 240
    assert program.commitment.percentage == Decimal("58.33")  # not 75.00


def test_program_funnel_sums_the_series_funnels():
    program = program_figures([SMALL, seed_cohort()])
    assert program.series == 2
    assert program.funnel == Funnel(enrolled=25, started=21, completed=16)


def test_program_without_series_has_no_commitment():
    program = program_figures([])
    assert program.funnel == Funnel(0, 0, 0)
    assert program.commitment.percentage is None
