"""Queued mail sealed with a key derived from the secret key: a leaked database or backup holds no
working personal link and no address of whom Tupa writes to (pure).

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) authenticates as well as hides: a
row changed in the database does not open. Mail sealed under an earlier secret key does not open
either; the outbox then drops it rather than send something it cannot read.
Rows queued before sealing existed carry :data:`LEGACY` and their JSON in plain text until the
background pass seals them (``outbox.seal_legacy``).
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken

from server.notify.mail import Mail

LEGACY = "plain:"


class UnreadableMail(Exception):
    """Sealed under another key, or changed since."""


def _fernet(key: bytes) -> Fernet:
    if len(key) != 32:
        raise ValueError("no outbox key: build the Organisation with from_settings")
    return Fernet(base64.urlsafe_b64encode(key))


def seal(key: bytes, mail: Mail) -> str:
    """``mail``'s recipient, subject and body as one sealed text."""
    content = {"recipient": mail.recipient, "subject": mail.subject, "body": mail.body}
    return _fernet(key).encrypt(json.dumps(content).encode()).decode("ascii")


def unseal(key: bytes, sealed: str, template: str, language: str) -> Mail:
    """The mail :func:`seal` made (or a legacy row's); :class:`UnreadableMail` otherwise."""
    if sealed.startswith(LEGACY):
        text = sealed.removeprefix(LEGACY)
    else:
        fernet = _fernet(key)
        try:
            text = fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as error:
            raise UnreadableMail from error
    try:
        content = json.loads(text)
        return Mail(content["recipient"], content["subject"], content["body"], template, language)
    except (ValueError, KeyError, TypeError) as error:
        raise UnreadableMail from error
