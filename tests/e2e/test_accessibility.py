"""Every page a visitor, a parent, a facilitator, a volunteer and a coordinator reach passes
axe-core's WCAG 2.1 A and AA rules and its best practices, at a desktop and a phone width.

The rooms are swept as each person sees them: a parent before the room opens, in the waiting room
and let in (chat, a private conversation), the facilitator with someone waiting and with a
member's actions open, a video room with cameras on, and a stage with a volunteer on it and a
parent watching. Forms are swept with their error messages too.

Which pages exist is read from the application: a GET route that is neither swept here (ROUTES)
nor left out with a reason (NOT_PAGES) fails the first test, so a new page cannot go unchecked.
axe-core is the npm release vendored in tests/e2e/vendor/axe-core, never fetched at run time.

One server of its own (the tests move sessions and enrol parents; the shared demo server's
figures are other tests' subject) and the module's one browser; each test opens few contexts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from functools import cache

import pyotp
import pytest
from fastapi.routing import APIRoute

from server.app import create_app
from server.demo import DEMO_ACCOUNTS
from server.people.roles import Role
from server.settings import Settings
from tests.e2e.accessibility import AXE_DIR, AXE_SHA256, AXE_VERSION, Sweep, axe_source
from tests.e2e.playwright_api import Browser, BrowserContext, Dialog, Page, Route, expect
from tests.e2e.room import (
    accept_dialogs,
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
    say,
)
from tests.e2e.servers import browser_contexts, tupa_server
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

CHAT_SERIES = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data: chat
VIDEO_SERIES = "Minä, tunteet ja taidot – talven ryhmä"  # demo data: everyone on video
STAGE_SERIES = "Tietoa ja tukea lapsiperheen eroon"  # demo data: a stage and an audience
RUNNING_SERIES = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data: halfway, with figures
TAKEN_PSEUDONYM = "Mustikka"  # the demo enrols her in the chat series
VOLUNTEER_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.role is Role.VOLUNTEER)
NEW_PASSWORD = "kolme-karhua-lumisessa-metsassa"

VISITOR, PARENT, CHAT, STAGE, STAFF = "visitor", "parent", "chat room", "stage", "staff"
# Every GET route that answers with a page, and the tests that sweep it.
ROUTES: dict[str, tuple[str, ...]] = {
    "/": (VISITOR,),
    "/series/{series_id}": (VISITOR,),
    "/safe-use": (VISITOR,),
    "/accessibility": (VISITOR,),
    "/staff/login": (VISITOR,),
    "/me/forgotten": (VISITOR,),
    "/me/erased": (VISITOR,),
    "/me": (PARENT,),
    "/me/{token}": (PARENT,),
    "/me/erase": (PARENT,),
    "/me/self-assessment/{moment}": (PARENT,),
    "/me/feedback/{session_id}": (PARENT,),
    "/me/sessions/{session_id}/room": (PARENT, CHAT, STAGE),
    "/staff/sessions/{session_id}/room": (PARENT, CHAT, STAGE),
    "/staff": (PARENT, STAGE, STAFF),
    "/staff/series/new": (STAFF,),
    "/staff/series/{series_id}": (STAFF,),
    "/staff/series/{series_id}/bans": (STAFF,),
    "/staff/series/{series_id}/attendance": (STAFF,),
    "/staff/series/{series_id}/moderation": (STAFF,),
    "/staff/series/{series_id}/report": (STAFF,),
    "/staff/series/{series_id}/enrolments/{enrolment_id}/erase": (STAFF,),
    "/staff/programs": (STAFF,),
    "/staff/programs/{program_id}/questionnaires/{kind}": (STAFF,),
    "/staff/programs/{program_id}/report": (STAFF,),
    "/staff/people": (STAFF,),
    "/staff/accessibility-feedback": (STAFF,),
    "/staff/people/{staff_id}/security-log": (STAFF,),
    "/staff/security": (STAFF,),
    "/staff/reset/{token}": (STAFF,),
    "/staff/reset": (STAFF,),
    "/staff/reset/done": (STAFF,),
    "/staff/login/code": (STAFF,),
}
# GET routes that answer with something other than a page.
NOT_PAGES: dict[str, str] = {
    "/healthz": "JSON for a load balancer",
    "/readyz": "JSON for a load balancer",
    "/api/v1/series": "the JSON API",
    "/api/v1/series/{series_id}": "the JSON API",
    "/series/{series_id}/calendar.ics": "a calendar file",
    "/me/calendar.ics": "a calendar file",
    "/calendar/staff/{token}.ics": "a calendar feed",
    "/me/data.json": "a parent's own data, a JSON download",
    "/staff/session/time-left": "JSON for the session warning (its dialog: test_session_warning)",
    "/staff/series/{series_id}/enrolments/{enrolment_id}/export": "a JSON download",
    "/staff/series/{series_id}/report.{kind}": "a PDF or CSV download",
    "/staff/programs/{program_id}/report.{kind}": "a PDF or CSV download",
    "/me/volunteer": "a page, but only with an invitation: axe sweeps it in test_peer_volunteer.py",
    "/staff/intakes/new": "axe sweeps it in test_composed_groups.py, with the intake it opens",
    "/staff/intakes/{intake_id}": "only with an intake: axe sweeps it in test_composed_groups.py",
    "/staff/intakes/{intake_id}/compose": "only with a closed intake: test_composed_groups.py",
    "/staff/series/{series_id}/individual": "axe sweeps it with times booked, in test_individual_*",
}


@cache
def app_routes() -> list[APIRoute]:
    """The application's HTTP routes, in the order it tries them."""
    app = create_app(Settings(secret_key="k", data_dir="var-unused"), background=False)
    found: list[APIRoute] = []
    for included in app.router.routes:
        routes = getattr(getattr(included, "original_router", None), "routes", [included])
        found += [route for route in routes if isinstance(route, APIRoute)]
    return found


def get_routes() -> set[str]:
    return {route.path for route in app_routes() if "GET" in (route.methods or ())}


def route_of(path: str) -> str | None:
    """The route whose answer is on the page: a GET route, or the POST route that answered a
    form with a page (an error, a confirmation), as the application picks it (first match)."""
    for get_first in (True, False):
        for route in app_routes():
            if ("GET" in (route.methods or ())) is get_first and route.path_regex.match(path):
                return route.path
    return None


def covered_by(test: str) -> set[str]:
    return {route for route, tests in ROUTES.items() if test in tests}


# ---- the lists themselves -----------------------------------------------------------------------


def test_every_get_route_is_swept_or_left_out_with_a_reason() -> None:
    routes = get_routes()
    assert not set(ROUTES) & set(NOT_PAGES)
    assert routes - set(ROUTES) - set(NOT_PAGES) == set(), "new pages: add them to ROUTES"
    assert (set(ROUTES) | set(NOT_PAGES)) - routes == set(), "gone: take them out of the lists"


def test_the_vendored_axe_core_is_the_pinned_npm_release() -> None:
    axe_source()  # checks the sha256
    header = (AXE_DIR / "axe.min.js").read_text()[:200]
    assert f"axe v{AXE_VERSION}" in header
    assert "Mozilla Public License, v. 2.0" in (AXE_DIR / "LICENSE").read_text()
    readme = (AXE_DIR / "README.md").read_text()
    assert AXE_VERSION in readme
    assert AXE_SHA256 in readme


# ---- the server, the browser, the people ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with tupa_server(tmp_path_factory.mktemp("tupa-axe")) as url:
        yield url


@pytest.fixture
def new_context(browser: Browser, server: str) -> Iterator[NewContext]:
    with browser_contexts(browser, server) as open_context:
        yield open_context


@pytest.fixture
def sweep() -> Sweep:
    return Sweep(route_of)


def staff_page(new_context: NewContext, email: str, lang: str | None = None) -> Page:
    page = new_context(lang=lang).new_page()
    log_in(page, email)
    return page


def stopped_before(page: Page, path: str) -> Callable[[], None]:
    """Keeps the page where it is when it moves on to ``path`` by itself (the pages that swap a
    link for a cookie move on at once): a 204 answer leaves a browser on the page it has.
    Returns what lets the page go there again."""

    def stay(route: Route) -> None:
        route.fulfill(status=204)

    pattern = re.compile(rf"^[^?#]*//[^/]+{re.escape(path)}([?#].*)?$")
    page.route(pattern, stay)
    return lambda: page.unroute(pattern, stay)


def series_id_of(page: Page, title: str) -> str:
    """The id of the demo's series of that title on the public listing: the first planned, not
    a live demo room's (those are series of the same programs, planned after the demo data)."""
    page.goto("/")
    cards = page.locator("li.series-card").filter(has=page.locator("h2", has_text=title))
    expect(cards.first).to_be_visible()
    ids = cards.evaluate_all("cards => cards.map((card) => Number(card.dataset.seriesId))")
    return str(min(ids))


def enrol(page: Page, series_id: str, pseudonym: str) -> str:
    """Enrols from the public page; returns the personal link, shown once."""
    page.goto(f"/series/{series_id}")
    form = page.locator(f'form[action="/series/{series_id}/enrol"]')
    expect(form.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
    form.locator("#pseudonym").fill(pseudonym)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    return page.locator("#personal-link").input_value()


# ---- the sweeps ----------------------------------------------------------------------------------


def test_the_pages_a_visitor_reaches_pass_axe(new_context: NewContext, sweep: Sweep) -> None:
    page = new_context().new_page()  # in Finnish, as most visitors see Tupa
    page.goto("/")
    sweep.check(page, "the listing of open groups")
    series_id = series_id_of(page, CHAT_SERIES)
    page.goto(f"/series/{series_id}")
    sweep.check(page, "a series page with its enrolment form")
    page.locator("#pseudonym").fill(TAKEN_PSEUDONYM)
    page.locator(f'form[action="/series/{series_id}/enrol"] button[type="submit"]').click()
    expect(page.locator('[aria-invalid="true"]').first).to_be_visible()
    sweep.check(page, "the enrolment form with a pseudonym already taken")
    page.goto("/series/2147483647")
    sweep.check(page, "the page of a series that does not exist")
    for path, label in (
        ("/safe-use", "safe use"),
        ("/me/forgotten", "a forgotten device"),
        ("/me/erased", "erased data"),
        ("/me", "the personal page without a link"),
        ("/accessibility", "the accessibility statement"),
        ("/staff/login", "the staff login"),
    ):
        page.goto(path)
        sweep.check(page, label)
    page.locator("#email").fill("nobody@demo.tupa.fi")
    page.locator("#password").fill("not the password")
    page.locator('form[action="/staff/login"] button[type="submit"]').click()
    expect(page.locator("p.notice.error")).to_be_visible()
    sweep.check(page, "the staff login after a wrong password")
    page.goto("/accessibility")
    send_feedback = page.locator('form[action="/accessibility/feedback"] button[type="submit"]')
    page.locator("#feedback-text").fill(" ")  # passes the browser's check, not the server's
    send_feedback.click()
    expect(page.locator('[aria-invalid="true"]').first).to_be_visible()
    sweep.check(page, "the accessibility feedback form, with a problem")
    page.locator("#feedback-text").fill("Kontrasti on heikko.")
    send_feedback.click()
    expect(page.locator("#feedback-sent")).to_be_visible()
    sweep.check(page, "the accessibility statement, feedback sent")
    sweep.assert_clean(covered_by(VISITOR))


def test_a_parents_pages_and_a_video_room_pass_axe(new_context: NewContext, sweep: Sweep) -> None:
    coordinator = staff_page(new_context, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, VIDEO_SERIES)
    coordinator.context.close()

    parent = new_context().new_page()
    link = enrol(parent, series_id, "Vaahtera")
    sweep.check(parent, "the enrolment confirmation with the personal link")
    go_on = stopped_before(parent, "/me")
    parent.goto(link)
    sweep.check(parent, "the page that swaps the personal link for this device")
    go_on()
    parent.goto("/me")
    sweep.check(parent, "the personal page")
    parent.goto("/me/self-assessment/start")
    sweep.check(parent, "the self-assessment at the start")
    parent.goto("/me/erase")
    sweep.check(parent, "erasing one's own data")
    parent.goto(f"/me/sessions/{session_id}/room")
    connected(parent)
    sweep.check(parent, "a video room before it opens, as a parent")

    facilitator = staff_page(new_context, FACILITATOR_EMAIL, lang="en")
    sweep.check(facilitator, "the dashboard, as a facilitator")
    open_room_without_lobby(facilitator, session_id)
    for page in (parent, facilitator):
        expect(page.locator("#room-grid")).to_be_visible()
        expect(page.locator("#room-status")).to_have_attribute("data-tone", "none")
        page.locator("#media-start").click()
        expect(page.locator("#media-controls")).to_be_visible()
    for page in (parent, facilitator):
        expect(page.locator("#media-tiles > li.media-tile")).to_have_count(2)
    say(parent, "Hei kaikille!")
    sweep.check(parent, "a video room with cameras on, as a parent")
    sweep.check(facilitator, "a video room with cameras on, as the facilitator")

    facilitator.locator("#room-end").click()
    expect(parent.locator("#room-feedback")).to_be_visible()
    sweep.check(parent, "an ended room, as a parent")
    parent.locator("#room-feedback").click()
    expect(parent).to_have_url(re.compile(rf"/me/feedback/{session_id}$"))
    sweep.check(parent, "feedback on a session")
    sweep.assert_clean(covered_by(PARENT))


def connected(page: Page) -> None:
    """The room page has its welcome: its status line no longer says it is connecting."""
    page.wait_for_function(
        """() => document.getElementById("room-status-text").textContent !==
                 JSON.parse(document.getElementById("room-strings").textContent).connecting"""
    )


def answer_prompts(page: Page, text: str) -> None:
    """The room asks for a report's reason with prompt() and confirms with confirm(): answer."""

    def answer(dialog: Dialog) -> None:
        dialog.accept(text if dialog.type == "prompt" else None)

    page.on("dialog", answer)


def test_a_chat_room_passes_axe_as_parent_and_facilitator(
    new_context: NewContext, sweep: Sweep
) -> None:
    coordinator = staff_page(new_context, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, CHAT_SERIES)
    coordinator.context.close()

    parent = new_context().new_page()
    answer_prompts(parent, "Tämä ei kuulu tänne.")
    enrol_and_join(parent, series_id, session_id, "Pihlaja")
    facilitator = staff_page(new_context, FACILITATOR_EMAIL, lang="en")
    accept_dialogs(facilitator)
    facilitator.goto(f"/staff/sessions/{session_id}/room")
    expect(facilitator.locator("#room-open")).to_be_visible()
    sweep.check(facilitator, "a room not yet open, as the facilitator")
    facilitator.locator("#room-open").click()
    expect(facilitator.locator("#lobby-list > li")).to_have_count(1)
    expect(parent.locator("#room-status")).to_have_attribute("data-tone", "info")
    expect(parent.locator("#room-grid")).to_be_hidden()
    sweep.check(parent, "the waiting room, as a parent")
    sweep.check(facilitator, "a room with a parent waiting, as the facilitator")

    facilitator.locator('#lobby-list > li button[data-act="admit"]').click()
    expect(parent.locator("#chat-form")).to_be_visible()
    say(facilitator, "Tervetuloa ryhmään!")
    say(parent, "Kiitos, kiva olla täällä.")
    parent.locator('#chat-log > li.msg.staff button[data-act="report"]').click()
    expect(facilitator.locator("#report-list > li")).to_have_count(1, timeout=20_000)
    member = facilitator.locator("#member-list > li.member").filter(has_text="Pihlaja")
    member.locator("details.member-actions > summary").click()
    member.locator('button[data-act="private"]').click()
    thread = facilitator.locator("#thread-list > details.thread")
    thread.locator("textarea").fill("Haluatko jutella kahden kesken?")
    thread.locator("textarea").press("Enter")
    expect(parent.locator("#thread-list > details.thread li.msg")).to_have_count(1)
    actions = member.locator("details.member-actions")
    if actions.get_attribute("open") is None:
        actions.locator("summary").click()
    expect(actions).to_have_attribute("open", "")
    sweep.check(parent, "a chat room with a private conversation, as a parent")
    sweep.check(facilitator, "a chat room with a report and a member's actions open")
    sweep.assert_clean(covered_by(CHAT))


def test_a_stage_passes_axe_as_volunteer_and_audience(
    new_context: NewContext, sweep: Sweep
) -> None:
    coordinator = staff_page(new_context, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES)
    coordinator.context.close()
    facilitator = staff_page(new_context, FACILITATOR_EMAIL, lang="en")
    open_room_without_lobby(facilitator, session_id)

    volunteer = staff_page(new_context, VOLUNTEER_EMAIL)
    sweep.check(volunteer, "the dashboard, as a volunteer")
    volunteer.goto(f"/staff/sessions/{session_id}/room")
    expect(volunteer.locator("#room-status")).to_have_attribute("data-tone", "none")
    volunteer.locator("#media-start").click()
    expect(volunteer.locator("#media-controls")).to_be_visible()
    expect(volunteer.locator("#media-tiles > li.own")).to_have_count(1)

    parent = new_context().new_page()
    enrol_and_join(parent, series_id, session_id, "Saarni")
    expect(parent.locator("#media-receiving")).to_be_visible()
    expect(parent.locator("#media-tiles > li.media-tile")).to_have_count(1)
    parent.locator("#ask-text").fill("Miten kerron lapselle erosta?")
    parent.locator("#ask-text").press("Enter")
    expect(facilitator.locator("#question-list > li")).to_have_count(1)
    expect(parent.locator("#question-list > li:not(.pending)")).to_have_count(1)
    sweep.check(volunteer, "a stage, as a volunteer on it")
    sweep.check(parent, "a stage, as a parent in the audience")
    sweep.assert_clean(covered_by(STAGE))


def test_the_staff_pages_pass_axe(new_context: NewContext, sweep: Sweep) -> None:
    coordinator = staff_page(new_context, COORDINATOR_EMAIL)
    accept_dialogs(coordinator)
    sweep.check(coordinator, "the dashboard, as a coordinator")
    coordinator.goto("/staff/series/new")
    sweep.check(coordinator, "choosing a program for a new series")
    coordinator.locator('a[href^="/staff/series/new?program="]').first.click()
    expect(coordinator.locator("#title")).to_be_visible()
    sweep.check(coordinator, "planning a new series")

    coordinator.goto("/staff")
    coordinator.locator('a[href^="/staff/series/"]', has_text=RUNNING_SERIES).first.click()
    series_path = coordinator.url.split("?")[0].split("//", 1)[1].split("/", 1)[1]
    sweep.check(coordinator, "a series with its enrolments")
    erase_path = coordinator.locator('a[href$="/erase"]').first.get_attribute("href")
    assert erase_path is not None
    for path, label in (
        (erase_path, "erasing a parent's data"),
        (f"/{series_path}/bans", "a series' bans"),
        (f"/{series_path}/attendance", "a series' attendance"),
        (f"/{series_path}/moderation", "a series' moderation log"),
        (f"/{series_path}/report", "a series' evaluation report"),
        ("/staff/accessibility-feedback", "the accessibility feedback"),
        ("/staff/programs", "the programs"),
    ):
        coordinator.goto(path)
        sweep.check(coordinator, label)
    coordinator.locator('a[href*="/questionnaires/"]').first.click()
    sweep.check(coordinator, "a program's questionnaire")
    coordinator.goto("/staff/programs")
    coordinator.locator('a[href$="/report"]').first.click()
    sweep.check(coordinator, "a program's evaluation report")

    # A new staff member, a reset link for them, and their first login with two factors.
    coordinator.goto("/staff/people")
    sweep.check(coordinator, "the staff people")
    coordinator.locator('form[action="/staff/people"] button[type="submit"]').click()
    expect(coordinator.locator('[aria-invalid="true"]').first).to_be_visible()
    sweep.check(coordinator, "adding a staff member, with problems")
    email = f"uusi-{int(time.time())}@demo.tupa.fi"
    coordinator.locator("#role").select_option(Role.FACILITATOR.value)
    coordinator.locator("#real_name").fill("Uusi Ohjaaja")
    coordinator.locator("#email").fill(email)
    coordinator.locator("#password").fill(NEW_PASSWORD)
    coordinator.locator('form[action="/staff/people"] button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(r"/staff/people\?done=added$"))
    row = coordinator.locator("tr", has_text=email)
    row.locator('form[action$="/reset-link"] button[type="submit"]').click()
    expect(coordinator.locator("#reset-link")).to_be_visible()
    sweep.check(coordinator, "the staff people, with a reset link")
    reset_link = coordinator.locator("#reset-link").input_value()
    coordinator.locator("tr", has_text=email).locator('a[href$="/security-log"]').click()
    sweep.check(coordinator, "a staff member's security log")

    newcomer = new_context().new_page()
    go_on = stopped_before(newcomer, "/staff/reset")
    newcomer.goto(reset_link)
    sweep.check(newcomer, "the page that opens a reset link")
    go_on()
    newcomer.goto("/staff/reset")
    sweep.check(newcomer, "setting a new password")
    newcomer.locator("#new-password").fill(NEW_PASSWORD + "-2")
    newcomer.locator("#repeat-password").fill(NEW_PASSWORD + "-2")
    newcomer.locator('form[action="/staff/reset"] button[type="submit"]').click()
    expect(newcomer).to_have_url(re.compile(r"/staff/reset/done$"))
    sweep.check(newcomer, "a new password set")
    log_in_as(newcomer, email, NEW_PASSWORD + "-2")
    newcomer.goto("/staff/security")
    sweep.check(newcomer, "the security page")
    secret = newcomer.locator("#totp-secret").inner_text()
    newcomer.locator("#code").fill(pyotp.TOTP(secret).now())
    newcomer.locator('form[action="/staff/security/totp"] button[type="submit"]').click()
    expect(newcomer.locator("#recovery-codes")).to_be_visible()
    sweep.check(newcomer, "the security page with new recovery codes")
    newcomer.locator('form[action="/staff/logout"] button').click()
    newcomer.goto("/staff/login")
    newcomer.locator("#email").fill(email)
    newcomer.locator("#password").fill(NEW_PASSWORD + "-2")
    newcomer.locator('form[action="/staff/login"] button[type="submit"]').click()
    expect(newcomer).to_have_url(re.compile(r"/staff/login/code$"))
    sweep.check(newcomer, "the second step of logging in")
    sweep.assert_clean(covered_by(STAFF))


def log_in_as(page: Page, email: str, password: str) -> None:
    page.goto("/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator('form[action="/staff/login"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/staff$"))
