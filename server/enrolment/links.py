"""Personal links, a parent's only way back in: unguessable and revocable (pure)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_link_token() -> str:
    """A fresh 256-bit URL-safe token. Only its hash is stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token: a leaked database does not give anyone a way in."""
    return hashlib.sha256(token.encode()).hexdigest()
