"""Per-connection rate limit: a token bucket (pure; time is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field

RATE_PER_SECOND = 10.0
BURST = 20
# Signalling: a new peer connection sends an offer and a burst of ICE candidates at once.
SIGNAL_RATE_PER_SECOND = 20.0
SIGNAL_BURST = 60
ABUSE_FACTOR = 3  # refusals beyond three bursts' worth in a row close the connection


@dataclass
class TokenBucket:
    rate: float = RATE_PER_SECOND
    burst: int = BURST
    tokens: float = float(BURST)
    updated: float = 0.0
    refused_in_a_row: int = field(default=0)

    def take(self, now: float) -> bool:
        """Whether a frame arriving at ``now`` (seconds, monotonic) may pass."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        return False

    @property
    def abusive(self) -> bool:
        return self.refused_in_a_row > self.burst * ABUSE_FACTOR
