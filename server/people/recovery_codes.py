"""Two-factor recovery codes: ten single-use codes that let a staff member in when the phone with
their authenticator app is lost.

They are shown once, when two-factor is turned on or the codes are made anew; the database keeps
each one's SHA-256 (80 random bits: a fast hash is enough for a value no one can guess), and using
a code deletes it. Making new codes ends the old ones.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import RecoveryCodeRow

HOW_MANY = 10
CODE_BYTES = 10  # 80 bits: 16 base32 characters, shown in groups of four
MAX_LENGTH = 40  # what the code field reads at most, separators included


def _normal(code: str) -> str:
    """The code as stored: lower case, separators and spaces gone."""
    return "".join(char for char in code.lower() if char.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _new_code() -> str:
    plain = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().lower()
    return "-".join(plain[i : i + 4] for i in range(0, len(plain), 4))


async def make_anew(db: AsyncSession, staff_id: int) -> list[str]:
    """Ten new codes in place of any earlier ones; the only time they exist in plain text."""
    await forget(db, staff_id)
    codes = [_new_code() for _ in range(HOW_MANY)]
    db.add_all(RecoveryCodeRow(staff_id=staff_id, code_hash=_hash(code)) for code in codes)
    await db.flush()
    return codes


async def use(db: AsyncSession, staff_id: int, code: str) -> bool:
    """Whether ``code`` is an unused code of this staff member; using it deletes it, so two
    requests with the same code cannot both succeed (the second deletes nothing)."""
    if not 1 <= len(code) <= MAX_LENGTH:
        return False
    result = await db.execute(
        delete(RecoveryCodeRow).where(
            RecoveryCodeRow.staff_id == staff_id, RecoveryCodeRow.code_hash == _hash(code)
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def remaining(db: AsyncSession, staff_id: int) -> int:
    count = await db.scalar(select(func.count()).where(RecoveryCodeRow.staff_id == staff_id))
    return int(count or 0)


async def forget(db: AsyncSession, staff_id: int) -> None:
    await db.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.staff_id == staff_id))
