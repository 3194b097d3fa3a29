"""How repeated failed logins slow down and then lock a staff account (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    failures_before_lock: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    delay_per_failure_seconds: float = 0.5
    max_delay_seconds: float = 4.0

    def is_locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and locked_until > now

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """The failure count and lock deadline after one more failed attempt.

        The count restarts after a lock so the next lock needs as many failures again.
        """
        failures += 1
        if failures >= self.failures_before_lock:
            return 0, now + self.lock_for
        return failures, None

    def delay(self, failures: int) -> float:
        """Seconds to wait before answering a failed attempt: it grows with each failure."""
        return min(self.max_delay_seconds, self.delay_per_failure_seconds * failures)
