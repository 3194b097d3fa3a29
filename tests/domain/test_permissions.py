"""Every permission rule as a table: role and facts in, allowed or not out."""

import pytest

from server import permissions as may
from server.people.roles import Role
from server.rooms.state import ParticipantRole

PARENT, VOLUNTEER, FACILITATOR, COORDINATOR = (
    ParticipantRole.PARENT,
    ParticipantRole.VOLUNTEER,
    ParticipantRole.FACILITATOR,
    ParticipantRole.COORDINATOR,
)

# role, volunteers moderate in this room -> moderates
MODERATES = [
    (PARENT, False, False),
    (PARENT, True, False),
    (VOLUNTEER, False, False),
    (VOLUNTEER, True, True),
    (FACILITATOR, False, True),
    (FACILITATOR, True, True),
    (COORDINATOR, False, True),
    (COORDINATOR, True, True),
]

# role, assigned to the series -> enters its rooms, runs it (attendance, report, bans)
SERIES = [
    (VOLUNTEER, False, False, False),
    (VOLUNTEER, True, True, False),
    (FACILITATOR, False, False, False),
    (FACILITATOR, True, True, True),
    (COORDINATOR, False, True, True),
    (COORDINATOR, True, True, True),
]

# role -> coordinator pages, every series, exports, free text
COORDINATOR_ONLY = [
    (PARENT, False),
    (VOLUNTEER, False),
    (FACILITATOR, False),
    (COORDINATOR, True),
]


@pytest.mark.parametrize(("role", "volunteers_moderate", "expected"), MODERATES)
def test_who_moderates_a_room(role, volunteers_moderate, expected):
    assert may.moderates_room(role, volunteers_moderate) is expected


@pytest.mark.parametrize(("role", "assigned", "enters", "runs"), SERIES)
def test_who_enters_a_series_rooms_and_who_runs_the_series(role, assigned, enters, runs):
    assert may.may_enter_room(role, assigned) is enters
    assert may.runs_series(role, assigned) is runs


@pytest.mark.parametrize(("role", "expected"), COORDINATOR_ONLY)
def test_only_coordinators_see_every_series_export_reports_and_read_free_text(role, expected):
    assert may.is_coordinator(role) is expected
    assert may.sees_every_series(role) is expected
    assert may.may_export_reports(role) is expected
    assert may.may_read_free_text(role) is expected


@pytest.mark.parametrize("role", list(Role))
def test_a_staff_role_a_room_role_and_a_stored_string_get_the_same_answer(role):
    as_room_role = ParticipantRole(role.value)
    for assigned in (False, True):
        answers = {
            (
                may.runs_series(r, assigned),
                may.may_enter_room(r, assigned),
                may.moderates_room(r, assigned),
            )
            for r in (role, as_room_role, role.value)
        }
        assert len(answers) == 1


def test_a_parent_enters_with_a_seat_and_a_drop_in_viewer_only_where_drop_in_is_live():
    assert may.parent_may_enter_room("enrolled", drop_in_live=False)
    assert may.parent_may_enter_room("drop_in", drop_in_live=True)
    assert not may.parent_may_enter_room("drop_in", drop_in_live=False)
    for ended in ("waitlisted", "withdrawn", "removed", "banned", "pending_review", "refused"):
        assert not may.parent_may_enter_room(ended, drop_in_live=True)
