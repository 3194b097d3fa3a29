"""The organisation running this Tupa: its name, contact, time zone and public address, and the
key its outbox seals mail with."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from server.help_lines import DEFAULT_HELP_LINES, HelpLine, parse_help_lines
from server.settings import Settings


@dataclass(frozen=True)
class Contact:
    """How people reach the organisation (TUPA_ORGANISATION_EMAIL, TUPA_ORGANISATION_PHONE)."""

    email: str = ""
    phone: str = ""

    def __bool__(self) -> bool:
        return bool(self.email or self.phone)

    @property
    def phone_uri(self) -> str:
        """The phone number as a ``tel:`` address: digits and a leading plus only."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


@dataclass(frozen=True)
class Organisation:
    name: str
    zone: ZoneInfo
    public_url: str
    # Seals queued e-mail (server/notify/sealing.py). Empty in an Organisation built by hand:
    # queueing mail with it fails rather than store a personal link readable by anyone.
    mail_key: bytes = field(default=b"", repr=False)
    contact: Contact = Contact()
    # What "Help now" lists after the contact (TUPA_HELP_LINES_FILE, else Finnish national lines).
    help_lines: tuple[HelpLine, ...] = DEFAULT_HELP_LINES

    @classmethod
    def from_settings(cls, settings: Settings) -> Organisation:
        return cls(
            settings.organisation_name,
            settings.zone,
            settings.public_url.rstrip("/"),
            settings.derived_key("outbox"),
            Contact(settings.organisation_email, settings.organisation_phone),
            help_lines(settings),
        )

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"


def help_lines(settings: Settings) -> tuple[HelpLine, ...]:
    """The installation's help lines: its file, read at start-up, or the shipped defaults."""
    if settings.help_lines_file is None:
        return DEFAULT_HELP_LINES
    path = settings.help_lines_file
    try:
        return parse_help_lines(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"TUPA_HELP_LINES_FILE {path}: {error}") from None
