"""Stable error codes (pure). Never rename a code: clients and translations depend on it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    REQUEST_TOO_LARGE = "request_too_large"
    NOT_FOUND = "not_found"
    CSRF_FAILED = "csrf_failed"
    LOGIN_REQUIRED = "login_required"
    FORBIDDEN = "forbidden"
    LOGIN_FAILED = "login_failed"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    TOTP_REQUIRED = "totp_required"
    TOTP_INVALID = "totp_invalid"
    SERIES_NOT_OPEN = "series_not_open"
    ENROLMENT_CLOSED = "enrolment_closed"
    ALREADY_WITHDRAWN = "already_withdrawn"
    LINK_REVOKED = "link_revoked"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_IN_PAST = "session_in_past"
    SERIES_CANCELLED = "series_cancelled"
    EMAIL_TAKEN = "email_taken"
    PSEUDONYM_TAKEN = "pseudonym_taken"
    ALREADY_ANSWERED = "already_answered"
    QUESTIONNAIRE_LOCKED = "questionnaire_locked"
    NOT_YET_OPEN = "not_yet_open"
    LAST_COORDINATOR = "last_coordinator"
    LINK_NEEDED = "link_needed"
    LINK_IN_USE = "link_in_use"
    PASSWORD_TOO_COMMON = "password_too_common"  # noqa: S105 - an error code
    PASSWORDS_DIFFER = "passwords_differ"
    RESET_LINK_INVALID = "reset_link_invalid"
    TOO_MANY_SENDS = "too_many_sends"
    LIVE_NOT_RUNNING = "live_not_running"  # no session of the series may be dropped in to now
    LIVE_FULL = "live_full"
    LIVE_REFUSED = "live_refused"  # this browser was banned from the series
    LOGIN_NAME_TAKEN = "login_name_taken"
    PEER_INVITATION_NOT_ALLOWED = "peer_invitation_not_allowed"
    PEER_INVITATION_CLOSED = "peer_invitation_closed"
    TIME_TAKEN = "time_taken"  # an individual time another parent booked first
    BOOKING_LIMIT = "booking_limit"  # the parent holds as many individual times as allowed
    # A group's free seats or an intake's waiting list changed since the placing page was shown.
    PLACES_CHANGED = "places_changed"


class TupaError(Exception):
    """A failure a client can act on, identified by a stable code.

    Only ``server/web/errors.py`` decides how a code becomes an HTTP status; the message shown to a
    person is looked up in the translation catalogue by code.
    """

    def __init__(self, code: ErrorCode, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.params = params
