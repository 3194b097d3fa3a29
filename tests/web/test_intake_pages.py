"""The intake pages over HTTP: a coordinator opens an intake, parents enrol on its public page,
the coordinator closes it, sees the proposal with counts per answer, moves a person, recounts and
confirms; the parent's page then shows the group. No split that fits is explained."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from server.people.roles import Role
from server.storage.tables import EnrolmentRow, ProgramRow, SeriesRow
from tests.conftest import csrf_of, post_form
from tests.factories import a_staff_member, personal_page
from tests.web.login_support import browser_at, log_in

AGES = ["0–2 v", "3–6 v"]
PARENTS = [("Mustikka", AGES[0]), ("Puolukka", AGES[1]), ("Lakka", AGES[0]), ("Karpalo", AGES[1])]


async def open_intake(client, clock) -> int:
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        program_id = await db.scalar(select(ProgramRow.id).order_by(ProgramRow.id))
    assert (await log_in(client, "coordinator@example.org")).status_code == 303
    page = f"/staff/intakes/new?program={program_id}"
    form = (await client.get(page)).text
    assert 'name="capacity"' in form
    deadline = (clock.now.date()).replace(year=clock.now.year + 1).isoformat()
    response = await post_form(
        client,
        page,
        "/staff/intakes/new",
        {
            "program_id": str(program_id),
            "title": "Minä, tunteet ja taidot – haku",
            "description": "Ryhmät kootaan haun jälkeen.",
            "life_situation": "wellbeing",
            "capacity": "20",
            "min_size": "2",
            "deadline_date": deadline,
            "deadline_time": "23:59",
            "q1_label": "Lapsen ikä",
            "q1_options": " | ".join(AGES),
            "q1_required": "on",
        },
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/staff/intakes/(\d+)\?done=created", response.headers["location"])
    assert match
    return int(match.group(1))


async def enrol(client, intake_id: int, name: str, age: str) -> str:
    """Enrols on the public page in another browser; returns the personal link's token."""
    async with browser_at(client, "198.51.100.20") as parent:
        listing = (await parent.get("/")).text
        card = listing.split(f'data-series-id="{intake_id}"')[1].split("</li>")[0]
        assert "data-intake" in card
        page = (await parent.get(f"/series/{intake_id}")).text
        assert "data-intake" in page
        response = await parent.post(
            f"/series/{intake_id}/enrol",
            data={"csrf_token": csrf_of(page), "pseudonym": name, "q1": age},
        )
        assert response.status_code == 201, response.text
        link = re.search(r'id="personal-link"[^>]*value="([^"]+)"', response.text)
        assert link
        return link.group(1).rsplit("/", 1)[1]


def chosen(options: str) -> int:
    match = re.search(r'value="(\d+)" selected', options)
    assert match
    return int(match.group(1))


async def test_coordinator_composes_moves_one_and_confirms_and_the_parent_sees_the_group(
    client, clock
):
    intake_id = await open_intake(client, clock)
    tokens = {name: await enrol(client, intake_id, name, age) for name, age in PARENTS}

    # Before the deadline the intake offers to close early, not to compose.
    intake_page = (await client.get(f"/staff/intakes/{intake_id}")).text
    assert 'id="close-intake"' in intake_page and 'id="propose"' not in intake_page
    await post_form(client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/close", {})
    intake_page = (await client.get(f"/staff/intakes/{intake_id}")).text
    assert 'id="propose"' in intake_page
    overall = re.findall(r'data-answer="([^"]+)">[^<]*: (\d+)<', html.unescape(intake_page))
    assert sorted(overall) == [(AGES[0], "2"), (AGES[1], "2")]

    proposal = await client.get(
        f"/staff/intakes/{intake_id}/compose",
        params={"keys": "q1", "min_size": "2", "capacity": "2"},
    )
    assert proposal.status_code == 200
    text = html.unescape(proposal.text)
    assert text.count('<section class="compose-group') == 2
    # Side by side, each group with its count per answer: two of one age group each.
    counts = re.findall(r'data-answer="([^"]+)">[^<]*: (\d+)<', text)
    assert sorted(counts) == sorted([(AGES[0], "2"), (AGES[1], "2")])
    assert 'data-unlike="0"' in text

    async with client.app.state.test_database.unit_of_work() as db:
        ids = {r.pseudonym: r.id for r in await db.scalars(select(EnrolmentRow))}
    selects = re.findall(r'<select id="p(\d+)" name="p\d+">(.*?)</select>', text, re.S)
    groups = {int(pid): chosen(body) for pid, body in selects}
    assert set(groups) == set(ids.values())
    form = {
        "csrf_token": csrf_of(proposal.text),
        "keys": "q1",
        "min_size": "2",
        "capacity": "2",
        "group_count": "2",
        **{f"p{pid}": str(g) for pid, g in groups.items()},
        "g1_title": "Pienten ryhmä",
        "g1_first_on": clock.now.date().replace(year=clock.now.year + 1).isoformat(),
        "g1_local_time": "18:00",
        "g2_title": "Isompien ryhmä",
        "g2_first_on": clock.now.date().replace(year=clock.now.year + 1).isoformat(),
        "g2_local_time": "17:30",
    }
    # Moving one person makes a group of three and one of one: recounting shows it, and
    # confirming is refused without a change.
    mover = ids["Mustikka"]
    form[f"p{mover}"] = str(3 - groups[mover])
    recount = await client.post(
        f"/staff/intakes/{intake_id}/compose", data={**form, "action": "recount"}
    )
    assert recount.status_code == 200 and 'id="out-of-bounds"' in recount.text
    refused = await client.post(
        f"/staff/intakes/{intake_id}/compose", data={**form, "action": "confirm"}
    )
    assert refused.status_code == 422
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(SeriesRow.id).where(SeriesRow.intake_id == intake_id)) is None

    # Moving someone back the other way keeps both groups at two; confirming creates them.
    swap = next(pid for pid, g in groups.items() if g != groups[mover])
    form[f"p{swap}"] = str(groups[mover])
    done = await client.post(
        f"/staff/intakes/{intake_id}/compose", data={**form, "action": "confirm"}
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/staff/intakes/{intake_id}?done=composed"
    intake_page = (await client.get(done.headers["location"])).text
    assert "Pienten ryhmä" in intake_page and "Isompien ryhmä" in intake_page

    async with client.app.state.test_database.unit_of_work() as db:
        rows = {r.pseudonym: r for r in await db.scalars(select(EnrolmentRow))}
        titles = {
            s.id: s.title
            for s in await db.scalars(select(SeriesRow).where(SeriesRow.intake_id == intake_id))
        }
    expected = {name: titles[rows[name].series_id] for name, _ in PARENTS}
    assert expected["Mustikka"] == ("Pienten ryhmä" if groups[mover] == 2 else "Isompien ryhmä")

    # The parent's own link still opens their page, which now shows their group.
    async with browser_at(client, "198.51.100.21") as parent:
        page = await personal_page(parent, tokens["Mustikka"])
    assert page.status_code == 200
    assert expected["Mustikka"] in page.text
    # The notice from before the move still names the intake it was about.
    assert "Sinulla on paikka ryhmässä ”Minä, tunteet ja taidot – haku”." in page.text
    assert 'class="sessions"' in page.text and "data-intake" not in page.text


async def test_a_split_that_cannot_fit_is_explained(client, clock):
    intake_id = await open_intake(client, clock)
    for name, age in PARENTS[:3]:
        await enrol(client, intake_id, name, age)
    await post_form(client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/close", {})
    page = await client.get(
        f"/staff/intakes/{intake_id}/compose",
        params={"keys": "q1", "min_size": "2", "capacity": "2"},
    )
    assert page.status_code == 200
    assert 'data-no-fit="no_group_count"' in page.text


async def test_facilitators_cannot_open_the_intake_pages(client, clock):
    intake_id = await open_intake(client, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with browser_at(client, "198.51.100.30") as facilitator:
        assert (await log_in(facilitator, "facilitator@example.org")).status_code == 303
        assert (await facilitator.get(f"/staff/intakes/{intake_id}")).status_code == 403
        compose = await facilitator.get(f"/staff/intakes/{intake_id}/compose?keys=q1")
        assert compose.status_code == 403


async def test_a_refused_second_group_leaves_no_first_group_behind(client, clock):
    """The page catches the refusal to show the form again, so the transaction commits: what the
    first group wrote before the second was refused must not be in it."""
    intake_id = await open_intake(client, clock)
    for name, age in PARENTS:
        await enrol(client, intake_id, name, age)
    await post_form(client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/close", {})
    proposal = await client.get(
        f"/staff/intakes/{intake_id}/compose",
        params={"keys": "q1", "min_size": "2", "capacity": "2"},
    )
    selects = re.findall(r'<select id="p(\d+)" name="p\d+">(.*?)</select>', proposal.text, re.S)
    next_year = clock.now.date().replace(year=clock.now.year + 1).isoformat()
    last_year = clock.now.date().replace(year=clock.now.year - 1).isoformat()
    form = {
        "csrf_token": csrf_of(proposal.text),
        "keys": "q1",
        "min_size": "2",
        "capacity": "2",
        "group_count": "2",
        **{f"p{pid}": str(chosen(body)) for pid, body in selects},
        "g1_title": "Pienten ryhmä",
        "g1_first_on": next_year,
        "g1_local_time": "18:00",
        "g2_title": "Isompien ryhmä",
        "g2_first_on": last_year,
        "g2_local_time": "18:00",
        "action": "confirm",
    }
    refused = await client.post(f"/staff/intakes/{intake_id}/compose", data=form)
    assert refused.status_code == 422
    assert 'id="g2_first_on" name="g2_first_on" type="date"' in refused.text
    assert 'aria-invalid="true"' in refused.text.split('id="g2_first_on"')[1].split(">")[0]
    async with client.app.state.test_database.unit_of_work() as db:
        assert (
            list(await db.scalars(select(SeriesRow.title).where(SeriesRow.intake_id.is_not(None))))
            == []
        )
        assert {r.series_id for r in await db.scalars(select(EnrolmentRow))} == {intake_id}


async def test_the_dashboard_leads_to_the_intake_page(client, clock):
    intake_id = await open_intake(client, clock)
    dashboard = (await client.get("/staff")).text
    assert f'href="/staff/intakes/{intake_id}"' in dashboard
    assert "data-intake" in dashboard


async def test_a_group_number_out_of_range_is_shown_again_not_a_crash(client, clock):
    intake_id = await open_intake(client, clock)
    for name, age in PARENTS:
        await enrol(client, intake_id, name, age)
    await post_form(client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/close", {})
    proposal = await client.get(
        f"/staff/intakes/{intake_id}/compose",
        params={"keys": "q1", "min_size": "2", "capacity": "2"},
    )
    selects = re.findall(r'<select id="p(\d+)" name="p\d+">', proposal.text)
    for bad in ("99", "-3", "0", "x" * 50):
        form = {
            "csrf_token": csrf_of(proposal.text),
            "keys": "q1",
            "min_size": "2",
            "capacity": "2",
            "group_count": "2",
            **{f"p{pid}": "1" for pid in selects},
            f"p{selects[0]}": bad,
            "action": "confirm",
        }
        response = await client.post(f"/staff/intakes/{intake_id}/compose", data=form)
        assert response.status_code == 200, (bad, response.status_code)
        assert '<section class="compose-group' in response.text
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(SeriesRow.id).where(SeriesRow.intake_id == intake_id)) is None


async def test_a_coordinator_places_the_waiting_list_into_free_seats_and_a_stale_form_is_told(
    client, clock
):
    intake_id = await open_intake(client, clock)
    async with client.app.state.test_database.unit_of_work() as db:
        intake = await db.get(SeriesRow, intake_id)
        assert intake is not None
        intake.capacity = 4
    for name, age in PARENTS:
        await enrol(client, intake_id, name, age)
    late_token = await enrol(client, intake_id, "Myöhäinen", AGES[0])
    await post_form(client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/close", {})
    proposal = await client.get(
        f"/staff/intakes/{intake_id}/compose",
        params={"keys": "q1", "min_size": "2", "capacity": "3"},
    )
    selects = re.findall(r'<select id="p(\d+)" name="p\d+">(.*?)</select>', proposal.text, re.S)
    next_year = clock.now.date().replace(year=clock.now.year + 1).isoformat()
    composed = await client.post(
        f"/staff/intakes/{intake_id}/compose",
        data={
            "csrf_token": csrf_of(proposal.text),
            "keys": "q1",
            "min_size": "2",
            "capacity": "3",
            "group_count": "2",
            **{f"p{pid}": str(chosen(body)) for pid, body in selects},
            **{f"g{i}_title": f"Ryhmä {i}" for i in (1, 2)},
            **{f"g{i}_first_on": next_year for i in (1, 2)},
            **{f"g{i}_local_time": "18:00" for i in (1, 2)},
            "action": "confirm",
        },
    )
    assert composed.status_code == 303, composed.text

    page = (await client.get(f"/staff/intakes/{intake_id}")).text
    # Each group shows its one free place, with a form ticking the first on the waiting list.
    assert page.count('data-free="1"') == 2
    forms = re.findall(
        r'<form [^>]*class="stacked place-waiting" data-group-id="(\d+)">(.*?)</form>', page, re.S
    )
    assert len(forms) == 2
    group_id, body = forms[0]
    late_id = re.search(r'name="enrolment" value="(\d+)" id="place-\d+-(\d+)" checked', body)
    assert late_id and "Myöhäinen" in html.unescape(body)
    labelled = rf'<label class="choice"><input type="checkbox" [^>]*id="place-{group_id}'
    assert re.search(labelled, body)
    nobody = await post_form(
        client,
        f"/staff/intakes/{intake_id}",
        f"/staff/intakes/{intake_id}/place",
        {"group_id": group_id},
    )
    assert nobody.headers["location"] == f"/staff/intakes/{intake_id}?done=nobody_chosen"
    shown = (await client.get(nobody.headers["location"])).text
    assert "Valitse vähintään yksi jonotuslistalla oleva vanhempi" in html.unescape(shown)
    not_its_group = await post_form(
        client,
        f"/staff/intakes/{intake_id}",
        f"/staff/intakes/{intake_id}/place",
        {"group_id": str(intake_id), "enrolment": late_id.group(1)},
    )
    assert not_its_group.status_code == 404
    placing = {"group_id": group_id, "enrolment": late_id.group(1)}
    response = await post_form(
        client, f"/staff/intakes/{intake_id}", f"/staff/intakes/{intake_id}/place", placing
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/intakes/{intake_id}?done=placed"
    async with client.app.state.test_database.unit_of_work() as db:
        row = await db.get(EnrolmentRow, int(late_id.group(1)))
        assert row is not None
        assert (row.series_id, row.status) == (int(group_id), "enrolled")
        group_title = row.series.title

    # A second coordinator's page from before: the parent no longer waits.
    other_group = forms[1][0]
    stale = await client.post(
        f"/staff/intakes/{intake_id}/place",
        data={"csrf_token": csrf_of(page), "group_id": other_group, "enrolment": late_id.group(1)},
    )
    assert stale.status_code == 409
    assert "Ryhmän vapaat paikat tai jonotuslista muuttuivat juuri" in html.unescape(stale.text)

    async with browser_at(client, "198.51.100.22") as parent:
        own = await personal_page(parent, late_token)
    assert group_title in own.text and 'class="sessions"' in own.text
    assert f"ryhmät on koottu. Ryhmäsi on {group_title}" in html.unescape(own.text)
