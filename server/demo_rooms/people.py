"""Simulated staff in the live demo rooms (demo only): a facilitator who admits and answers, and a
volunteer who is there, while no real one of their role is.

Each is a plain room client (``server.demo_rooms.client``): it reads the frames the room sends it
and answers with frames, under the room's rules like anyone. The facilitator admits whoever waits in
the lobby after ``admit_delay`` seconds and answers each visiting parent's first message once, in
the language the parent enrolled in; neither writes anything else, so the chat stays the visitors'.
Both leave as soon as a real staff member of their role comes online in the room, and when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from server.demo_rooms.client import Frame, HubClient, RoomClosed
from server.i18n import N_
from server.rooms.state import ParticipantRole

log = logging.getLogger(__name__)

REPLY_DELAY_SECONDS = 1.5
REPLY = N_(
    "Welcome, %(name)s! I am a simulated facilitator: this is a demo. In a real group a trained "
    "facilitator answers here. You can also run this room yourself: log in as the facilitator "
    "from the front page."
)

# How a simulated person finds the text of its reply to a parent: (parent's name) -> text.
Reply = Callable[[str], Awaitable[str]]


@dataclass
class Crew:
    """What the simulated people of one room remember together, across their comings and goings:
    who they are, who wrote the history, and whom the facilitator has answered."""

    simulated: set[str] = field(default_factory=set)  # peers of the simulated people
    history: set[str] = field(default_factory=set)  # names of the demo parents of the history
    answered: set[str] = field(default_factory=set)  # peers answered once


class SimulatedStaff:
    """One simulated staff member in one room, from its entry until it leaves."""

    def __init__(
        self,
        client: HubClient,
        role: ParticipantRole,
        crew: Crew,
        admit_delay: float,
        reply: Reply,
    ) -> None:
        self.client = client
        self.role = role
        self.crew = crew
        self.admit_delay = admit_delay
        self.reply = reply
        self._due: list[tuple[float, str, Frame]] = []  # (when, peer, frame to send)
        self._loop = asyncio.get_running_loop()

    @property
    def leads(self) -> bool:
        return self.role is ParticipantRole.FACILITATOR

    def _later(self, seconds: float, peer: str, frame: Frame) -> None:
        self._due.append((self._loop.time() + seconds, peer, frame))

    def _admit_later(self, peer: str) -> None:
        if self.leads:
            self._later(self.admit_delay, peer, {"type": "admit", "peer": peer})

    async def run(self) -> None:
        """React to the room until leaving it; always leaves."""
        try:
            if any(self._real_colleague(m) for m in self.client.welcome.get("members", [])):
                return  # someone of this role was here already
            for waiting in self.client.welcome.get("lobby", []):
                self._admit_later(waiting["peer"])
            while True:
                wait = min((when for when, _, _ in self._due), default=None)
                frame = await self.client.next(
                    None if wait is None else max(wait - self._loop.time(), 0.0)
                )
                if frame is not None and not await self._react(frame):
                    return
                await self._send_due()
        except RoomClosed:
            pass
        except Exception as error:  # a demo helper must never take anything else down
            log.warning("a simulated %s stopped (%s)", self.role.value, type(error).__name__)
        finally:
            await self.client.leave()

    async def _react(self, frame: Frame) -> bool:
        """Handle one frame; False to leave the room."""
        kind = frame["type"]
        if kind == "lobby_joined":
            self._admit_later(frame["peer"])
        elif kind == "lobby_left":
            self._due = [d for d in self._due if d[1] != frame["peer"]]
        elif kind in ("presence", "room") and self._time_to_go(frame):
            return False
        elif kind == "message" and self.leads and self._first_from_a_visitor(frame):
            self.crew.answered.add(frame["peer"])
            text = await self.reply(frame["name"])
            self._later(REPLY_DELAY_SECONDS, frame["peer"], self._message(text))
        return True

    def _time_to_go(self, frame: Frame) -> bool:
        """A real colleague of this role came online, or the room ended."""
        if frame["type"] == "room":
            return bool(frame.get("status") == "ended")
        return bool(frame.get("online")) and self._real_colleague(frame)

    def _real_colleague(self, frame: Frame) -> bool:
        """Someone who is not simulated has come online in this person's role."""
        return frame.get("role") == self.role.value and frame["peer"] not in self.crew.simulated

    def _first_from_a_visitor(self, frame: Frame) -> bool:
        return (
            frame.get("role") == ParticipantRole.PARENT.value
            and frame["peer"] not in self.crew.answered
            and frame.get("name") not in self.crew.history
        )

    @staticmethod
    def _message(text: str) -> Frame:
        return {"type": "send", "cid": uuid.uuid4().hex, "text": text}

    async def _send_due(self) -> None:
        now = self._loop.time()
        due = [d for d in self._due if d[0] <= now]
        self._due = [d for d in self._due if d[0] > now]
        for _, _, frame in due:
            await self.client.send(**frame)
