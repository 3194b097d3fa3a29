"""A parent downloads and erases their own data from their page: the download holds only their own
data and no credential; erasing needs a ticked confirmation, then ends the enrolment, deletes what
it held, lets the device go and is logged as the parent's own erasure, without what was erased."""

import json

from sqlalchemy import select

from server.enrolment.service import EnrolmentRequest, enrol
from server.storage.tables import EnrolmentRow, ModerationLogRow, NoticeRow
from tests.conftest import post_form
from tests.factories import personal_page, seed_series


async def two_parents(client, org, clock):
    """Two parents with e-mail addresses and answers; returns the series and each one's enrolment
    id and personal link token."""
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    parents = {}
    for name, email, answer in (
        ("Mustikka", "mustikka@example.org", "0–2 v"),
        ("Puolukka", "puolukka@example.org", "3–6 v"),
    ):
        async with database.unit_of_work() as db:
            new = await enrol(
                db, org, series_id, EnrolmentRequest(name, email, {"q1": answer}), clock.now
            )
            parents[name] = (new.enrolment.id, new.token)
    return series_id, parents


async def test_the_download_holds_the_parents_own_data_and_nobody_elses_and_no_credential(
    client, org, clock
):
    _, parents = await two_parents(client, org, clock)
    _, token = parents["Mustikka"]
    page = await personal_page(client, token)
    assert 'href="/me/data.json"' in page.text

    response = await client.get("/me/data.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".json" in disposition
    assert "Mustikka" not in disposition and "mustikka" not in disposition
    record = json.loads(response.content)
    assert record["enrolment"]["pseudonym"] == "Mustikka"
    assert record["enrolment"]["email"] == "mustikka@example.org"
    assert record["enrolment"]["answers"] == {"q1": "0–2 v"}
    assert [n["kind"] for n in record["enrolment"]["notices"]] == ["enrolled"]
    assert token not in response.text
    assert client.cookies.get("tupa_me") not in response.text
    assert "hash" not in response.text
    assert "Puolukka" not in response.text and "puolukka@" not in response.text
    assert parents["Puolukka"][1] not in response.text


async def test_the_download_and_the_erasure_need_the_device_not_the_link(client, org, clock):
    _, parents = await two_parents(client, org, clock)
    assert (await client.get("/me/data.json")).status_code == 401
    assert (await client.get("/me/erase")).status_code == 401
    _, token = parents["Mustikka"]
    assert (await client.get(f"/me/{token}/data.json")).status_code == 404


async def test_the_erasure_page_says_plainly_what_happens_and_is_not_kept(client, org, clock):
    _, parents = await two_parents(client, org, clock)
    await personal_page(client, parents["Mustikka"][1])
    assert 'href="/me/erase"' in (await client.get("/me")).text

    page = await client.get("/me/erase?lang=en")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for promise in (
        "cannot be undone",
        "Your enrolment ends",
        "e-mail address",
        "deleted for everyone",
        "personal link stops working",
        "counts",
    ):
        assert promise in page.text, promise
    assert 'name="confirm"' in page.text and 'action="/me/erase"' in page.text


async def test_an_unconfirmed_erasure_changes_nothing(client, org, clock):
    _, parents = await two_parents(client, org, clock)
    enrolment_id, token = parents["Mustikka"]
    await personal_page(client, token)

    unconfirmed = await post_form(client, "/me/erase", "/me/erase", {})

    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == "/me/erase"
    async with client.app.state.test_database.unit_of_work() as db:
        row = await db.get(EnrolmentRow, enrolment_id)
        log = list(await db.scalars(select(ModerationLogRow)))
    assert (row.email, row.answers, row.status) == (
        "mustikka@example.org",
        {"q1": "0–2 v"},
        "enrolled",
    )
    assert row.link_revoked_at is None and row.device_hash is not None
    assert log == []
    assert (await client.get("/me")).status_code == 200


async def test_a_confirmed_erasure_deletes_the_data_forgets_the_device_kills_the_link_and_is_logged(
    client, org, clock
):
    _, parents = await two_parents(client, org, clock)
    enrolment_id, token = parents["Mustikka"]
    await personal_page(client, token)

    confirmed = await post_form(client, "/me/erase", "/me/erase", {"confirm": "on"})

    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/me/erased"
    cleared = [c.lower() for c in confirmed.headers.get_list("set-cookie") if "tupa_me" in c]
    assert len(cleared) == 1 and "max-age=0" in cleared[0] and "path=/me" in cleared[0]
    assert client.cookies.get("tupa_me") is None
    done = await client.get("/me/erased?lang=en")
    assert done.status_code == 200 and "erased" in done.text
    assert done.headers["cache-control"] == "no-store"
    assert "Mustikka" not in done.text
    assert (await client.get("/me")).status_code == 401
    reopened = await client.get(f"/me/{token}")
    assert reopened.status_code == 404 and "set-cookie" not in reopened.headers
    assert "Mustikka" not in reopened.text

    async with client.app.state.test_database.unit_of_work() as db:
        erased = await db.get(EnrolmentRow, enrolment_id)
        other = await db.get(EnrolmentRow, parents["Puolukka"][0])
        notices = list(
            await db.scalars(select(NoticeRow.kind).where(NoticeRow.enrolment_id == erased.id))
        )
        log = list(await db.scalars(select(ModerationLogRow)))
    assert (erased.email, erased.answers, erased.status) == (None, {}, "withdrawn")
    assert erased.link_revoked_at is not None and erased.personal_data_deleted_at is not None
    assert (erased.device_hash, erased.device_expires_at) == (None, None)
    assert notices == []
    assert (other.email, other.answers, other.status) == (
        "puolukka@example.org",
        {"q1": "3–6 v"},
        "enrolled",
    )
    assert [(e.action, e.actor_name, e.actor_role, e.target_name, e.detail) for e in log] == [
        ("erased", "Mustikka", "parent", "Mustikka", {})
    ]
