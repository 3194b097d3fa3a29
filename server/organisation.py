"""The organisation running this Tupa: its name, time zone and public address."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server.settings import Settings


@dataclass(frozen=True)
class Organisation:
    name: str
    zone: ZoneInfo
    public_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Organisation:
        return cls(settings.organisation_name, settings.zone, settings.public_url.rstrip("/"))

    def url(self, path: str) -> str:
        return f"{self.public_url}{path}"
