"""The staff accounts page deactivates and reactivates an account; its sessions end for good."""

import httpx

from server.people.roles import Role
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member


async def add_staff(client, clock, role=Role.COORDINATOR, **kwargs):
    async with client.app.state.test_database.unit_of_work() as db:
        return await a_staff_member(db, clock.now, role, **kwargs)


async def signed_in_cookies(client, email) -> httpx.Cookies:
    client.cookies.clear()
    done = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"email": email, "password": PASSWORD, "next": "/staff"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff"
    return httpx.Cookies(client.cookies)


async def test_a_deactivated_facilitators_cookie_opens_nothing_even_after_reactivation(
    client, clock
):
    coordinator = await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR, real_name="Olli Ohjaaja")
    facilitator_cookies = await signed_in_cookies(client, facilitator.email)
    assert (await client.get("/staff")).status_code == 200

    await signed_in_cookies(client, coordinator.email)
    done = await post_form(
        client, "/staff/people", f"/staff/people/{facilitator.id}/deactivate", {}
    )
    assert done.status_code == 303 and done.headers["location"] == "/staff/people?done=deactivated"
    page = await client.get("/staff/people")
    assert f"/staff/people/{facilitator.id}/activate" in page.text
    assert f"/staff/people/{facilitator.id}/deactivate" not in page.text

    client.cookies = facilitator_cookies
    refused = await client.get("/staff")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login")

    await signed_in_cookies(client, coordinator.email)
    again = await post_form(client, "/staff/people", f"/staff/people/{facilitator.id}/activate", {})
    assert again.status_code == 303
    client.cookies = facilitator_cookies  # deactivation ended that session: it stays ended
    assert (await client.get("/staff")).status_code == 303
    await signed_in_cookies(client, facilitator.email)  # a new login works again
    assert (await client.get("/staff")).status_code == 200


async def test_the_page_refuses_to_deactivate_the_last_coordinator_with_a_message(client, clock):
    coordinator = await add_staff(client, clock)
    await signed_in_cookies(client, coordinator.email)
    refused = await post_form(
        client, "/staff/people", f"/staff/people/{coordinator.id}/deactivate", {}
    )
    assert refused.status_code == 409
    assert (
        "The last active coordinator cannot be deactivated" in refused.text
        or "Viimeistä aktiivista koordinaattoria" in refused.text
    )
    assert (await client.get("/staff")).status_code == 200  # still signed in and active


async def test_a_facilitator_cannot_deactivate_anyone(client, clock):
    coordinator = await add_staff(client, clock)
    facilitator = await add_staff(client, clock, Role.FACILITATOR)
    await signed_in_cookies(client, facilitator.email)
    refused = await post_form(
        client, "/staff/security", f"/staff/people/{coordinator.id}/deactivate", {}
    )
    assert refused.status_code == 403 and 'data-code="forbidden"' in refused.text
