"""What the parent's page offers for a session: joining now, later, never (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from server.scheduling.joining import Joining, session_joining
from server.scheduling.series import SessionStatus

START = datetime(2026, 10, 19, 15, 0, tzinfo=UTC)
OPENS_BEFORE = timedelta(minutes=30)


def joining(now, enrolment="enrolled", session=SessionStatus.PLANNED, room_ended=False):
    return session_joining(enrolment, session, START, 90, room_ended, now, OPENS_BEFORE)


def test_joining_opens_the_configured_time_before_the_start():
    before = joining(START - timedelta(minutes=31))
    assert before.state is Joining.LATER
    assert before.opens_at == START - OPENS_BEFORE
    assert joining(START - timedelta(minutes=30)).state is Joining.OPEN


def test_a_session_past_its_time_or_ended_by_the_facilitator_is_ended():
    assert joining(START + timedelta(hours=3)).state is Joining.ENDED
    assert joining(START + timedelta(minutes=10), room_ended=True).state is Joining.ENDED


def test_a_cancelled_session_is_never_joined():
    assert joining(START, session=SessionStatus.CANCELLED).state is Joining.CANCELLED


@pytest.mark.parametrize(
    "status", ["waitlisted", "pending_review", "banned", "removed", "withdrawn", "refused"]
)
def test_only_an_enrolment_with_a_seat_is_offered_the_room(status):
    assert joining(START, enrolment=status).state is Joining.NOT_PARTICIPATING
    assert joining(START - timedelta(hours=5), enrolment=status).state is Joining.NOT_PARTICIPATING
