"""End to end, in a real browser: from participant to peer volunteer.

The demo's autumn group of "Minä, tunteet ja taidot" has held four sessions; Kaisla came to all
four. The coordinator cancels the five sessions still planned, so the group has ended with Kaisla
among those who completed it, and invites her from the series page. Kaisla, with a new personal
link, reads the invitation on her page and accepts it with the alias "Aamu", a login name and a
password; she then logs in on the staff login page with the login name (in other letter case).

The coordinator assigns the new volunteer to the winter group and moves its next session to
start soon; the facilitator opens the room; the volunteer and Kanerva, a parent of the winter
group, come in. Neither Kanerva's view nor the volunteer's own shows "Kaisla" anywhere; the
coordinator's staff accounts page links the alias to the pseudonym, and the program report
counts one parent who continued as a peer volunteer, hidden (fewer than three).

The second test plans the Kokemuskumppani training from its template and runs its first
training day with three trainees enrolled as parents; the series report counts their attendance
and a commitment of 100 %.

Pages are in English (``/?lang=en``) where wording is read; elements are found by id, name and
href.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from tests.e2e.accessibility import Sweep
from tests.e2e.playwright_api import BrowserContext, Page, expect
from tests.e2e.room import (
    HREFS,
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

AUTUMN = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data, not a translation
WINTER = "Minä, tunteet ja taidot – talven ryhmä"
PROGRAM = "Minä, tunteet ja taidot"
KAISLA = "Kaisla"
KANERVA = "Kanerva"
ALIAS = "Aamu Kumppani"
LOGIN_NAME = "aamu.kumppani"
PASSWORD = "kolme karhua metsässä"
HIDDEN = "hidden"


def series_page(coordinator: Page, title: str) -> str:
    """Opens the series page of the demo series with this title (the first made) and returns
    its id."""
    coordinator.goto("/staff")
    links = coordinator.locator('a[href^="/staff/series/"]', has_text=title)
    expect(links.first).to_be_visible()
    series_id = str(min(int(str(h).rsplit("/", 1)[1]) for h in links.evaluate_all(HREFS)))
    coordinator.goto(f"/staff/series/{series_id}")
    return series_id


def cancel_planned_sessions(coordinator: Page, series_id: str) -> None:
    """Cancels every session still planned, one form at a time, as a coordinator ends a group
    early."""
    planned = coordinator.locator("ol.staff-sessions > li").filter(
        has=coordinator.locator(f'form[action^="/staff/series/{series_id}/"][action$="/cancel"]')
    )
    for _ in range(planned.count()):
        before = planned.count()
        planned.first.locator("details > summary").click()
        planned.first.locator('form[action$="/cancel"] button[type="submit"]').click()
        expect(coordinator).to_have_url(re.compile(r"\?done=session_cancelled$"))
        expect(planned).to_have_count(before - 1)


def new_personal_link(coordinator: Page, series_id: str, pseudonym: str) -> str:
    """A new personal link for an enrolled parent from the series page (shown once)."""
    coordinator.goto(f"/staff/series/{series_id}")
    row = coordinator.locator("table.enrolments > tbody > tr").filter(
        has=coordinator.get_by_role("rowheader", name=pseudonym, exact=True)
    )
    expect(row).to_have_count(1)
    row.locator('form[action$="/reissue"] button[type="submit"]').click()
    link = coordinator.locator("input.link-box")
    expect(link).to_have_value(re.compile(r"/me/[^/]+$"))
    return link.input_value()


def peer_row(coordinator: Page, pseudonym: str):
    return coordinator.locator("#peer-volunteers table > tbody > tr").filter(
        has=coordinator.get_by_role("rowheader", name=pseudonym, exact=True)
    )


def test_a_parent_becomes_a_peer_volunteer_whom_only_the_coordinator_links(
    new_context: NewContext,
) -> None:
    sweep = Sweep(lambda path: path)  # the new pages and sections pass axe too
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)

    # The autumn group ends early: its planned sessions are cancelled. Kaisla completed it.
    autumn_id = series_page(coordinator, AUTUMN)
    cancel_planned_sessions(coordinator, autumn_id)
    expect(peer_row(coordinator, KAISLA).locator('form[action$="/peer-invitation"]')).to_have_count(
        1
    )
    # Sara never came: she did not complete, so she is not offered an invitation.
    expect(peer_row(coordinator, "Sara")).to_have_count(0)
    peer_row(coordinator, KAISLA).locator('form[action$="/peer-invitation"] button').click()
    expect(coordinator).to_have_url(re.compile(r"\?done=peer_invited#peer-volunteers$"))
    expect(peer_row(coordinator, KAISLA).locator("td[data-invitation]")).to_have_attribute(
        "data-invitation", "open"
    )
    sweep.check(coordinator, "series page with its peer volunteers")
    link = new_personal_link(coordinator, autumn_id, KAISLA)

    # Kaisla accepts on her page: an alias, a login name instead of an e-mail, a password.
    kaisla = new_context(lang="en").new_page()
    kaisla.goto(link)
    expect(kaisla).to_have_url(re.compile(r"/me$"))
    sweep.check(kaisla, "personal page with an invitation")
    kaisla.locator('a[href="/me/volunteer"]').click()
    expect(kaisla).to_have_url(re.compile(r"/me/volunteer$"))
    sweep.check(kaisla, "the invitation")
    form = kaisla.locator("#volunteer-accept")
    form.locator("#real_name").fill("Anna Esimerkki")
    form.locator("#alias").fill(ALIAS)
    form.locator("#login").fill(LOGIN_NAME)
    form.locator("#new-password").fill(PASSWORD)
    form.locator("#repeat-password").fill(PASSWORD)
    form.locator('button[type="submit"]').click()
    expect(kaisla).to_have_url(re.compile(r"/me\?volunteer=accepted$"))
    expect(kaisla.locator('[data-volunteer="accepted"]')).to_be_visible()
    expect(kaisla.locator('a[href="/me/volunteer"]')).to_have_count(0)  # used once

    # She logs in as the volunteer with the login name, typed in other letter case.
    volunteer = new_context(lang="en").new_page()
    volunteer.goto("/staff/login")
    volunteer.locator("#email").fill(LOGIN_NAME.upper())
    volunteer.locator("#password").fill(PASSWORD)
    expect(volunteer.locator('input[name="csrf_token"]').first).to_have_value(re.compile(r".{16,}"))
    volunteer.locator('form[action="/staff/login"] button[type="submit"]').click()
    expect(volunteer).to_have_url(re.compile(r"/staff$"))
    expect(volunteer.locator('form[action="/staff/logout"]')).to_be_visible()
    assert KAISLA not in volunteer.locator("body").inner_text()

    # The coordinator assigns her to the winter group and moves its next session to soon.
    winter_id = series_page(coordinator, WINTER)
    picker = coordinator.locator(f'form[action="/staff/series/{winter_id}/staff"]')
    picker.locator("label.choice", has_text=ALIAS).locator('input[type="checkbox"]').check()
    picker.locator('button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{winter_id}\?done="))
    _, session_id = move_next_session_to_soon(coordinator, WINTER)
    kanerva_link = new_personal_link(coordinator, winter_id, KANERVA)

    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    volunteer.goto(f"/staff/sessions/{session_id}/room")
    kanerva = new_context(lang="en").new_page()
    kanerva.goto(kanerva_link)
    kanerva.locator(f'a[href*="/sessions/{session_id}/"][href$="/room"]').click()
    for page in (facilitator, volunteer, kanerva):
        expect(page.locator("#member-list > li.member")).to_have_count(3)
        expect(page.locator("#member-list")).to_contain_text(ALIAS)
    # Another participant's view and the volunteer's own: nothing says who she was.
    for page in (kanerva, volunteer):
        assert KAISLA not in page.locator("body").inner_text()
        assert KAISLA not in page.content()

    # The coordinator sees the link, and the report counts the outcome, hidden under three.
    coordinator.goto("/staff/people")
    row = coordinator.locator("tr[data-staff-id]").filter(has_text=ALIAS)
    expect(row.locator(".former-participant")).to_contain_text(KAISLA)
    expect(row.locator(".login-name")).to_have_text(LOGIN_NAME)
    sweep.check(coordinator, "staff accounts with a former participant")
    coordinator.goto(f"/staff/series/{autumn_id}")
    expect(peer_row(coordinator, KAISLA)).to_contain_text(ALIAS)
    coordinator.goto("/staff/programs")
    coordinator.locator(
        'a[href^="/staff/programs/"][href$="/report"]', has_text=PROGRAM
    ).first.click()
    outcomes = coordinator.locator("#report-outcomes table tbody tr")
    expect(outcomes).to_have_count(1)
    expect(outcomes.first.locator("th, td").first).to_have_text("Continued as peer volunteers")
    expect(outcomes.first.locator("th, td").last).to_have_text(HIDDEN)
    sweep.assert_clean(set())


TRAINING = "Kokemuskumppanikoulutus"  # program data, not a translation
TRAINEES = ("Harjoittelija A", "Harjoittelija B", "Harjoittelija C")


def test_a_training_series_for_volunteers_to_be_reports_attendance_and_commitment(
    new_context: NewContext,
) -> None:
    """The coordinator plans the Kokemuskumppani training from its template (20 training days of
    five hours), moves its first day to start soon and runs it; three trainees enrol as parents
    do and wait in the room; the report counts their attendance and commitment like any series'."""
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    coordinator.goto("/staff/series/new")
    coordinator.locator('a[href^="/staff/series/new?program="]', has_text=TRAINING).click()
    expect(coordinator.locator("#duration_minutes")).to_have_value("300")
    expect(coordinator.locator("#session_count")).to_have_value("20")
    title = f"{TRAINING} – kevään koulutus"
    coordinator.locator("#title").fill(title)
    coordinator.locator('form[action="/staff/series/new"] button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(r"/staff/series/\d+\?done=created$"))
    expect(coordinator.locator("ol.staff-sessions > li")).to_have_count(20)
    # Not on the parents' front page: its address, shown here, goes to those invited.
    expect(coordinator.locator('input[name="listed"]')).not_to_be_checked()
    address = coordinator.locator("#series-address").input_value()
    assert re.search(r"/series/\d+$", address), address
    coordinator.goto("/")
    expect(coordinator.locator("main")).not_to_contain_text(title)
    series_id, session_id = move_next_session_to_soon(coordinator, title)

    trainees = []
    for pseudonym in TRAINEES:
        trainee = new_context(lang="en").new_page()
        enrol_and_join(trainee, series_id, session_id, pseudonym)
        expect(status(trainee)).to_contain_text("not open yet")
        trainees.append(trainee)
    opened = time.monotonic()
    open_room_without_lobby(coordinator, session_id)
    for page in (coordinator, *trainees):
        expect(page.locator("#member-list > li.member")).to_have_count(1 + len(TRAINEES))
    # Attendance counts half of the time the room was open: on a loaded machine the trainees
    # come in seconds after it opens, so it stays open as long again before it ends.
    coordinator.wait_for_timeout(1000 * (time.monotonic() - opened) + 1000)
    coordinator.locator("#room-end").click()
    for page in (coordinator, *trainees):
        expect(page.locator("#room-status")).to_have_attribute("data-tone", "final")

    coordinator.goto(f"/staff/series/{series_id}/report")
    commitment = coordinator.locator("#report-commitment")
    expect(commitment).to_contain_text("3 / (3 × 1) = 3 / 3 = 100.00 %")
