"""How failed password and code attempts slow down and make one address wait (pure).

Nothing here locks an account: a stranger who knows a facilitator's e-mail address could otherwise
lock them out just before an evening session. Failures are counted per client address, per
account and per account from one address. Repeated failures for one account from one address make
that address wait (for that account), many failures from one address make it wait for every
account, and every failed answer is slowed by the failures of its address and its account. The
account's owner, elsewhere, logs in as usual. An e-mail address nobody has is counted like one
that exists, so the answers and their timing say nothing about which addresses are staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Counter(StrEnum):
    """What one failure counter is kept for."""

    ADDRESS = "address"  # one client address, whatever account it tries
    ACCOUNT = "account"  # one account (an e-mail address as typed), from anywhere
    ACCOUNT_FROM_ADDRESS = "account_from_address"  # one account from one client address


@dataclass(frozen=True)
class Count:
    """Failures counted since the counter was last clear; it clears at ``clears_at``."""

    failures: int
    clears_at: datetime

    def live(self, now: datetime) -> int:
        return self.failures if self.clears_at > now else 0


@dataclass(frozen=True)
class ThrottleRules:
    failures_per_account_from_address: int = 5
    failures_per_address: int = 20
    wait: timedelta = timedelta(minutes=15)
    delay_per_failure_seconds: float = 0.5
    max_delay_seconds: float = 4.0

    def clears_at(self, now: datetime) -> datetime:
        """A counter clears this long after its latest failure."""
        return now + self.wait

    def waits_until(self, counts: dict[Counter, Count], now: datetime) -> datetime | None:
        """Until when this attempt is refused without checking anything, or None to check it.

        The account's own counter never makes anyone wait: from anywhere it is only a delay.
        """
        limits = {
            Counter.ACCOUNT_FROM_ADDRESS: self.failures_per_account_from_address,
            Counter.ADDRESS: self.failures_per_address,
        }
        ends = [
            count.clears_at
            for counter, limit in limits.items()
            if (count := counts.get(counter)) is not None and count.live(now) >= limit
        ]
        return max(ends, default=None)

    def delay(self, counts: dict[Counter, Count], now: datetime) -> float:
        """Seconds to wait before answering a failure: it grows with the failures of the address
        and of the account, up to a cap."""
        failures = max((count.live(now) for count in counts.values()), default=0)
        return min(self.max_delay_seconds, self.delay_per_failure_seconds * failures)
