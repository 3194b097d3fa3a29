"""How many times one client address sent a public form lately, counted in the shared database.

Like the login throttle (server/people/throttle.py), the count lives in the database every
instance shares and is keyed by an HMAC of what it counts, here the form's name and the client
address, under a key derived from the secret key: the table holds no address, and a copy of it
cannot be matched against a list of addresses. A count is forgotten ``window`` after its latest
send. The send is counted before the form is stored, in one statement, so two instances counting
the same address at once both count.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.accessibility.feedback_rules import SendingLimit
from server.errors import ErrorCode, TupaError
from server.storage.tables import FormSendCountRow


@dataclass(frozen=True)
class SendCounter:
    limit: SendingLimit
    secret: bytes  # Settings.derived_key("form-sends")

    def key(self, form: str, address: str) -> str:
        return hmac.new(self.secret, f"{form}\n{address}".encode(), hashlib.sha256).hexdigest()

    async def count(self, db: AsyncSession, form: str, address: str, now: datetime) -> None:
        """Count one send of ``form`` from ``address``; raises TOO_MANY_SENDS when it is one too
        many. The caller answers that error itself, so the count commits with its unit of work."""
        await db.execute(delete(FormSendCountRow).where(FormSendCountRow.clears_at <= now))
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        clears_at = self.limit.clears_at(now)
        statement = insert(FormSendCountRow).values(
            key_hash=self.key(form, address), sends=1, clears_at=clears_at
        )
        sends = await db.scalar(
            statement.on_conflict_do_update(
                index_elements=[FormSendCountRow.key_hash],
                set_={
                    "sends": case(
                        (FormSendCountRow.clears_at <= now, 1),
                        else_=FormSendCountRow.sends + 1,
                    ),
                    "clears_at": clears_at,
                },
            ).returning(FormSendCountRow.sends)
        )
        if self.limit.refuses(int(sends or 0)):
            raise TupaError(ErrorCode.TOO_MANY_SENDS)
