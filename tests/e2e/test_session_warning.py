"""Staff are warned before their session ends and can keep it (WCAG 2.2.1 Timing Adjustable).

A real server whose staff sessions end after five minutes without use (the shortest a setting
allows), so the warning opens one minute before the end (a fifth of the limit). Waiting minutes
would make a slow test, so the test ages the session in the server's database (when the server
last saw it) and moves the page's clock on (Playwright's clock): the page's own timer then asks
the server, as it would after four quiet minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from server.demo import DEMO_PASSWORD
from server.storage.tables import StaffSessionRow
from tests.e2e.accessibility import Sweep
from tests.e2e.playwright_api import Browser, BrowserContext, Locator, Page, expect
from tests.e2e.servers import browser_contexts, tupa_server
from tests.e2e.staff import COORDINATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

IDLE = timedelta(minutes=5)
MAX_HOURS = 12
FORM = "/staff/series/new"
TYPED = "Ryhmä vanhemmille, joiden lapsi aloittaa koulun: kirjoitettu ennen varoitusta."
QUIET = "04:30"  # on the page's clock: past the moment the warning is due after a page load


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("tupa-session-warning")
    minutes = str(int(IDLE.total_seconds() // 60))
    env = {"TUPA_STAFF_SESSION_IDLE_MINUTES": minutes, "TUPA_STAFF_SESSION_MAX_HOURS": "12"}
    with tupa_server(home, **env) as url:
        yield url, home / "tupa.db"


@pytest.fixture
def database(server: tuple[str, Path]) -> Path:
    return server[1]


@pytest.fixture
def new_context(
    browser: Browser, server: tuple[str, Path]
) -> Iterator[Callable[..., BrowserContext]]:
    with browser_contexts(browser, server[0], default_lang="en") as open_context:
        yield open_context


@contextmanager
def server_database(path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as db, db.begin():
            yield db
    finally:
        engine.dispose()


def newest_session(path: Path) -> StaffSessionRow:
    with server_database(path) as db:
        row = db.scalars(select(StaffSessionRow).order_by(StaffSessionRow.id.desc())).first()
        assert row is not None
        db.expunge(row)
        return row


def age_newest_session(path: Path, **values: datetime) -> None:
    """Move the server's record of the newest staff session back, as quiet minutes would."""
    session_id = newest_session(path).id
    with server_database(path) as db:
        db.execute(update(StaffSessionRow).where(StaffSessionRow.id == session_id).values(**values))


def form_being_written(context: BrowserContext) -> Page:
    """A coordinator writing a new series' description, the page's clock in the test's hand."""
    page = context.new_page()
    page.clock.install()
    log_in(page, COORDINATOR_EMAIL)
    page.goto(FORM)
    page.locator(f'a[href^="{FORM}?program="]').first.click()
    page.locator("#description").fill(TYPED)
    expect(page.locator("#description")).to_be_focused()
    return page


def warning(page: Page) -> Locator:
    return page.locator("dialog#session-warning")


def quiet_until_warned(page: Page, path: Path, left: timedelta) -> None:
    """The session goes quiet until ``left`` remains; the page's timer then wakes."""
    age_newest_session(path, last_seen_at=datetime.now(UTC) - IDLE + left)
    page.clock.fast_forward(QUIET)


def seconds_left(page: Page) -> int:
    answer = page.request.get("/staff/session/time-left")
    assert answer.status == 200, answer.text()
    seconds: int = answer.json()["idle_seconds"]
    return seconds


def test_the_warning_opens_before_the_idle_end_and_continue_keeps_the_session_and_the_text(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    page = form_being_written(new_context())
    expect(warning(page)).to_be_hidden()

    quiet_until_warned(page, database, timedelta(seconds=50))

    dialog = warning(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("role", "alertdialog")
    expect(dialog).to_have_accessible_name("Your session is about to end")
    expect(dialog).to_have_accessible_description(re.compile(r"logged out in \d+ seconds\."))
    continue_button = dialog.get_by_role("button", name="Continue")
    expect(continue_button).to_be_focused()
    expect(dialog.get_by_role("button", name="Log out")).to_be_visible()
    expect(dialog.get_by_role("button", name="Close")).to_be_hidden()
    assert page.evaluate("() => document.querySelector('#session-warning').matches(':modal')")

    sweep = Sweep(route_of=lambda path: path if path == FORM else None)
    sweep.check(page, "the session warning")
    sweep.assert_clean({FORM})

    before = newest_session(database).last_seen_at
    continue_button.click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#description")).to_have_value(TYPED)
    expect(page.locator("#description")).to_be_focused()  # back where the person was writing
    assert newest_session(database).last_seen_at > before + timedelta(seconds=200)
    assert seconds_left(page) > IDLE.total_seconds() - 30
    page.goto("/staff")  # still signed in
    expect(page).to_have_url(re.compile(r"/staff$"))


def test_escape_keeps_the_session_rather_than_dismissing_it_into_a_logout(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    page = form_being_written(new_context())
    quiet_until_warned(page, database, timedelta(seconds=45))
    expect(warning(page)).to_be_visible()

    page.keyboard.press("Escape")

    expect(warning(page)).to_be_hidden()
    expect(page).to_have_url(re.compile(FORM))  # not the quick exit: Escape was pressed once
    assert seconds_left(page) > IDLE.total_seconds() - 30


def test_continue_in_another_tab_closes_the_warning_here(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    context = new_context()
    page = form_being_written(context)
    other = context.new_page()
    other.clock.install()
    other.goto("/staff")
    # Every request a signed-in page makes counts as use: the session is aged only after the
    # other tab's last one, or a late one (a loaded CI machine) would undo the ageing.
    other.wait_for_load_state("networkidle")
    quiet_until_warned(page, database, timedelta(seconds=50))
    other.clock.fast_forward(QUIET)
    expect(warning(page)).to_be_visible()
    expect(warning(other)).to_be_visible()

    warning(other).get_by_role("button", name="Continue").click()

    expect(warning(other)).to_be_hidden()
    expect(warning(page)).to_be_hidden()
    expect(page.locator("#description")).to_have_value(TYPED)


def test_once_the_session_has_ended_the_warning_says_so_and_the_login_returns_to_the_page(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    page = form_being_written(new_context())

    quiet_until_warned(page, database, -timedelta(seconds=5))

    dialog = warning(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name("Your session has ended")
    expect(dialog.get_by_role("button", name="Continue")).to_be_hidden()
    login = dialog.get_by_role("link", name="Log in again")
    expect(login).to_be_focused()
    here = urlsplit(page.url)
    back = f"{here.path}?{here.query}"
    expect(login).to_have_attribute("href", f"/staff/login?next={quote(back, safe='')}")

    login.click()
    page.locator("#email").fill(COORDINATOR_EMAIL)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator('form[action="/staff/login"] button[type="submit"]').click()

    expect(page).to_have_url(re.compile(re.escape(back) + "$"))  # the same form again
    expect(warning(page)).to_be_hidden()


def test_the_absolute_limit_is_warned_without_continue(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    page = form_being_written(new_context())
    started = datetime.now(UTC) - timedelta(hours=MAX_HOURS) + timedelta(minutes=4)
    age_newest_session(database, created_at=started)

    page.clock.fast_forward("00:20")  # the open page asks again within its recheck
    page.reload()  # or on the next page it loads

    dialog = warning(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name("Your session ends soon")
    expect(dialog).to_have_accessible_description(re.compile(r"It ends in 4 minutes"))
    expect(dialog.get_by_role("button", name="Continue")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()

    dialog.get_by_role("button", name="Close").click()

    expect(dialog).to_be_hidden()
    page.goto("/staff")  # closing it logged nobody out
    expect(page).to_have_url(re.compile(r"/staff$"))


def test_log_out_in_the_warning_ends_the_session_on_the_server(
    new_context: Callable[..., BrowserContext], database: Path
) -> None:
    page = form_being_written(new_context())
    session_id = newest_session(database).id
    quiet_until_warned(page, database, timedelta(seconds=50))

    warning(page).get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/$"))
    with server_database(database) as db:
        assert db.get(StaffSessionRow, session_id) is None
