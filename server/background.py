"""The periodic work every instance runs: reminders, deadline flags, the outbox.

Each step is idempotent across instances (dedupe keys, conditional claims), so running this loop in
two app instances against one database sends every message once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from server.accessibility import feedback as accessibility_feedback
from server.demo_rooms.sessions import renew as renew_demo_rooms
from server.lifecycle import OwnedTask
from server.notify.outbox import Mailer, OutboxDispatcher, tidy
from server.organisation import Organisation
from server.people import password_resets, security_log, staff_sessions
from server.rooms.retention import purge_expired_chats
from server.scheduling.endings import forget_expired_personal_data
from server.scheduling.reminders import enqueue_decision_requests, enqueue_due_reminders
from server.scheduling.service import series_needing_decision
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class BackgroundWork:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        mailer: Mailer | None,
        clock: Callable[[], datetime] = utc_now,
        demo: bool = False,
    ) -> None:
        self.database = database
        self.demo = demo  # `tupa serve --demo`: the live demo rooms are renewed too
        self.settings = settings
        self.org = Organisation.from_settings(settings)
        self.clock = clock
        self.staff_session_limits = staff_sessions.limits_of(settings)
        # No mailer (no SMTP server): mail waits in the outbox for `tupa outbox`.
        self.dispatcher = (
            None
            if mailer is None
            else OutboxDispatcher(
                database, mailer, instance_id=secrets.token_hex(8), mail_key=self.org.mail_key
            )
        )
        self._task = OwnedTask("tupa-background")

    async def run_once(self) -> int:
        """One pass: queue what is due, purge expired chats, staff sessions, reset links and
        security log lines, send mail. Returns mails sent."""
        now = self.clock()
        async with self.database.unit_of_work() as db:
            await enqueue_due_reminders(db, self.org, self.settings.reminder_offsets_minutes, now)
        async with self.database.unit_of_work() as db:
            flagged = [s.id for s in await series_needing_decision(db, now)]
            await enqueue_decision_requests(
                db, self.org, flagged, now, self.settings.default_language
            )
        async with self.database.unit_of_work() as db:
            keep_for = timedelta(days=self.settings.chat_retention_days)
            for session_id in await purge_expired_chats(db, now, keep_for):
                log.info("chat of session %s purged (retention %s)", session_id, keep_for)
        async with self.database.unit_of_work() as db:
            await staff_sessions.delete_expired(db, now, self.staff_session_limits)
            await password_resets.delete_expired(db, now)
            keep_log_for = timedelta(days=self.settings.security_log_days)
            await security_log.delete_older_than(db, now, keep_log_for)
        async with self.database.unit_of_work() as db:
            keep_for = timedelta(days=self.settings.personal_data_retention_days)
            for series_id in await forget_expired_personal_data(db, now, keep_for):
                log.info("personal data of series %s deleted (kept %s)", series_id, keep_for)
        async with self.database.unit_of_work() as db:
            keep_for = timedelta(days=self.settings.accessibility_feedback_days)
            await accessibility_feedback.forget_expired(db, now, keep_for)
        async with self.database.unit_of_work() as db:
            await tidy(db, self.org.mail_key, now)
        if self.demo:
            async with self.database.unit_of_work() as db:
                await renew_demo_rooms(db, self.org, now)
        return await self.dispatcher.dispatch_due(now) if self.dispatcher else 0

    def start(self) -> None:
        if self.dispatcher is None:
            log.info("no SMTP server (TUPA_SMTP_HOST): mail waits in the outbox; `tupa outbox`")
        self._task.start(self._loop())

    async def stop(self) -> None:
        await self._task.stop()

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # a bad pass must not end the loop: log and try again later
                log.exception("background pass failed")
            await asyncio.sleep(self.settings.background_interval_seconds)
