from datetime import UTC, datetime, timedelta

from server.people.roles import Role, public_name
from server.scheduling.reminders import reminder_due

T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def test_volunteer_is_shown_by_alias_only():
    assert public_name(Role.VOLUNTEER, "Veera Virtanen", "Aino") == "Aino"
    assert public_name(Role.FACILITATOR, "Olli Ohjaaja", None) == "Olli Ohjaaja"


def test_volunteer_without_alias_never_falls_back_to_real_name():
    try:
        public_name(Role.VOLUNTEER, "Veera Virtanen", None)
    except ValueError:
        return
    raise AssertionError("a volunteer without an alias must not be shown")


START = T0 + timedelta(days=2)
OFFSETS = [24 * 60, 60]


def test_no_reminder_before_the_first_offset():
    assert reminder_due(START, OFFSETS, START - timedelta(hours=25)) is None


def test_day_before_reminder_is_due_within_24_hours():
    assert reminder_due(START, OFFSETS, START - timedelta(hours=23)) == 24 * 60


def test_hour_before_reminder_wins_when_both_have_passed():
    assert reminder_due(START, OFFSETS, START - timedelta(minutes=30)) == 60


def test_no_reminder_once_the_session_has_started():
    assert reminder_due(START, OFFSETS, START) is None
