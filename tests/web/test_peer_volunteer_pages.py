"""The peer-volunteer pages: a coordinator invites from the series page, the parent answers on
their page, the new volunteer logs in with a login name, and only the coordinator's pages link
the alias to the pseudonym."""

import re

from sqlalchemy import select

from server.storage.tables import PeerInvitationRow, StaffRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, personal_page
from tests.services.volunteering_support import ended_series
from tests.web.login_support import OWNER, browser_at, log_in

NEW_PASSWORD = "kolme karhua metsässä"
INVITE = "/staff/series/{}/enrolments/{}/peer-invitation"


async def invited(client, clock, org):
    database = client.app.state.test_database
    s = await ended_series(database, org, clock)
    assert (await log_in(client, "koordi@example.org", PASSWORD)).status_code == 303
    page = await client.get(f"/staff/series/{s.series_id}")
    assert INVITE.format(s.series_id, s.completed) in page.text
    assert INVITE.format(s.series_id, s.never_came) not in page.text  # never came: not offered
    answer = await post_form(
        client, f"/staff/series/{s.series_id}", INVITE.format(s.series_id, s.completed), {}
    )
    assert answer.status_code == 303
    return s


async def test_a_parent_accepts_and_logs_in_as_a_volunteer_whom_only_coordinators_link(
    client, clock, org
):
    s = await invited(client, clock, org)
    async with browser_at(client, OWNER) as parent:
        me = await personal_page(parent, s.completed_token)
        assert 'href="/me/volunteer"' in me.text
        form = {
            "real_name": "Anna Esimerkki",
            "alias": "KAISLA",
            "login": "Aamu.Kumppani",
            "password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        }
        refused = await post_form(parent, "/me/volunteer", "/me/volunteer/accept", form)
        assert refused.status_code == 422
        assert 'data-code="invalid_input"' in refused.text
        assert 'id="alias" name="alias"' in refused.text and 'aria-invalid="true"' in refused.text
        accepted = await post_form(
            parent, "/me/volunteer", "/me/volunteer/accept", {**form, "alias": "Aamu"}
        )
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/me?volunteer=accepted"
        me = await parent.get("/me?volunteer=accepted")
        assert 'data-volunteer="accepted"' in me.text
        assert "Aamu" not in me.text  # the parent's page does not name the volunteer
        assert (await parent.get("/me/volunteer")).status_code == 303  # used: nothing to answer
        exported = await parent.get("/me/data.json")
        assert exported.status_code == 200
        assert [i["status"] for i in exported.json()["peer_volunteer_invitations"]] == ["accepted"]
        assert "Aamu" not in exported.text  # the export does not name the volunteer

    async with browser_at(client, "192.0.2.10") as volunteer:
        assert (await log_in(volunteer, "aamu.KUMPPANI", NEW_PASSWORD)).status_code == 303
        for own in ("/staff", "/staff/security"):
            page = await volunteer.get(own)
            assert page.status_code == 200
            assert "Kaisla" not in page.text

    people = await client.get("/staff/people")
    link = re.search(r'class="hint former-participant">([^<]+)<', people.text)
    assert link and "Kaisla" in link.group(1) and "Testiryhmä" in link.group(1)
    series_page = await client.get(f"/staff/series/{s.series_id}")
    assert 'data-invitation="accepted"' in series_page.text and "Aamu" in series_page.text

    # No e-mail address: the coordinator's reset link is shown, not mailed.
    async with client.app.state.test_database.unit_of_work() as db:
        account = await db.scalar(select(StaffRow).where(StaffRow.login_key == "aamu.kumppani"))
        assert account is not None and account.email is None
    reset = await post_form(client, "/staff/people", f"/staff/people/{account.id}/reset-link", {})
    assert reset.status_code == 200 and 'id="reset-link"' in reset.text


async def test_a_parent_refuses_and_the_coordinator_sees_it(client, clock, org):
    s = await invited(client, clock, org)
    async with browser_at(client, OWNER) as parent:
        await personal_page(parent, s.completed_token)
        answer = await post_form(parent, "/me/volunteer", "/me/volunteer/refuse", {})
        assert answer.headers["location"] == "/me?volunteer=refused"
        me = await parent.get("/me")
        assert 'href="/me/volunteer"' not in me.text
        again = await post_form(parent, "/me", "/me/volunteer/refuse", {})
        assert again.status_code == 410  # single use
    page = await client.get(f"/staff/series/{s.series_id}")
    assert 'data-invitation="refused"' in page.text
    assert INVITE.format(s.series_id, s.completed) in page.text  # may be invited again later
    async with client.app.state.test_database.unit_of_work() as db:
        assert await db.scalar(select(StaffRow).where(StaffRow.role == "volunteer")) is None
        assert [r.status for r in await db.scalars(select(PeerInvitationRow))] == ["refused"]


async def test_a_coordinator_adds_an_account_with_a_login_name_instead_of_an_e_mail(
    client, clock, org
):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
    assert (await log_in(client, "coordinator@example.org")).status_code == 303
    data = {
        "role": "volunteer",
        "real_name": "Ville Vapaa",
        "alias": "Kokija",
        "email": "",
        "login_name": "",
        "password": NEW_PASSWORD,
    }
    neither = await post_form(client, "/staff/people", "/staff/people", data)
    assert neither.status_code == 422 and 'id="login-error"' in neither.text
    added = await post_form(
        client, "/staff/people", "/staff/people", data | {"login_name": "Ville"}
    )
    assert added.status_code == 303
    taken = await post_form(
        client, "/staff/people", "/staff/people", data | {"login_name": "VILLE"}
    )
    assert taken.status_code == 409 and 'id="login-error"' in taken.text
    async with browser_at(client, "192.0.2.20") as ville:
        assert (await log_in(ville, "ville", NEW_PASSWORD)).headers["location"] == "/staff"
        wrong = await log_in(ville, "ville", "väärä salasana tässä")
        assert wrong.status_code == 401 and 'data-code="login_failed"' in wrong.text
