"""The organisation running this Tupa: its name, contact, time zone and public address, and the
key its outbox seals mail with."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

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

    @classmethod
    def from_settings(cls, settings: Settings) -> Organisation:
        return cls(
            settings.organisation_name,
            settings.zone,
            settings.public_url.rstrip("/"),
            settings.derived_key("outbox"),
            Contact(settings.organisation_email, settings.organisation_phone),
        )

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"
