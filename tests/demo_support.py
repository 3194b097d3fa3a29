"""Helpers for the tests of the live demo rooms (server/demo_rooms): cheap password hashing for
the accounts they make, and a hub with the demo's simulated staff on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from server.demo_rooms.supervisor import DemoPeople
from server.organisation import Organisation
from server.people import passwords
from server.rooms.bus import MemoryBus
from server.rooms.hub import RoomHub
from server.storage.db import Database

OPENS_BEFORE = timedelta(minutes=30)


def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo makes staff accounts (two simulated, three public); what a password costs to check
    is not the subject, and Argon2's real cost makes each test take seconds."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@dataclass
class DemoHub:
    hub: RoomHub
    people: DemoPeople


async def a_demo_hub(database: Database, org: Organisation, clock: Any) -> DemoHub:
    """A started hub on an in-process bus, and the simulated staff (not started: the test turns
    their rounds with ``tend_once``), who admit at once and come back at once."""
    hub = RoomHub(database, MemoryBus(), clock, OPENS_BEFORE, org=org)
    await hub.start()
    people = DemoPeople(
        hub, database, clock, org, OPENS_BEFORE, 0.0, "fi", tick=0.05, rejoin_after=0.0
    )
    return DemoHub(hub, people)
