"""The production proxy (deploy/Caddyfile, used by compose.yaml) tells browsers to keep to HTTPS."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_proxy_sends_hsts_for_at_least_a_year_on_the_site():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile" in (ROOT / "compose.yaml").read_text()
    site = caddyfile[caddyfile.index("{$TUPA_DOMAIN} {") :]
    header = re.search(r'^\s*header Strict-Transport-Security "max-age=(\d+)[^"]*"', site, re.M)
    assert header is not None
    assert int(header.group(1)) >= 365 * 24 * 3600
