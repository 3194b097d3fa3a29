"""Nothing in the log or in a copy of the database gives a parent away: a whole course of Tupa is
run as ``tupa serve`` runs it, and the log and every table are searched for what it made."""

import re

import pytest
from sqlalchemy import inspect, text

from tests.privacy_flow import captured_log, leaks, run_course, served_like_tupa

# A link to a parent's page, whatever the host, with something in the place of the token.
PERSONAL_LINK = re.compile(r"/me/[A-Za-z0-9_-]{20,}")


@pytest.fixture
async def tupa(settings, sqlite_database, clock):
    with captured_log() as log:
        async with served_like_tupa(settings, sqlite_database, clock) as server:
            yield server, log


async def test_the_log_of_a_whole_course_holds_no_link_address_name_text_or_ip(tupa, org, clock):
    server, log = tupa
    course = await run_course(server, org, clock)
    written = log.getvalue()
    assert "/series/{series_id}/enrol" in written  # the access log was captured
    assert "GET /calendar/staff/{token}.ics 200" in written  # the feed's token is masked
    assert leaks(written, course.found) == []


async def test_no_table_holds_a_token_or_a_link_that_works_after_a_whole_course(tupa, org, clock):
    server, _log = tupa
    course = await run_course(server, org, clock)
    stored = await every_value(server.database)
    assert leaks(stored, course.credentials()) == []
    assert PERSONAL_LINK.findall(stored) == []


async def every_value(database):
    """Every value of every table in the database (as found there, not as the models say), one
    row a line, as a dump would show them."""

    def table_names(connection):
        return inspect(connection).get_table_names()

    lines = []
    async with database.engine.connect() as conn:
        for table in await conn.run_sync(table_names):
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608 (a name)
            for row in result:
                lines.append(f"{table}: " + " | ".join(map(_shown, row)))
    return "\n".join(lines)


def _shown(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
