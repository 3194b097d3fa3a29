"""What Tupa's log may hold: one handler for every process, and the masks it applies to each line.

A server log travels further than the database (support tickets, log shippers, a screen shared
with a colleague), and many parents are at risk: a personal link in the log is a way into a
parent's page, an address or a pseudonym says who is in which group. So the rule is enforced
where lines are written, not left to each call: uvicorn's access log is off (Tupa writes its own,
``server.web.access_log``, naming route templates), uvicorn's WebSocket handshake lines (client
address and query string) and aioice's INFO lines (every ICE candidate pair it checks) are
dropped, anything shaped like a token, an e-mail address or (unless ``TUPA_LOG_CLIENT_IPS``) an IP
address is masked, and exception messages are withheld (a database error quotes the row it failed
on) while the stack and the exception's type stay. What cannot be recognised by its shape (a
pseudonym, a chat message) is kept out by the calls themselves; the whole-flow log scan checks it.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# A run of 32 or more URL-safe characters with a digit and a letter, or with both upper and lower
# case: personal links (43), staff calendar tokens, session ids. About one random link in 1,400
# has no digit at all, so the mixed case alone must do. Identifiers in tracebacks are shorter or
# all lower case (snake_case function names).
_RUN = "[A-Za-z0-9_-]"
TOKEN = re.compile(
    rf"(?<!{_RUN})"
    rf"(?:(?={_RUN}*[0-9])(?={_RUN}*[A-Za-z])|(?={_RUN}*[a-z])(?={_RUN}*[A-Z])){_RUN}{{32,}}"
    rf"(?!{_RUN})"
)
# A query parameter that carries a credential, whatever its length.
CREDENTIAL_PARAMETER = re.compile(r"([?&](?:link|token)=)[^&\s\"'#]*")
EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:/]+@[^\s@<>()\[\]\"',;:/]+\.[^\s@<>()\[\]\"',;:/.]{2,}")

# IP addresses, bar loopback and "any": ICE candidates, peers in a library's message. Logged only
# when TUPA_LOG_CLIENT_IPS says so.
IPV4 = re.compile(r"(?<![\d.])(?!127\.|0\.0\.0\.0(?![\d.]))(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_HEX = "[0-9A-Fa-f]{1,4}"
IPV6 = re.compile(
    rf"(?<![0-9A-Fa-f:])(?:(?:{_HEX}:){{3,7}}{_HEX}|(?:{_HEX}:){{1,6}}:(?:{_HEX}(?::{_HEX}){{0,5}})?)"
    r"(?![0-9A-Fa-f:])"
)
# Libraries whose INFO lines carry the addresses of people's connections (aioice logs every ICE
# candidate pair it checks): warnings only.
# httpx writes every request's whole URL at INFO (the relay client's, and in a process that
# embeds Tupa anyone's): a URL is where a token would be, and a line per request is noise.
CHATTY = ("aioice", "aiortc", "httpx", "httpcore")

# Exceptions whose message an operator needs and which no request fills in: a port in use, a
# database that does not answer, a module that is missing. Masked all the same.
MESSAGES_KEPT: tuple[type[BaseException], ...] = (OSError, ImportError)

_INSTALLED = "_tupa_handler"

# What ``uvicorn.run`` needs to keep this configuration and write no access log of its own.
UVICORN_OPTIONS: dict[str, Any] = {"log_config": None, "access_log": False}


def redact(text: str, client_ips: bool = False) -> str:
    """``text`` with credentials and e-mail addresses masked, and IP addresses unless allowed."""
    text = CREDENTIAL_PARAMETER.sub(r"\1[token]", text)
    text = EMAIL.sub("[e-mail]", text)
    text = TOKEN.sub("[token]", text)
    if not client_ips:
        text = IPV6.sub("[ip]", IPV4.sub("[ip]", text))
    return text


def describe_exception(error: BaseException) -> str:
    """A traceback without exception messages (bar :data:`MESSAGES_KEPT`), causes included."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for number, exc in enumerate(reversed(chain)):
        if number:
            parts.append("\nwhich led to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exc.__traceback__))
        kind = type(exc)
        module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        name = f"{module}{kind.__qualname__}"
        if isinstance(exc, MESSAGES_KEPT):
            parts.append(f"{name}: {exc}\n")
        else:
            parts.append(f"{name} (message withheld: it may quote personal data)\n")
    return "".join(parts).rstrip("\n")


class RedactingFormatter(logging.Formatter):
    """Formats a record as usual, then masks it; tracebacks lose their exception messages."""

    def __init__(self, fmt: str, client_ips: bool = False) -> None:
        super().__init__(fmt)
        self.client_ips = client_ips

    def formatException(self, ei: Any) -> str:
        error = ei[1] if isinstance(ei, tuple) and len(ei) == 3 else None
        if isinstance(error, BaseException):
            return describe_exception(error)
        return super().formatException(ei)

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # formatted by us, never by a handler before us
        return redact(super().format(record), self.client_ips)


class UvicornHandshakeLines(logging.Filter):
    """Drops uvicorn's ``<client> - "WebSocket <path>?<query>" accepted`` lines: they carry the
    client's address and the room socket's query string. The access log says the same without."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("uvicorn")
            and isinstance(record.msg, str)
            and record.msg.startswith('%s - "WebSocket ')
        )


def configure_logging(
    stream: TextIO | None = None, level: int = logging.INFO, client_ips: bool = False
) -> logging.Handler:
    """Send every logger's lines through one masking handler (replacing one installed before).

    Used by every ``tupa`` command; tests install it on a stream of their own to read the log.
    Run uvicorn with :data:`UVICORN_OPTIONS` so that it keeps this configuration.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _INSTALLED, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT, client_ips))
    handler.addFilter(UvicornHandshakeLines())
    setattr(handler, _INSTALLED, True)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        # Whatever an earlier uvicorn in this process set (its own handlers, a level) goes:
        # these lines reach the one handler at the level asked for here.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin
    access = logging.getLogger("uvicorn.access")  # route templates come from Tupa's own
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Take a handler :func:`configure_logging` installed off again (tests)."""
    logging.getLogger().removeHandler(handler)
