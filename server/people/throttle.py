"""Failed password and code attempts, counted in the database that every instance shares.

The counters live in the database rather than in Redis: every installation has one (the embedded
setup has no Redis), and a failure is counted in the same unit of work that refuses it. The wait
comes before the check, not after it: the failure is written just before the refusal leaves, so
a client that hangs up rather than wait has it counted all the same, and no counter stays locked
while anyone waits. A counter's key is an HMAC of what it counts (a client address, an account,
or both) under a key derived from the secret key: the table holds no IP or e-mail address, and a
copy of it cannot be matched against a list of addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.people.throttle_rules import Count, Counter, ThrottleRules
from server.storage.tables import LoginFailureRow

# The failures that count: a wrong password, a wrong or reused code. Nothing else a form refuses.
COUNTED = frozenset({ErrorCode.LOGIN_FAILED, ErrorCode.TOTP_INVALID})


@dataclass(frozen=True)
class Attempt:
    """Who tries, from where: the account as an e-mail address (typed, or the signed-in staff
    member's), and the client address as the proxy handed it on."""

    account: str
    address: str


@dataclass(frozen=True)
class Throttle:
    rules: ThrottleRules
    secret: bytes  # Settings.derived_key("login-throttle")

    def keys(self, attempt: Attempt) -> dict[Counter, str]:
        account = attempt.account.strip().lower()
        parts = {
            Counter.ADDRESS: attempt.address,
            Counter.ACCOUNT: account,
            Counter.ACCOUNT_FROM_ADDRESS: f"{account}\n{attempt.address}",
        }
        return {
            counter: hmac.new(
                self.secret, f"{counter}\n{text}".encode(), hashlib.sha256
            ).hexdigest()
            for counter, text in parts.items()
        }

    async def before_check(self, db: AsyncSession, attempt: Attempt, now: datetime) -> float:
        """Seconds to wait before checking this attempt, from the failures counted so far. Raises
        TOO_MANY_ATTEMPTS (with ``until``) while this address must wait for this account; nothing
        is checked or counted then, so a waiting address costs no password hashing."""
        counts = await self._counts(db, self.keys(attempt))
        until = self.rules.waits_until(counts, now)
        if until is not None:
            raise TupaError(ErrorCode.TOO_MANY_ATTEMPTS, until=until)
        return self.rules.delay(counts, now)

    async def count_failure(self, db: AsyncSession, attempt: Attempt, now: datetime) -> None:
        """Count one failure on each counter, in the caller's unit of work: the caller answers
        the refusal itself, so that the unit of work commits (a raised error rolls it back)."""
        clears_at = self.rules.clears_at(now)
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        for key in self.keys(attempt).values():
            statement = insert(LoginFailureRow).values(
                key_hash=key, failures=1, clears_at=clears_at
            )
            # One statement, so two instances counting the same key at once both count.
            await db.execute(
                statement.on_conflict_do_update(
                    index_elements=[LoginFailureRow.key_hash],
                    set_={
                        "failures": case(
                            (LoginFailureRow.clears_at <= now, 1),
                            else_=LoginFailureRow.failures + 1,
                        ),
                        "clears_at": clears_at,
                    },
                )
            )
        await db.execute(delete(LoginFailureRow).where(LoginFailureRow.clears_at <= now))

    async def clear(self, db: AsyncSession, attempt: Attempt) -> None:
        """After a success: this account's failures from this address are forgotten (the
        address's and the account's own counters run on)."""
        key = self.keys(attempt)[Counter.ACCOUNT_FROM_ADDRESS]
        await db.execute(delete(LoginFailureRow).where(LoginFailureRow.key_hash == key))

    async def _counts(self, db: AsyncSession, keys: dict[Counter, str]) -> dict[Counter, Count]:
        rows = await db.execute(
            select(
                LoginFailureRow.key_hash, LoginFailureRow.failures, LoginFailureRow.clears_at
            ).where(LoginFailureRow.key_hash.in_(list(keys.values())))
        )
        by_key = {key: Count(failures, clears_at) for key, failures, clears_at in rows}
        return {counter: by_key[key] for counter, key in keys.items() if key in by_key}
