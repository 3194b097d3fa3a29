from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.errors import ErrorCode, TupaError
from server.evaluation.attendance import (
    AttendanceMark,
    AttendanceWindow,
    Presence,
    SessionRun,
    attendance_window,
    attended,
    attended_session,
    time_present,
)

# Tuesday 13 October 2026, 18:00–19:30 in Helsinki.
START = datetime(2026, 10, 13, 15, 0, tzinfo=UTC)
END = START + timedelta(minutes=90)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def run(opened: float | None, ended: float | None = None) -> SessionRun:
    return SessionRun(
        scheduled_start=START,
        scheduled_end=END,
        opened_at=None if opened is None else at(opened),
        ended_at=None if ended is None else at(ended),
    )


# time present


def test_overlapping_connections_from_phone_and_laptop_count_once():
    phone = Presence(at(0), at(60))
    laptop = Presence(at(30), at(75))
    assert time_present([phone, laptop], START, END) == minutes(75)


def test_three_connections_at_once_count_once():
    tabs = [Presence(at(10), at(40)), Presence(at(10), at(40)), Presence(at(20), at(30))]
    assert time_present(tabs, START, END) == minutes(30)


def test_reconnects_after_a_dropped_network_add_up():
    stints = [Presence(at(0), at(20)), Presence(at(25), at(50)), Presence(at(60), at(70))]
    assert time_present(stints, START, END) == minutes(55)


def test_connection_that_is_still_open_runs_to_the_end_of_the_window():
    assert time_present([Presence(at(60))], START, END) == minutes(30)


def test_time_in_the_room_before_the_start_or_after_the_end_does_not_count():
    assert time_present([Presence(at(-15), at(100))], START, END) == minutes(90)


def test_connection_entirely_outside_the_window_counts_nothing():
    assert time_present([Presence(at(-30), at(-5)), Presence(at(95))], START, END) == minutes(0)


def test_nobody_connected_means_no_time_present():
    assert time_present([], START, END) == timedelta(0)


def test_intervals_touching_end_to_end_add_up_without_a_gap():
    assert time_present([Presence(at(0), at(30)), Presence(at(30), at(45))], START, END) == minutes(
        45
    )


def test_connection_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Presence(at(10), at(5))


def test_times_without_a_timezone_are_refused():
    with pytest.raises(ValueError):
        Presence(datetime(2026, 10, 13, 15, 0))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(-20, 110), st.integers(0, 60), st.booleans()),
        max_size=6,
    )
)
def test_time_present_equals_the_minutes_covered_by_any_connection(raw):
    intervals = [
        Presence(at(s), None if still_open else at(s + length)) for s, length, still_open in raw
    ]
    covered = {
        m
        for s, length, still_open in raw
        for m in range(max(s, 0), min(90 if still_open else s + length, 90))
    }
    assert time_present(intervals, START, END) == minutes(len(covered))


# the attendance window


def test_session_nobody_opened_was_not_held_and_has_no_window():
    assert not run(opened=None).held
    assert attendance_window(run(opened=None)) is None


def test_opening_the_room_early_does_not_lengthen_the_window():
    assert attendance_window(run(opened=-15, ended=90)) == AttendanceWindow(START, END)


def test_opening_late_starts_the_window_at_the_opening():
    assert attendance_window(run(opened=10, ended=90)) == AttendanceWindow(at(10), END)


def test_ending_early_ends_the_window_at_the_end():
    assert attendance_window(run(opened=0, ended=60)) == AttendanceWindow(START, at(60))


def test_running_over_time_does_not_lengthen_the_window():
    assert attendance_window(run(opened=0, ended=120)) == AttendanceWindow(START, END)


def test_session_nobody_ended_runs_to_its_scheduled_end():
    assert attendance_window(run(opened=0)) == AttendanceWindow(START, END)


def test_session_run_entirely_outside_its_schedule_is_measured_by_its_actual_run():
    assert attendance_window(run(opened=120, ended=180)) == AttendanceWindow(at(120), at(180))


def test_session_opened_after_its_scheduled_end_and_never_ended_lasts_its_planned_length():
    assert attendance_window(run(opened=120)) == AttendanceWindow(at(120), at(210))


def test_room_opened_and_ended_at_once_has_a_zero_length_window():
    window = attendance_window(run(opened=30, ended=30))
    assert window is not None
    assert window.length == timedelta(0)


def test_session_cannot_end_without_being_opened():
    with pytest.raises(ValueError):
        SessionRun(START, END, opened_at=None, ended_at=at(60))


# attended


def test_present_for_exactly_half_of_the_window_is_attending():
    assert attended(minutes(45), minutes(90))


def test_present_for_just_under_half_is_not_attending():
    assert not attended(minutes(45) - timedelta(microseconds=1), minutes(90))


def test_required_share_can_be_raised_by_the_organisation():
    assert not attended(minutes(60), minutes(90), required_share=Decimal("0.75"))
    assert attended(minutes(68), minutes(90), required_share=0.75)


def test_required_share_of_one_means_the_whole_session():
    assert attended(minutes(90), minutes(90), required_share=1)
    assert not attended(minutes(89), minutes(90), required_share=1)


def test_nobody_attends_a_zero_length_window():
    assert not attended(timedelta(0), timedelta(0))
    assert not attended(minutes(5), timedelta(0))


@pytest.mark.parametrize("share", [0, Decimal("-0.1"), Decimal("1.01"), 2])
def test_required_share_must_be_above_zero_and_at_most_one(share):
    with pytest.raises(TupaError) as error:
        attended(minutes(45), minutes(90), required_share=share)
    assert error.value.code is ErrorCode.INVALID_INPUT
    assert error.value.params["field"] == "required_share"


def test_parent_whose_connection_dropped_halfway_and_came_back_attended():
    stints = [Presence(at(-5), at(30)), Presence(at(50), at(70))]
    assert attended_session(stints, run(opened=-10, ended=95))


def test_parent_who_looked_in_for_ten_minutes_did_not_attend():
    assert not attended_session([Presence(at(20), at(30))], run(opened=0, ended=90))


def test_parent_attends_a_session_that_opened_late_when_present_for_half_of_what_was_held():
    # Opened at 18:40 instead of 18:00: 50 minutes held, 25 of them present.
    assert attended_session([Presence(at(65))], run(opened=40))


def test_nobody_attends_a_session_that_was_not_held():
    assert not attended_session([Presence(at(0), at(90))], run(opened=None))


# staff corrections


def test_computed_attendance_counts_when_staff_made_no_correction():
    assert AttendanceMark(computed=True).counts
    assert not AttendanceMark(computed=False).counts


def test_staff_correction_overrides_the_computed_attendance_both_ways():
    assert AttendanceMark(computed=False, corrected=True).counts
    assert not AttendanceMark(computed=True, corrected=False).counts
    assert AttendanceMark(computed=True, corrected=False).is_corrected
