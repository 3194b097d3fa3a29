"""Helpers for the tests of the live demo rooms (server/demo_rooms): cheap password hashing for
the accounts they make, and a hub with the demo's simulated staff on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from server.demo_rooms.supervisor import DemoPeople
from server.organisation import Organisation
from server.rooms.bus import MemoryBus
from server.rooms.hub import RoomHub
from server.storage.db import Database

OPENS_BEFORE = timedelta(minutes=30)


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
