"""An e-mail as Tupa composes it, and what sends one (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    body: str
    # What kind of mail it is ("reminder", "notice.enrolled"): the only thing about it the log
    # and the outbox listing show. The language it is written in.
    template: str
    language: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...
