"""Settings: the only place that reads the environment.

Every variable is prefixed ``TUPA_`` and documented in the README. The defaults are the embedded
setup a visitor gets from ``tupa serve``: SQLite under ``./var``, in-process bus, mail to the log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.private_files import create_private_file, narrow, private_directory
from server.turn import IceConfig

# Northern Sámi (se) is a draft awaiting a native speaker's review; untranslated text is Finnish.
Language = Literal["fi", "sv", "en", "se"]
LANGUAGES: tuple[Language, ...] = ("fi", "sv", "en", "se")
# The demo's contact address: on a domain reserved for examples (RFC 2606), so nobody writes to it.
DEMO_EMAIL = "yhteys@example.org"


class Settings(BaseSettings):
    """Configuration of one Tupa instance."""

    model_config = SettingsConfigDict(env_prefix="TUPA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/tupa.db"
    redis_url: str | None = None
    # Someone connected through an instance that stops heartbeating (killed, frozen, cut off from
    # Redis) is shown offline by the other instances within this many seconds.
    presence_expiry_seconds: float = Field(default=15.0, ge=1, le=300)
    secret_key: str = Field(default="", repr=False)
    data_dir: Path = Path("var")

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False

    organisation_name: str = "Tupa"
    # How parents and anyone reading the accessibility statement reach the organisation; empty:
    # not shown. `tupa serve --demo` fills in an example address where none is set.
    organisation_email: str = Field(default="", max_length=254)
    organisation_phone: str = Field(default="", max_length=40)
    # A JSON file of the help lines parents see under "Help now" (server/help_lines.py); unset:
    # the Finnish national lines Tupa ships with.
    help_lines_file: Path | None = None
    time_zone: str = "Europe/Helsinki"
    default_language: Language = "fi"
    # The Northern Sámi catalogue is a draft: until an organisation's native speaker has reviewed
    # it, its pages say so in the footer. True: reviewed, the notice goes.
    northern_sami_reviewed: bool = False
    quick_exit_url: str = "https://www.yle.fi/saa"

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = True
    mail_from: str = "tupa@localhost"

    reminder_offsets_minutes: list[int] = [24 * 60, 60]
    background_interval_seconds: float = 30.0

    # Failed staff logins and codes (server/people/throttle_rules.py): after this many failures
    # for one account from one address, or this many from one address for any accounts, that
    # address waits; each failure also slows the next answer. No account is ever locked.
    login_failures_per_account_from_address: int = Field(default=5, ge=1, le=100)
    login_failures_per_address: int = Field(default=20, ge=1, le=1000)
    login_wait_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_delay_seconds: float = Field(default=0.5, ge=0, le=4)
    # A staff session ends after this long without a request, and this long after its login.
    staff_session_idle_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    staff_session_max_hours: int = Field(default=12, ge=1, le=30 * 24)
    # Lines of the staff security log (server/people/security_log.py) are deleted this long after.
    security_log_days: int = Field(default=365, ge=1, le=3650)

    # The accessibility statement (/accessibility): when its assessment was made and by whom
    # (None and empty: the self-assessment Tupa ships with, server/accessibility/statement.py),
    # and how long accessibility feedback stays after a coordinator has marked it handled.
    accessibility_assessed_on: date | None = None
    accessibility_assessed_by: str = Field(default="", max_length=200)
    accessibility_feedback_days: int = Field(default=90, ge=0, le=3650)

    max_request_bytes: int = 64 * 1024

    # Prometheus metrics (server/metrics.py) on a listener of their own, never the public port:
    # `tupa serve` on metrics_port, `tupa relay` on relay_metrics_port; unset: no listener.
    # Loopback unless metrics_host says otherwise (compose.yaml: its private network only).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    relay_metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Client IP addresses in the access log: off, since behind the proxy they are the parents'
    # real addresses, which say where someone at risk is (see the README before turning it on).
    log_client_ips: bool = False

    # A browser a parent's link was swapped for lets it go after this long without use; until
    # then the link itself opens nothing (server/enrolment/devices.py).
    parent_device_idle_hours: int = Field(default=12, ge=1, le=30 * 24)

    room_opens_minutes_before: int = Field(default=30, ge=0, le=24 * 60)
    # `tupa serve --demo` only: how long the simulated facilitator of a live demo room lets a
    # parent wait in the lobby before admitting them (server/demo_rooms/people.py).
    demo_admit_seconds: float = Field(default=4.0, ge=0, le=60)
    chat_retention_days: int = Field(default=30, ge=0, le=3650)
    # E-mail addresses, enrolment answers and notices are deleted this long after a series ends.
    personal_data_retention_days: int = Field(default=90, ge=0, le=3650)

    # Media: STUN and TURN servers for browsers (comma-separated URLs), coturn's shared secret
    # (use-auth-secret) and how long a TURN credential lasts; a group room uses a full mesh up
    # to this many people sending audio or video.
    stun_urls: str = ""
    turn_urls: str = ""
    turn_secret: str = Field(default="", repr=False)
    turn_ttl_seconds: int = Field(default=6 * 3600, ge=60, le=48 * 3600)
    mesh_limit: int = Field(default=4, ge=1, le=8)

    # The media relay (SFU). Empty relay_url: it runs inside this web process. Otherwise the
    # address of `tupa relay` (http://host:port), which every web process of the installation
    # shares, so that everyone in a room reaches the same relay. relay_secret is the bearer token
    # between them; relay_host and relay_port are where `tupa relay` listens.
    relay_url: str = ""
    relay_secret: str = Field(default="", repr=False)
    relay_host: str = "127.0.0.1"
    relay_port: int = Field(default=8100, ge=1, le=65535)
    # Several relays (README, "Several relays"): each `tupa relay` with relay_announce_url (the
    # address web processes reach it at) announces itself in Redis every relay_ttl_seconds / 4;
    # web processes with relay_discovery place each room on the least-loaded live relay, and
    # move a dead relay's rooms (silent for relay_ttl_seconds) to another.
    relay_discovery: bool = False
    relay_announce_url: str = ""
    relay_ttl_seconds: float = Field(default=2.0, ge=0.5, le=60)
    # A room whose relay serves relay_cascade_share of relay_capacity (subscribers one relay
    # carries) gets a second relay, fed once by the first, for further subscribers.
    relay_capacity: int = Field(default=130, ge=1, le=100_000)
    relay_cascade_share: float = Field(default=0.5, gt=0, le=1)

    # Evaluation: the share of a session a parent must be present for it to count as attended,
    # and the share of the held sessions a parent must attend to have completed the series.
    attendance_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    completion_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, at start-up rather than on first use
        return value

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _sane_offsets(cls, value: list[int]) -> list[int]:
        if any(m <= 0 or m > 14 * 24 * 60 for m in value):
            raise ValueError("reminder offsets must be between 1 minute and 14 days")
        return sorted(set(value), reverse=True)

    @field_validator("organisation_email")
    @classmethod
    def _mail_address(cls, value: str) -> str:
        value = value.strip()
        if value and (value.count("@") != 1 or any(c.isspace() for c in value)):
            raise ValueError("organisation_email must be one e-mail address")
        return value

    @field_validator("organisation_phone")
    @classmethod
    def _phone_number(cls, value: str) -> str:
        value = " ".join(value.split())
        if value and not all(c.isdigit() or c in "+ -()" for c in value):
            raise ValueError("organisation_phone may hold digits, spaces, +, - and brackets only")
        return value

    @field_validator("relay_url", "relay_announce_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Checked at start-up: a typo would otherwise surface as "relay unavailable" in a room.
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("relay URLs must be empty or start with http:// or https://")
        return value.rstrip("/")

    @field_validator("relay_secret")
    @classmethod
    def _header_safe(cls, value: str) -> str:
        # It travels in an Authorization header, which carries visible ASCII only.
        if not all("!" <= c <= "~" for c in value):
            raise ValueError("relay_secret must be visible ASCII without spaces")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def for_demo(self) -> Settings:
        """These settings with the demo's example contact where none was configured, so the demo
        shows the contact block and the accessibility statement as an organisation would."""
        examples = {"organisation_email": DEMO_EMAIL}
        unset = {k: v for k, v in examples.items() if k not in self.model_fields_set}
        return self.model_copy(update=unset)

    def serving_at(self, host: str, port: int) -> Settings:
        """These settings with ``public_url`` following where ``tupa serve`` listens, when
        TUPA_PUBLIC_URL was not set: ``tupa serve --port 8765`` otherwise served pages whose room
        sockets were refused as another site's (the origin check) and whose personal links
        pointed at port 8000. An address for every interface is reached here as 127.0.0.1."""
        if "public_url" in self.model_fields_set:
            return self
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host  # noqa: S104 - read, not bound
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"
        return self.model_copy(update={"public_url": f"http://{shown}:{port}"})

    def ice_config(self) -> IceConfig:
        """STUN and TURN for browsers, from the comma-separated URL lists."""
        return IceConfig(
            tuple(u.strip() for u in self.stun_urls.split(",") if u.strip()),
            tuple(u.strip() for u in self.turn_urls.split(",") if u.strip()),
            self.turn_secret,
            self.turn_ttl_seconds,
        )

    def effective_secret_key(self) -> str:
        """The configured secret, or one kept in the data directory for the embedded setup.

        A generated key is stored under ``data_dir`` so sessions survive a restart without the
        visitor having to configure anything; production sets ``TUPA_SECRET_KEY``.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        private_directory(self.data_dir)
        # Created with its final mode, and by one process only when several start at once.
        create_private_file(path, secrets.token_urlsafe(48).encode())
        narrow(path)
        return path.read_text().strip()

    def derived_key(self, purpose: str) -> bytes:
        """A 256-bit key for one purpose (``"outbox"``), derived from the secret key, so that
        what one purpose's key opens says nothing about another's."""
        secret = self.effective_secret_key().encode()
        return hmac.new(secret, f"tupa:{purpose}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
