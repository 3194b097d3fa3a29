"""Who may see, moderate, export and read what: Tupa's permission rules in one place (pure).

Routes and the room ask here rather than comparing roles themselves. A rule takes a role and
plain facts (is this person assigned to the series, does this room let volunteers moderate) and
returns a bool. A role is a staff ``Role``, a room's ``ParticipantRole`` or a row's string: they
share their values ("coordinator", "facilitator", "volunteer", and "parent" in rooms).
"""

from __future__ import annotations

from server.people.roles import Role

# Staff who lead a group: they moderate every room they are in and run their series.
LEADERS = frozenset({Role.FACILITATOR, Role.COORDINATOR})


def is_coordinator(role: str) -> bool:
    """Coordinators run this Tupa: the staff accounts, planning and deciding series, and the
    coordinator-only pages."""
    return role == Role.COORDINATOR


def sees_every_series(role: str) -> bool:
    """Coordinators see every series on their dashboard; other staff see their own sessions."""
    return is_coordinator(role)


def moderates_room(role: str, volunteers_moderate: bool) -> bool:
    """Facilitators and coordinators moderate a room; volunteers only where the room lets them.
    Parents never do."""
    if role in LEADERS:
        return True
    return role == Role.VOLUNTEER and volunteers_moderate


def may_enter_room(role: str, assigned: bool) -> bool:
    """A signed-in staff member may enter a session's room (and open its page): coordinators
    anywhere, others where they are assigned to the series."""
    return is_coordinator(role) or assigned


def parent_may_enter_room(enrolment_status: str, drop_in_live: bool) -> bool:
    """A parent enters a room of their series with a seat; a drop-in visitor (issue 16) only
    while the series lets visitors drop in to its stage sessions (``drop_in_live``)."""
    if enrolment_status == "enrolled":
        return True
    return enrolment_status == "drop_in" and drop_in_live


def runs_series(role: str, assigned: bool) -> bool:
    """Coordinators, and the facilitators assigned to the series, keep its attendance, see its
    evaluation report, and ban from it and lift bans. Volunteers do none of this."""
    return is_coordinator(role) or (assigned and role == Role.FACILITATOR)


def reads_accessibility_feedback(role: str) -> bool:
    """Feedback sent from the accessibility statement: the coordinators answer it."""
    return is_coordinator(role)


def may_export_reports(role: str) -> bool:
    """Only coordinators download evaluation reports (CSV, PDF), the form handed to funders."""
    return is_coordinator(role)


def may_read_free_text(role: str) -> bool:
    """Only coordinators read what parents wrote in their feedback (without names); facilitators
    see only totals of what their group said. Small-count suppression applies to everyone
    besides (``server.evaluation.disclosure``)."""
    return is_coordinator(role)
