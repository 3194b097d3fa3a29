"""The room's question before a post that looks like identifying details (pure; time is
passed in).

A parent's (or a volunteer's) ``send``, ``private`` or ``ask`` whose text looks like a phone
number, an address or an identity code (``identifying``) is not stored at first: the writer is
asked (a ``check`` frame). Sent again with ``confirmed``, it is posted flagged for moderators, and
the moderation log says that a warning was shown and overridden, never the text.
"""

from __future__ import annotations

from datetime import datetime

from server.rooms import commands as c
from server.rooms.decision import Decision
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.identifying import kinds
from server.rooms.state import Member, ParticipantRole

# Whose writing the room checks for identifying details before posting it: parents and
# volunteers, who take part under a pseudonym or an alias. Facilitators and coordinators post the
# organisation's own contact details on purpose; asking them every time would teach everyone to
# click past the question.
CHECKED_ROLES = frozenset({ParticipantRole.PARENT, ParticipantRole.VOLUNTEER})


def ask_first(
    actor: Member, command: c.Send | c.Private | c.Ask, now: datetime
) -> tuple[Decision | None, list[Event], list[str]]:
    """The room's question about identifying details: a decision that asks it (nothing stored),
    or, when the writer sends anyway, the event that logs so and the kinds to flag the post with."""
    if actor.role not in CHECKED_ROLES:
        return None, [], []
    found = [kind.value for kind in kinds(command.text)]
    if not found:
        return None, [], []
    if not command.confirmed:
        return Decision(check=found), [], []
    into = {c.Send: "message", c.Private: "private", c.Ask: "question"}[type(command)]
    data = {"peer": actor.peer, "findings": found, "in": into, "at": now.isoformat()}
    return None, [Event(EventType.WARNING_OVERRIDDEN, data, NOBODY, actor.peer)], found


def flags(flagged: list[str]) -> dict[str, object]:
    """What a post sent after the question carries for moderators (``Event.wire`` hides it)."""
    return {"flagged": flagged} if flagged else {}
