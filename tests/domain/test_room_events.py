"""Every room event type is defined once, with its properties, and named only through the enum."""

import ast
from pathlib import Path

from server.rooms.apply import APPLIED
from server.rooms.events import SPECS, STORED, EventType

ROOMS = Path(__file__).resolve().parents[2] / "server" / "rooms"
TYPE_NAMES = {t.value for t in EventType}


def test_every_event_type_has_one_spec():
    assert set(SPECS) == set(EventType)


def test_stored_events_are_the_ones_that_change_a_room_rebuilt_from_storage_or_are_logged():
    # A stored event that ``apply`` ignores would be replayed for nothing, except those kept
    # only for the moderation log (reports).
    assert {EventType.REPORT} == STORED - APPLIED


def bare_type_strings(source: str) -> list[str]:
    """Places that compare an event's type with a string literal instead of the enum."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            names_type = any(isinstance(s, ast.Attribute) and s.attr == "type" for s in sides)
            literals = [
                c.value
                for s in sides
                for c in ast.walk(s)
                if isinstance(c, ast.Constant) and c.value in TYPE_NAMES
            ]
            if names_type and literals:
                found.append(f"line {node.lineno}: {literals}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Event":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant):
                found.append(f"line {node.lineno}: Event({first.value!r}, ...)")
    return found


def test_the_check_finds_a_bare_type_string():
    assert bare_type_strings('if event.type == "message": pass')
    assert bare_type_strings('Event("message", {}, EVERYONE)')
    assert not bare_type_strings("if event.type is EventType.MESSAGE: pass")


def test_no_room_module_matches_event_types_by_bare_strings():
    offenders = {
        path.name: found
        for path in sorted(ROOMS.glob("*.py"))
        if (found := bare_type_strings(path.read_text()))
    }
    assert offenders == {}
