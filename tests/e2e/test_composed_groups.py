"""End to end, in a real browser: a coordinator opens an intake for *Minä, tunteet ja taidot*,
parents enrol and say their child's age group, the coordinator closes enrolment, asks for a
proposal, moves one person, recounts, and confirms; a parent's own link then opens the page of
the group they were placed in (issue 16, composed groups). The parent left on the waiting list
is placed afterwards into a group's free place and finds that group by their link too.

Pages are in English (``lang="en"`` contexts); elements are found by id, name and data
attributes, so wording can change without breaking the test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest

from tests.e2e.accessibility import Sweep
from tests.e2e.playwright_api import BrowserContext, Page, expect
from tests.e2e.staff import COORDINATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

TEMPLATE_NAME = "Minä, tunteet ja taidot"  # program data, not a translation
AGE_QUESTION = "Lapsen ikä"
AGES = ("7–9 v", "10–12 v")
PARENTS = [("Kataja", AGES[0]), ("Kuusi", AGES[1]), ("Mänty", AGES[0]), ("Koivu", AGES[1])]
LATE = ("Haapa", AGES[0])  # enrols when the intake's four places are taken: waits


def open_intake(page: Page, title: str, sweep: Sweep) -> str:
    """Opens an intake from the template with an age question; returns its staff URL."""
    page.goto("/staff/series/new")
    card = page.locator("li.series-card", has_text=TEMPLATE_NAME)
    card.locator('a[href^="/staff/intakes/new?program="]').click()
    expect(page.locator("#title")).to_have_value(TEMPLATE_NAME)
    sweep.check(page, "opening an intake")
    page.locator("#title").fill(title)
    page.locator("#capacity").fill(str(len(PARENTS)))
    page.locator("#q1_label").fill(AGE_QUESTION)
    page.locator("#q1_options").fill(" | ".join(AGES))
    page.locator('input[name="q1_required"]').check()
    page.locator('form[action="/staff/intakes/new"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/staff/intakes/\d+\?done=created$"))
    expect(page.locator("h1")).to_have_text(title)
    return page.url.split("?")[0]


def enrol(page: Page, intake_id: str, pseudonym: str, age: str) -> str:
    """Enrols on the intake's public page; returns the personal link (without opening it)."""
    page.goto(f"/series/{intake_id}")
    expect(page.locator("[data-intake]")).to_be_visible()
    form = page.locator(f'form[action="/series/{intake_id}/enrol"]')
    form.locator("#pseudonym").fill(pseudonym)
    form.locator(f'input[type="radio"][value="{age}"]').check()
    form.locator('button[type="submit"]').click()
    expect(page.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    return page.locator("#personal-link").input_value()


def group_of(page: Page, pseudonym: str) -> int:
    """The group a person is in on the proposal page (1 or 2), read from where they are shown."""
    item = page.locator("li[data-enrolment-id]", has_text=pseudonym)
    number = item.locator("xpath=ancestor::section[@data-group]").get_attribute("data-group")
    assert number
    return int(number)


def test_coordinator_composes_groups_and_a_parent_finds_theirs_by_the_same_link(
    new_context: NewContext,
) -> None:
    title = f"{TEMPLATE_NAME} haku {uuid.uuid4().hex[:6]}"
    coordinator = new_context(lang="en").new_page()
    coordinator.on("dialog", lambda dialog: dialog.accept())
    log_in(coordinator, COORDINATOR_EMAIL)
    sweep = Sweep(lambda path: path)  # the intake's pages pass axe
    intake_url = open_intake(coordinator, title, sweep)
    sweep.check(coordinator, "an intake")
    intake_id = intake_url.rsplit("/", 1)[1]

    # Parents enrol under pseudonyms; each keeps the personal link shown once.
    links = {}
    for pseudonym, age in [*PARENTS, LATE]:
        parent = new_context(lang="en").new_page()
        links[pseudonym] = enrol(parent, intake_id, pseudonym, age)
        parent.context.close()

    # The coordinator sees them, closes enrolment early and asks for a proposal.
    coordinator.goto(intake_url)
    expect(coordinator.locator("table.intake-people tbody tr")).to_have_count(len(PARENTS) + 1)
    coordinator.locator("#close-intake").click()
    expect(coordinator).to_have_url(re.compile(r"\?done=closed$"))
    expect(coordinator.locator('input[name="keys"][value="q1"]')).to_be_checked()
    coordinator.locator("#compose-min").fill("2")
    coordinator.locator("#compose-capacity").fill("3")  # two groups of two: a place free in each
    coordinator.locator("#propose").click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/intakes/{intake_id}/compose\?"))

    # Two groups side by side, each of one age group, with the counts per answer.
    groups = coordinator.locator("section.compose-group")
    expect(groups).to_have_count(2)
    expect(coordinator.locator("[data-unlike]")).to_have_attribute("data-unlike", "0")
    for n in (1, 2):
        expect(groups.nth(n - 1).locator(".answer-count")).to_have_count(1)
        expect(groups.nth(n - 1).locator(".answer-count")).to_contain_text(": 2")
    kataja_group = group_of(coordinator, "Kataja")
    assert group_of(coordinator, "Mänty") == kataja_group

    # Move Kataja to the other group: recounting flags a group of three and one of one.
    other = 3 - kataja_group
    coordinator.locator("li[data-enrolment-id]", has_text="Kataja").locator("select").select_option(
        str(other)
    )
    coordinator.locator("#recount").click()
    expect(coordinator.locator("#out-of-bounds")).to_be_visible()
    sweep.check(coordinator, "a proposal with a group out of bounds")
    expect(
        coordinator.locator(f'section[data-group="{other}"] li[data-enrolment-id]')
    ).to_have_count(3)

    # Move someone of the other age group back, name the groups and confirm.
    swap = "Kuusi" if group_of(coordinator, "Kuusi") == other else "Koivu"
    coordinator.locator("li[data-enrolment-id]", has_text=swap).locator("select").select_option(
        str(kataja_group)
    )
    coordinator.locator("#recount").click()
    expect(coordinator.locator("#out-of-bounds")).to_have_count(0)
    group_titles = {kataja_group: f"{title} – ryhmä A", other: f"{title} – ryhmä B"}
    for n, group_title in group_titles.items():
        coordinator.locator(f"#g{n}_title").fill(group_title)
    facilitator_box = coordinator.locator(f'input[name="g{other}_staff_ids"]').first
    facilitator_box.check()
    coordinator.locator("#confirm-groups").click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/intakes/{intake_id}\?done=composed$"))
    composed = coordinator.locator("ul.composed-groups > li")
    expect(composed).to_have_count(2)
    # Only the late parent is left in the intake, on its waiting list.
    expect(coordinator.locator("table.intake-people tbody tr[data-enrolment-id]")).to_have_count(1)
    expect(coordinator.locator("ul.composed-groups > li[data-free='1']")).to_have_count(2)
    place = coordinator.locator("form.place-waiting[data-group-id]").filter(
        has_text=group_titles[kataja_group]
    )
    expect(place.get_by_label(re.compile(LATE[0]))).to_be_checked()
    sweep.check(coordinator, "an intake with a waiting list and free places")
    place.locator('button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/intakes/{intake_id}\?done=placed$"))
    expect(coordinator.locator("table.intake-people tbody tr[data-enrolment-id]")).to_have_count(0)
    late = new_context(lang="en").new_page()
    late.goto(links[LATE[0]])
    expect(late.locator("h1")).to_have_text(group_titles[kataja_group])
    expect(late.locator("ul.notices")).to_contain_text(group_titles[kataja_group])
    late.context.close()

    # The group Kataja was moved into is a series with its own sessions and staff.
    coordinator.locator("ul.composed-groups a", has_text=group_titles[other]).click()
    expect(coordinator.locator("h1")).to_have_text(group_titles[other])
    expect(coordinator.locator("ol.staff-sessions > li").first).to_be_visible()
    row = coordinator.locator("table.enrolments tbody tr", has_text="Kataja")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(AGES[0])

    # Kataja's personal link, the one shown at enrolment, opens the new group's page.
    parent = new_context(lang="en").new_page()
    parent.goto(links["Kataja"])
    expect(parent).to_have_url(re.compile(r"/me$"))
    expect(parent.locator("h1")).to_have_text(group_titles[other])
    expect(parent.locator("main")).to_contain_text("Kataja")
    expect(parent.locator("ul.notices")).to_contain_text(group_titles[other])
    expect(parent.locator("ol.sessions > li").first).to_be_visible()
    expect(parent.locator("[data-intake]")).to_have_count(0)
    sweep.check(parent, "a parent's page after placement")
    sweep.assert_clean(set())
