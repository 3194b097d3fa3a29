"""The organisation running this Tupa: its name, time zone and public address, and the key its
outbox seals mail with."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from server.settings import Settings


@dataclass(frozen=True)
class Organisation:
    name: str
    zone: ZoneInfo
    public_url: str
    # Seals queued e-mail (server/notify/sealing.py). Empty in an Organisation built by hand:
    # queueing mail with it fails rather than store a personal link readable by anyone.
    mail_key: bytes = field(default=b"", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Organisation:
        return cls(
            settings.organisation_name,
            settings.zone,
            settings.public_url.rstrip("/"),
            settings.derived_key("outbox"),
        )

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"
