"""The demo's staff accounts (demo only): the public ones a visitor logs in with, and the
simulated ones that keep the live demo rooms running when no visitor does.

The public accounts' password is named in the README. The simulated accounts get a random password
that is never stored anywhere but as its hash: nobody logs in with them; only the demo's own room
clients (``server.demo_rooms.people``) use them, from inside the process.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.people.roles import Role
from server.people.service import NewStaff, create_staff
from server.storage.tables import StaffRow

DEMO_PASSWORD = "tupa-demo-2026"  # noqa: S105 - public on purpose, named in the README


@dataclass(frozen=True)
class DemoAccount:
    email: str
    real_name: str
    role: Role
    alias: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("koordinaattori@demo.tupa.fi", "Kaisa Koordinaattori", Role.COORDINATOR),
    DemoAccount("ohjaaja@demo.tupa.fi", "Olli Ohjaaja", Role.FACILITATOR),
    DemoAccount(
        "vapaaehtoinen@demo.tupa.fi", "Veera Virtanen", Role.VOLUNTEER, alias="Kokemuskumppani Aino"
    ),
)
# Simulated people: "(demo)" in the name they are shown by, in every language.
SIMULATED_ACCOUNTS = (
    DemoAccount("simuloitu-ohjaaja@demo.tupa.fi", "Sanna (demo)", Role.FACILITATOR),
    DemoAccount(
        "simuloitu-vapaaehtoinen@demo.tupa.fi",
        "Eeva Esimerkki",
        Role.VOLUNTEER,
        alias="Kokemuskumppani Eeva (demo)",
    ),
)


async def _active(db: AsyncSession, accounts: tuple[DemoAccount, ...]) -> dict[Role, StaffRow]:
    emails = [a.email for a in accounts]
    rows = await db.scalars(
        select(StaffRow).where(StaffRow.email.in_(emails), StaffRow.deactivated_at.is_(None))
    )
    return {Role(row.role): row for row in rows}


async def public_staff(db: AsyncSession) -> dict[Role, StaffRow]:
    """The public demo accounts that are still active, by role."""
    return await _active(db, DEMO_ACCOUNTS)


async def simulated_staff(db: AsyncSession, now: datetime) -> dict[Role, StaffRow]:
    """The simulated facilitator and volunteer, made the first time they are asked for. One a
    coordinator deactivated stays away (it is not made again)."""
    emails = [a.email for a in SIMULATED_ACCOUNTS]
    existing = set(await db.scalars(select(StaffRow.email).where(StaffRow.email.in_(emails))))
    for account in SIMULATED_ACCOUNTS:
        if account.email not in existing:
            password = secrets.token_urlsafe(32)  # forgotten at once: nobody logs in with it
            new = NewStaff(account.email, account.real_name, account.role, password, account.alias)
            await create_staff(db, new, now)
    return await _active(db, SIMULATED_ACCOUNTS)
