"""Who may book an individual time and who may enter its room (pure rules)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.errors import ErrorCode, TupaError
from server.scheduling.individual_rules import (
    check_bookable,
    check_limit,
    check_releasable,
    individual_media,
    may_enter,
)
from server.scheduling.series import MediaMode

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def bookable(**overrides: object) -> None:
    fields: dict[str, object] = {
        "enrolment_status": "enrolled",
        "time_status": "planned",
        "starts_at": LATER,
        "taken_by_another": False,
        "held": 0,
        "limit": 1,
        "now": NOW,
    }
    check_bookable(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"enrolment_status": "waitlisted"}, ErrorCode.FORBIDDEN),
        ({"enrolment_status": "banned"}, ErrorCode.FORBIDDEN),
        ({"time_status": "cancelled"}, ErrorCode.SESSION_CANCELLED),
        ({"starts_at": NOW}, ErrorCode.SESSION_IN_PAST),
        ({"taken_by_another": True}, ErrorCode.TIME_TAKEN),
        ({"held": 1}, ErrorCode.BOOKING_LIMIT),
        ({"held": 3, "limit": 3}, ErrorCode.BOOKING_LIMIT),
    ],
)
def test_a_booking_is_refused_for_each_reason_with_its_code(overrides, code):
    with pytest.raises(TupaError) as error:
        bookable(**overrides)
    assert error.value.code is code


def test_a_parent_with_a_seat_books_a_free_future_time_below_their_limit():
    bookable()
    bookable(held=2, limit=3)


@given(kind=st.sampled_from(["group", "individual"]), booked=st.none() | st.integers(1, 5))
def test_only_the_booked_parent_enters_an_individual_room(kind, booked):
    for enrolment_id in range(1, 6):
        allowed = may_enter(kind, booked, enrolment_id)
        assert allowed is (kind == "group" or booked == enrolment_id)


def test_a_booking_is_released_only_before_its_time_begins():
    check_releasable("planned", LATER, NOW)
    for status, starts in (("cancelled", LATER), ("planned", NOW)):
        with pytest.raises(TupaError):
            check_releasable(status, starts, NOW)


def test_the_limit_is_one_to_ten_and_a_stage_series_meets_on_video_for_the_two():
    for good in (1, 10):
        check_limit(good)
    for bad in (0, 11):
        with pytest.raises(TupaError):
            check_limit(bad)
    assert individual_media(MediaMode.STAGE) is MediaMode.GROUP
    assert individual_media(MediaMode.CHAT) is MediaMode.CHAT
