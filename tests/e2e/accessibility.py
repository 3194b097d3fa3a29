"""axe-core in the browser tests: the vendored release, run on a page at a desktop and a phone
width, and what it finds as lines a person can act on.

axe is put into the page with ``page.evaluate``, which Playwright sends through the DevTools
protocol; a page's Content-Security-Policy does not govern that, so the page keeps its real CSP
and axe sees exactly what a visitor's browser draws. (``add_script_tag(content=...)`` would be an
inline script, which Tupa's CSP refuses; ``bypass_csp`` would let through inline styles that a
visitor's browser refuses, so axe would judge a page nobody sees.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.playwright_api import Page, ViewportSize

AXE_DIR = Path(__file__).resolve().parent / "vendor" / "axe-core"
AXE_FILE = AXE_DIR / "axe.min.js"
AXE_VERSION = "4.14.1"
# The npm release's own figure (sri-history.json in the package: sha256-KTSJmUUM…).
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

# WCAG 2.0 and 2.1, levels A and AA, and Deque's best practices (landmarks, one h1, …).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}

NEXT_FRAMES = (
    "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
)
RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.flatMap((rule) => rule.nodes.map((node) => ({
    rule: rule.id, impact: node.impact || rule.impact || "", help: rule.help,
    url: rule.helpUrl, target: node.target.map(String).join(" >> "),
  })));
}
"""


def axe_source() -> str:
    """The vendored axe-core, refused if it is not the pinned release."""
    data = AXE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE_FILE} is not axe-core {AXE_VERSION}: sha256 {digest}"
    return data.decode("utf-8")


@dataclass(frozen=True)
class Violation:
    """One element that breaks one rule, on one page at one width."""

    page: str
    width: str
    rule: str
    impact: str
    target: str
    help: str
    url: str

    def line(self) -> str:
        return (
            f"{self.page} [{self.width}] {self.rule} ({self.impact}): {self.target}\n"
            f"    {self.help} – {self.url}"
        )


@dataclass
class Sweep:
    """Runs axe on pages and keeps what it found, and which application routes it saw.

    ``route_of`` names the route a path belongs to (``/series/{series_id}``), so a test can show
    that every route it is said to cover was really swept.
    """

    route_of: Callable[[str], str | None]
    source: str = field(default_factory=axe_source)
    routes: set[str] = field(default_factory=set)
    pages: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    def check(self, page: Page, label: str) -> None:
        """axe on the page as it is now, at both widths; the page is left at the size it had."""
        path = urlsplit(page.url).path
        route = self.route_of(path)
        assert route is not None, f"{label}: {path} is no route of the application"
        self.routes.add(route)
        name = f"{label} ({route})"  # the route, not the path: no link's token in the output
        self.pages.append(name)
        size = page.viewport_size
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source + "\n;undefined")
        try:
            for width, viewport in WIDTHS.items():
                page.set_viewport_size(viewport)
                page.evaluate(NEXT_FRAMES)  # what reacts to the size (ResizeObserver) has run
                found: list[dict[str, Any]] = page.evaluate(RUN_AXE, TAGS)
                self.violations += [Violation(name, width, **item) for item in found]
        finally:
            if size is not None:
                page.set_viewport_size(size)

    def assert_clean(self, covers: set[str]) -> None:
        """No violations, and every route in ``covers`` was swept."""
        missing = covers - self.routes
        assert not missing, f"these routes were not swept: {sorted(missing)}"
        assert not self.violations, (
            f"axe-core {AXE_VERSION} found {len(self.violations)} violation(s) "
            f"on {len(self.pages)} page(s):\n" + "\n".join(v.line() for v in self.violations)
        )
