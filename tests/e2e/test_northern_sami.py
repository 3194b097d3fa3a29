"""End to end, in Chromium: a visitor reads Tupa in Northern Sámi (se), joins the demo's live
chat as a parent, and the front page, the parent's page and the room (whose texts the script
shows from the page's strings) are all in Sámi, marked as a draft awaiting review, and pass axe
(``lang="se"`` is a valid language, the Sámi pages keep their structure)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.accessibility import Sweep
from tests.e2e.playwright_api import Browser, expect
from tests.e2e.room import chat_texts, say
from tests.e2e.servers import browser_contexts, tupa_server

pytestmark = pytest.mark.e2e

YOU_TAKE_PART = re.compile(r"Oassálastát goaitonamain (.+)\.")
DRAFT = "Dát davvisámegiel jorgalus lea álgoveršuvdna"


@pytest.fixture(scope="module")
def fresh_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("tupa-sami")
    with tupa_server(home, TUPA_DEMO_ADMIT_SECONDS="0.5") as url:
        yield url


def test_a_visitor_reads_the_front_page_their_own_page_and_the_room_in_northern_sami(
    browser: Browser, fresh_demo: str
) -> None:
    sweep = Sweep(lambda path: path)  # no personal link is ever in these pages' paths
    with browser_contexts(browser, fresh_demo, default_lang="se") as open_context:
        parent = open_context().new_page()
        parent.goto("/")
        expect(parent.locator("html")).to_have_attribute("lang", "se")
        expect(parent.locator("h1")).to_have_text("Rabas joavkkut")
        expect(parent.locator('nav.languages [aria-current="true"]')).to_have_text(
            "Davvisámegiella"
        )
        expect(parent.locator("#quick-exit")).to_have_text("Vuolgge jođánit")
        expect(parent.locator(".draft-translation")).to_contain_text(DRAFT)
        sweep.check(parent, "the front page in Northern Sámi")

        parent.locator('li.try-it-room[data-mode="chat"] button[data-try="parent"]').click()
        expect(parent).to_have_url(re.compile(r"/me$"))
        expect(parent.locator("html")).to_have_attribute("lang", "se")
        match = YOU_TAKE_PART.search(parent.get_by_text(YOU_TAKE_PART).inner_text())
        assert match
        pseudonym = match.group(1)
        expect(parent.locator("summary", has_text="Veahkki dál")).to_be_visible()
        sweep.check(parent, "a parent's page in Northern Sámi")

        parent.locator('a[href^="/me/sessions/"][href$="/room"]').first.click()
        expect(parent).to_have_url(re.compile(r"/me/sessions/\d+/room$"))
        expect(parent.locator("html")).to_have_attribute("lang", "se")
        expect(chat_texts(parent).first).to_be_visible()  # admitted
        say(parent, "Bures buohkaide!")
        own = parent.locator("#chat-log > li.msg:not(.pending)", has_text="Bures buohkaide!")
        expect(own.locator(".msg-you")).to_have_text("(don)")  # drawn by the script
        reply = chat_texts(parent).filter(has_text=f"Bures boahtin, {pseudonym}!")
        expect(reply).to_have_count(1)  # the simulated facilitator answers in Sámi too
        expect(parent.locator("#chat-form button.send")).to_have_text("Sádde")
        sweep.check(parent, "the room in Northern Sámi")
    sweep.assert_clean({"/", "/me"})
