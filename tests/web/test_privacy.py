"""Real names and contact details never reach parents: scan everything a parent receives."""

from server.people.roles import Role
from tests.factories import a_staff_member, enrol_parent, seed_series

SECRETS = [
    "Veera Virtanen",
    "volunteer@example.org",
    "facilitator@example.org",
    "toinen@example.org",
]


async def test_parent_never_receives_real_names_or_contact_details(client, org, clock, mailer):
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(
            db, clock.now, Role.FACILITATOR, real_name="Olli Ohjaaja"
        )
        volunteer = await a_staff_member(db, clock.now, Role.VOLUNTEER, real_name="Veera Virtanen")
    series_id = await seed_series(
        database, org, clock.now, staff_ids=[facilitator.id, volunteer.id]
    )
    await enrol_parent(database, org, series_id, "Toinen", clock.now, email="toinen@example.org")
    me = await enrol_parent(database, org, series_id, "Minä", clock.now, email="mina@example.org")

    received = []
    for path in [
        "/",
        f"/series/{series_id}",
        f"/series/{series_id}/calendar.ics",
        "/api/v1/series",
        f"/api/v1/series/{series_id}",
        f"/me/{me.token}",
        "/me",
        "/me/calendar.ics",
    ]:
        response = await client.get(path)
        assert response.status_code == 200, path
        received.append(response.text)
    await client.app.state.background.run_once()
    received += [m.subject + m.body for m in mailer.sent if m.recipient == "mina@example.org"]

    everything = "\n".join(received)
    assert "Kokemuskumppani Aino" in everything  # the volunteer is shown by alias
    for secret in SECRETS:
        assert secret not in everything, secret
    assert "Toinen" not in "\n".join(received[:5])  # other parents' pseudonyms are not listed
