"""The room socket's Origin check: the same scheme, host and port as the public address."""

import pytest

from server.web.security import same_origin


@pytest.mark.parametrize(
    ("origin", "public_url", "same"),
    [
        ("https://tupa.example.org", "https://tupa.example.org", True),
        ("https://TUPA.example.org:443", "https://tupa.example.org/", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", True),
        ("http://tupa.example.org", "https://tupa.example.org", False),  # another scheme
        ("https://tupa.example.org:8443", "https://tupa.example.org", False),  # another port
        ("https://tupa.example.org.evil.example", "https://tupa.example.org", False),
        ("https://evil.example", "https://tupa.example.org", False),
        ("null", "https://tupa.example.org", False),
        ("https://tupa.example.org:99999", "https://tupa.example.org", False),  # no such port
        ("", "https://tupa.example.org", False),
    ],
)
def test_only_this_sites_exact_origin_is_the_same(origin, public_url, same):
    assert same_origin(origin, public_url) is same
