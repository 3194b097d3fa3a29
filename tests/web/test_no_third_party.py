"""Pages load nothing from other sites: no CDN, no web fonts, no analytics."""

import re
from pathlib import Path

from web import STATIC_DIR, TEMPLATES_DIR

URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
# The only outside address is where the quick exit *navigates to* (never loaded by a page).
ALLOWED = {"https://www.yle.fi"}
# The SVG namespace names the format; nothing is fetched from it.
NAMESPACES = {"http://www.w3.org"}


def test_templates_and_static_files_reference_no_other_site():
    found = {}
    for path in [*TEMPLATES_DIR.rglob("*.html"), *STATIC_DIR.rglob("*")]:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")  # favicon.ico is binary
            urls = set(URL.findall(text)) - ALLOWED - NAMESPACES
            if urls:
                found[str(path.relative_to(Path(TEMPLATES_DIR).parent))] = urls
    assert not found


async def test_rendered_pages_load_only_from_this_site(client):
    page = (await client.get("/")).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    outside = [s for s in sources if s.startswith(("http", "//")) and "yle.fi" not in s]
    assert not outside
