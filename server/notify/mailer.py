"""Mail transports: SMTP when configured; otherwise none, and mail waits in the outbox."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from server.notify.mail import Mail, Mailer
from server.settings import Settings


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=self.settings.smtp_host,
            port=self.settings.smtp_port,
            username=self.settings.smtp_username,
            password=self.settings.smtp_password,
            start_tls=self.settings.smtp_starttls,
            timeout=30,
        )


def mailer_for(settings: Settings) -> Mailer | None:
    """SMTP when ``TUPA_SMTP_HOST`` is set. Otherwise None: nothing sends, and mail waits in the
    outbox for ``tupa outbox`` (it used to be written to the log, personal link and all)."""
    return SmtpMailer(settings) if settings.smtp_host else None
