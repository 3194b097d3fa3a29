"""Takes the README's screenshots: the main pages at a desktop and a phone width, in English.

Run by hand (not by CI) from the repository root, after pages change:

    .venv/bin/python docs/screenshots/take.py

It starts ``tupa serve --demo`` on a free port with a database of its own, drives Debian's
Chromium (/usr/bin/chromium, with a fake camera) through Playwright as the people would, and
writes PNGs next to this file: 1280×800 and 390×844 at device scale 1, reduced to 128 colours
(Pillow, which reportlab brings) so that all of them stay a few hundred KB.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from PIL import Image  # noqa: E402
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright  # noqa: E402

from server.demo import DEMO_ACCOUNTS  # noqa: E402
from server.people.roles import Role  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.room import (  # noqa: E402
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
    say,
)
from tests.e2e.servers import tupa_server  # noqa: E402
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in  # noqa: E402

WIDTHS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
COLOURS = 128
CHAT_SERIES = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data: chat
STAGE_SERIES = "Tietoa ja tukea lapsiperheen eroon"  # demo data: a stage
RUNNING_SERIES = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data: halfway, with figures
VOLUNTEER_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.role is Role.VOLUNTEER)


def shoot(page: Page, name: str) -> None:
    """``name``-desktop.png and ``name``-phone.png of the top of the page."""
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.evaluate("() => document.fonts.ready")
        page.wait_for_timeout(300)  # a picture, not a test: let transitions and video settle
        path = HERE / f"{name}-{width}.png"
        page.screenshot(path=path, animations="disabled", caret="initial")
        with Image.open(path) as shot:
            small = shot.convert("RGB").quantize(colors=COLOURS, dither=Image.Dither.NONE)
        small.save(path, optimize=True)
        print(f"{path.relative_to(HERE.parents[1])}: {path.stat().st_size // 1024} KB")
    page.set_viewport_size(WIDTHS["desktop"])


def person(browser: Browser, base_url: str, lang: str = "en") -> Page:
    context = browser.new_context(base_url=base_url, viewport=WIDTHS["desktop"])
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"/?lang={lang}")
    return page


def take(browser: Browser, base_url: str) -> None:
    visitor = person(browser, base_url)
    shoot(visitor, "front-page")

    # Series are found by their Finnish titles (demo data, which may have English titles too).
    planner = person(browser, base_url, "fi")
    log_in(planner, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(planner, CHAT_SERIES)
    stage_series, stage_id = move_next_session_to_soon(planner, STAGE_SERIES)
    planner.locator('a[href="/staff"]').first.click()
    planner.locator('a[href^="/staff/series/"]', has_text=RUNNING_SERIES).first.click()
    report = planner.url.split("?")[0].split("/staff/series/")[1]
    planner.context.close()

    coordinator = person(browser, base_url)
    log_in(coordinator, COORDINATOR_EMAIL)
    shoot(coordinator, "staff-dashboard")
    coordinator.goto(f"/staff/series/{report}/report")
    shoot(coordinator, "report")

    visitor.goto(f"/series/{series_id}")
    shoot(visitor, "series")

    parent = person(browser, base_url)
    enrol_and_join(parent, series_id, session_id, "Pihlaja")
    parent.goto("/me")
    shoot(parent, "parent-page")

    other = person(browser, base_url)
    enrol_and_join(other, series_id, session_id, "Vaahtera")
    facilitator = person(browser, base_url)
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    parent.goto(f"/me/sessions/{session_id}/room")
    for page in (parent, other):
        expect(page.locator("#chat-form")).to_be_visible()
    say(facilitator, "Tervetuloa! Tänään puhutaan yhteistyövanhemmuudesta.")
    say(parent, "Hei kaikille, kiva olla mukana.")
    say(other, "Hei! Meillä vaihdot ovat olleet vaikeita.")
    say(facilitator, "Kiitos, palataan tähän hetken päästä.")
    shoot(parent, "room-parent")
    shoot(facilitator, "room-facilitator")

    host = facilitator.context.new_page()  # a page of its own: its dialogs answered once
    open_room_without_lobby(host, stage_id)
    volunteer = person(browser, base_url)
    log_in(volunteer, VOLUNTEER_EMAIL)
    volunteer.goto(f"/staff/sessions/{stage_id}/room")
    expect(volunteer.locator("#room-status")).to_have_attribute("data-tone", "none")
    volunteer.locator("#media-start").click()
    expect(volunteer.locator("#media-controls")).to_be_visible()
    audience = person(browser, base_url)
    enrol_and_join(audience, stage_series, stage_id, "Saarni")
    expect(audience.locator("#media-tiles video").first).to_be_visible()
    audience.wait_for_function(
        "() => [...document.querySelectorAll('#media-tiles video')]"
        ".some((v) => v.readyState >= 2 && v.videoWidth > 0)"
    )
    say(host, "Tervetuloa eroneuvo liveen! Kysymyksiä voi kirjoittaa alle.")
    audience.locator("#ask-text").fill("Miten kerron lapselle erosta?")
    audience.locator("#ask-text").press("Enter")
    expect(host.locator("#question-list > li")).to_have_count(1)
    shoot(audience, "stage")


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="tupa-screenshots-") as home,
        tupa_server(Path(home)) as base_url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            take(browser, base_url)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
