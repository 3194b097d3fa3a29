"""When a staff session has expired, what is kept of its id, and how a browser is named."""

from datetime import UTC, datetime, timedelta

import pytest

from server.people.session_rules import (
    SessionLimits,
    describe_browser,
    expired,
    new_token,
    token_hash,
)

T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
LIMITS = SessionLimits(idle=timedelta(minutes=60), absolute=timedelta(hours=12))


def test_a_session_expires_after_the_idle_limit_counted_from_its_last_use():
    assert not expired(T0, T0, False, T0 + timedelta(minutes=60), LIMITS)
    assert expired(T0, T0, False, T0 + timedelta(minutes=61), LIMITS)
    used = T0 + timedelta(hours=2)
    assert not expired(T0, used, False, used + timedelta(minutes=59), LIMITS)


def test_a_session_expires_at_the_absolute_limit_however_recently_used():
    now = T0 + timedelta(hours=12, minutes=1)
    assert expired(T0, now - timedelta(seconds=1), False, now, LIMITS)


def test_a_login_waiting_for_its_code_lasts_five_minutes():
    assert not expired(T0, T0, True, T0 + timedelta(minutes=5), LIMITS)
    assert expired(T0, T0, True, T0 + timedelta(minutes=6), LIMITS)


def test_the_database_keeps_a_hash_that_differs_from_the_random_id():
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert token_hash(first) != first and len(token_hash(first)) == 64
    assert token_hash(first) == token_hash(first) != token_hash(second)


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox / Linux",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome / Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge / Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari / iOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36",
            "Chrome / Linux",
        ),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_a_browser_is_named_coarsely(agent, shown):
    assert describe_browser(agent) == shown
