"""A staff member's calendar feed address is a credential: the database keeps only its hash, a new
address ends the old one, and a deactivated account's feed opens nothing."""

from sqlalchemy import select

from server.people import calendar_feeds, deactivation
from server.people.roles import Role
from server.storage.tables import StaffRow
from tests.factories import a_staff_member


async def staff_table(db) -> str:
    """Every value of every staff row, as a dump of the table would show them."""
    rows = (await db.execute(select(StaffRow.__table__))).all()
    return "\n".join(" | ".join(map(str, row)) for row in rows)


async def test_a_new_account_has_no_feed_until_its_owner_makes_one(database, clock):
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
    assert not calendar_feeds.has_feed(facilitator)
    assert facilitator.calendar_token_hash is None


async def test_the_staff_table_holds_no_feed_token_and_the_token_still_opens_the_feed(
    database, clock
):
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
        token = calendar_feeds.make_feed(facilitator)
    async with database.unit_of_work() as db:
        assert token not in await staff_table(db)
        found = await calendar_feeds.staff_by_feed_token(db, token)
        assert found is not None and found.id == facilitator.id


async def test_a_new_feed_address_ends_the_old_one(database, clock):
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
        old = calendar_feeds.make_feed(facilitator)
    async with database.unit_of_work() as db:
        row = await db.get(StaffRow, facilitator.id)
        assert row is not None
        new = calendar_feeds.make_feed(row)
    async with database.unit_of_work() as db:
        assert new != old
        assert await calendar_feeds.staff_by_feed_token(db, old) is None
        assert await calendar_feeds.staff_by_feed_token(db, new) is not None


async def test_a_deactivated_accounts_feed_opens_nothing_and_odd_tokens_are_refused(
    database, clock
):
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
        token = calendar_feeds.make_feed(facilitator)
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, facilitator.id, clock.now)
    async with database.unit_of_work() as db:
        assert await calendar_feeds.staff_by_feed_token(db, token) is None
        assert await calendar_feeds.staff_by_feed_token(db, "") is None
        assert await calendar_feeds.staff_by_feed_token(db, "x" * 10_000) is None
