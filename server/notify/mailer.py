"""Mail transports: SMTP when configured, otherwise the log (the embedded default)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import aiosmtplib

from server.notify.outbox import Mail, Mailer
from server.settings import Settings

log = logging.getLogger("tupa.mail")


class LogMailer:
    """Writes each message to the log instead of sending it: what a local trial needs."""

    async def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.recipient, mail.subject, mail.body)


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


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when ``TUPA_SMTP_HOST`` is set, the log otherwise."""
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()
