"""The moderation log page a coordinator reads per series."""

from server.people.roles import Role
from server.scheduling import service as scheduling
from server.storage.tables import ModerationLogRow
from tests.conftest import post_form
from tests.factories import PASSWORD, a_staff_member, seed_series


async def test_the_log_shows_each_actions_session_by_its_date_and_time_in_helsinki(
    client, org, clock
):
    database = client.app.state.test_database
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now, Role.COORDINATOR)
        # The second session is on Monday 26 October 2026 at 18.00, the day after summer time.
        session = (await scheduling.get_series(db, series_id)).sessions[1]
        db.add(
            ModerationLogRow(
                series_id=series_id,
                session_id=session.id,
                actor_name="Olli Ohjaaja",
                actor_role="facilitator",
                action="muted",
                target_name="Mustikka",
                detail={},
                created_at=clock.now,
            )
        )
    login = {"email": "coordinator@example.org", "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", login)).status_code == 303

    page = await client.get(f"/staff/series/{series_id}/moderation")

    assert page.status_code == 200
    row = page.text.split('data-action="muted"')[1].split("</tr>")[0]
    assert "ma 26.10.2026 18.00" in row
