"""When a staff session has expired or will, how its id is kept, how a browser is named (pure).

A staff session ends after a stretch without any request (idle) and, however busy, a fixed time
after the login (absolute). A login still waiting for its two-factor code lasts minutes only.
The cookie holds a random id of 256 bits; the database keeps its SHA-256 (a fast hash is enough
for a random value no one can guess), so a copy of the database opens no staff page.
The time left and how long before each end the staff pages warn are here too, beside the limits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_STEP = timedelta(minutes=5)
# last_seen is written at most this often: a page load needs no write for the idle clock.
SEEN_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 100
# The staff pages warn this long before a session ends (WCAG 2.2.1), or at a fifth of the limit
# if that is shorter: before the idle end, which "Continue" renews, and earlier before the
# absolute end, which nothing extends, so that what is being written can be saved.
IDLE_WARNING = timedelta(minutes=2)
ABSOLUTE_WARNING = timedelta(minutes=10)
WARNING_SHARE = 0.2


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta
    code_step: timedelta = CODE_STEP


def expired(
    created_at: datetime,
    last_seen_at: datetime,
    code_due: bool,
    now: datetime,
    limits: SessionLimits,
) -> bool:
    """Whether a session no longer opens anything at ``now``."""
    if code_due:
        return now - created_at > limits.code_step
    return now - last_seen_at > limits.idle or now - created_at > limits.absolute


@dataclass(frozen=True)
class TimeLeft:
    """How long a signed-in session still lasts: ``idle`` if nothing more is requested (a renewal
    restores it), ``absolute`` however busy (nothing extends it). What the page's warning shows."""

    idle: timedelta
    absolute: timedelta


def remaining(
    created_at: datetime, last_seen_at: datetime, now: datetime, limits: SessionLimits
) -> TimeLeft:
    """The time left of a signed-in session at ``now``, by the same limits as ``expired``."""
    zero = timedelta(0)
    return TimeLeft(
        idle=max(zero, last_seen_at + limits.idle - now),
        absolute=max(zero, created_at + limits.absolute - now),
    )


def warnings_before(limits: SessionLimits) -> tuple[timedelta, timedelta]:
    """How long before the idle end and before the absolute end the staff pages warn."""
    return (
        min(IDLE_WARNING, limits.idle * WARNING_SHARE),
        min(ABSOLUTE_WARNING, limits.absolute * WARNING_SHARE),
    )


def new_token() -> str:
    """A fresh session id for the cookie."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a session id."""
    return hashlib.sha256(token.encode()).hexdigest()


# Checked in order: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|Chromium|CriOS|HeadlessChrome)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux")),
)


def describe_browser(user_agent: str) -> str:
    """A coarse name for a browser ("Firefox / Android"), enough for a person to recognise their
    own devices in the session list and too coarse to single anyone out; "" when unknown."""
    agent = user_agent[:512]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), "")
    if browser and system:
        return f"{browser} / {system}"
    return browser or system
