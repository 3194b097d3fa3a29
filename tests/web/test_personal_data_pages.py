"""A coordinator exports and erases one parent's data from the series page, for a person who
asks by phone; erasing needs a confirmation and is logged without the erased content."""

import json

from sqlalchemy import select

from server.enrolment.service import EnrolmentRequest, enrol
from server.people.roles import Role
from server.storage.tables import EnrolmentRow, ModerationLogRow, NoticeRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, seed_series


async def sign_in(client, clock, role=Role.COORDINATOR):
    async with client.app.state.test_database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, role)
    login = {"email": staff.email, "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303
    return staff


async def two_parents(client, org, clock):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    ids = {}
    for name, email, answer in (
        ("Mustikka", "mustikka@example.org", "0–2 v"),
        ("Puolukka", "puolukka@example.org", "3–6 v"),
    ):
        async with database.unit_of_work() as db:
            request = EnrolmentRequest(name, email, {"q1": answer})
            ids[name] = (await enrol(db, org, series_id, request, clock.now)).enrolment.id
    return series_id, ids


async def test_the_export_holds_the_parents_own_data_and_nobody_elses(client, org, clock):
    series_id, ids = await two_parents(client, org, clock)
    await sign_in(client, clock)
    url = f"/staff/series/{series_id}/enrolments/{ids['Mustikka']}/export"
    assert url in (await client.get(f"/staff/series/{series_id}")).text

    response = await client.get(url)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    assert "Mustikka" not in response.headers["content-disposition"]
    record = json.loads(response.content)
    assert record["enrolment"]["pseudonym"] == "Mustikka"
    assert record["enrolment"]["email"] == "mustikka@example.org"
    assert record["enrolment"]["answers"] == {"q1": "0–2 v"}
    assert [n["kind"] for n in record["enrolment"]["notices"]] == ["enrolled"]
    assert "token" not in response.text and "hash" not in response.text
    assert "Puolukka" not in response.text and "puolukka@" not in response.text


async def test_a_facilitator_may_neither_export_nor_erase(client, org, clock):
    series_id, ids = await two_parents(client, org, clock)
    await sign_in(client, clock, Role.FACILITATOR)
    base = f"/staff/series/{series_id}/enrolments/{ids['Mustikka']}"
    assert (await client.get(f"{base}/export")).status_code == 403
    assert (await client.get(f"{base}/erase")).status_code == 403


async def test_erasing_needs_a_confirmation_and_then_deletes_the_data_and_logs_it_without_it(
    client, org, clock
):
    series_id, ids = await two_parents(client, org, clock)
    database = client.app.state.test_database
    await sign_in(client, clock)
    page = f"/staff/series/{series_id}/enrolments/{ids['Mustikka']}/erase"
    assert "cannot be undone" in (await client.get(f"{page}?lang=en")).text

    unconfirmed = await post_form(client, page, page, {})
    assert unconfirmed.headers["location"] == page
    async with database.unit_of_work() as db:
        assert (await db.get(EnrolmentRow, ids["Mustikka"])).email == "mustikka@example.org"

    confirmed = await post_form(client, page, page, {"confirm": "on"})

    assert confirmed.headers["location"] == f"/staff/series/{series_id}?done=erased"
    async with database.unit_of_work() as db:
        erased = await db.get(EnrolmentRow, ids["Mustikka"])
        other = await db.get(EnrolmentRow, ids["Puolukka"])
        notices = await db.scalars(
            select(NoticeRow.kind).where(NoticeRow.enrolment_id == erased.id)
        )
        log = list(await db.scalars(select(ModerationLogRow)))
    assert (erased.email, erased.answers, erased.status) == (None, {}, "withdrawn")
    assert erased.link_revoked_at is not None and erased.personal_data_deleted_at is not None
    assert list(notices) == []
    assert other.email == "puolukka@example.org" and other.answers == {"q1": "3–6 v"}
    assert [(e.action, e.target_name, e.actor_role, e.detail) for e in log] == [
        ("erased", "Mustikka", "coordinator", {})
    ]
    assert "mustikka@" not in str([(e.detail, e.actor_name) for e in log])
