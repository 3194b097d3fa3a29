"""Who may use every staff route: anonymous, logged out, deactivated, and each role.

The routes are read from the application, so a new staff route fails this test until its rule is
written in RULES below.
"""

from __future__ import annotations

from enum import Enum

import httpx
import pytest
from fastapi.routing import APIRoute

from server.app import create_app
from server.people import deactivation
from server.people.roles import Role
from server.settings import Settings
from server.storage.tables import SeriesRow, SeriesStaffRow
from tests.conftest import csrf_of
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.web.login_support import browser_at, log_in


class Rule(Enum):
    PUBLIC = "anyone"
    STAFF = "any signed-in staff member"
    RUNS_SERIES = "coordinators and the series' facilitators"
    COORDINATOR = "coordinators only"


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/staff/login"): Rule.PUBLIC,
    ("POST", "/staff/login"): Rule.PUBLIC,
    ("GET", "/staff/login/code"): Rule.PUBLIC,
    ("POST", "/staff/login/code"): Rule.PUBLIC,
    ("POST", "/staff/logout"): Rule.PUBLIC,
    ("GET", "/staff/reset/{token}"): Rule.PUBLIC,  # a reset link; its cookie is the credential
    ("GET", "/staff/reset"): Rule.PUBLIC,
    ("POST", "/staff/reset"): Rule.PUBLIC,
    ("GET", "/staff/reset/done"): Rule.PUBLIC,
    ("GET", "/api/v1/series"): Rule.PUBLIC,
    ("GET", "/api/v1/series/{series_id}"): Rule.PUBLIC,
    ("POST", "/api/v1/series/{series_id}/enrolments"): Rule.PUBLIC,  # parents enrol
    ("GET", "/staff"): Rule.STAFF,
    ("GET", "/staff/security"): Rule.STAFF,
    ("POST", "/staff/security/calendar-feed"): Rule.STAFF,
    ("POST", "/staff/security/totp"): Rule.STAFF,
    ("POST", "/staff/security/totp/disable"): Rule.STAFF,
    ("POST", "/staff/security/recovery-codes"): Rule.STAFF,
    ("POST", "/staff/security/sessions/{session_id}/end"): Rule.STAFF,
    ("POST", "/staff/security/sessions/end-all"): Rule.STAFF,
    ("POST", "/staff/security/password"): Rule.STAFF,
    ("GET", "/staff/session/time-left"): Rule.STAFF,  # the session warning's questions
    ("POST", "/staff/session/continue"): Rule.STAFF,
    ("GET", "/staff/sessions/{session_id}/room"): Rule.STAFF,  # assigned staff, all roles
    ("GET", "/staff/series/{series_id}/bans"): Rule.RUNS_SERIES,
    ("GET", "/staff/series/{series_id}/individual"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/individual"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/individual/{session_id}/withdraw"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/individual/limit"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/ban"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/bans/{enrolment_id}/lift"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/identifying-held"): Rule.RUNS_SERIES,
    ("POST", "/staff/series/{series_id}/drop-in"): Rule.RUNS_SERIES,
    ("GET", "/staff/series/{series_id}/attendance"): Rule.RUNS_SERIES,
    (
        "POST",
        "/staff/series/{series_id}/attendance/{session_id}/{enrolment_id}",
    ): Rule.RUNS_SERIES,
    ("GET", "/staff/series/{series_id}/report"): Rule.RUNS_SERIES,
    ("GET", "/staff/series/new"): Rule.COORDINATOR,
    ("POST", "/staff/series/new"): Rule.COORDINATOR,
    ("GET", "/staff/series/{series_id}"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/sessions/{session_id}/move"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/sessions/{session_id}/cancel"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/sessions/{session_id}/edit"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/texts"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/listed"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/confirm"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/cancel"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/staff"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/remove"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/revoke"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/reissue"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/peer-invitation"): (
        Rule.COORDINATOR
    ),
    (
        "POST",
        "/staff/series/{series_id}/enrolments/{enrolment_id}/peer-invitation/withdraw",
    ): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/accept"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/refuse"): Rule.COORDINATOR,
    ("GET", "/staff/series/{series_id}/enrolments/{enrolment_id}/export"): Rule.COORDINATOR,
    ("GET", "/staff/series/{series_id}/enrolments/{enrolment_id}/erase"): Rule.COORDINATOR,
    ("POST", "/staff/series/{series_id}/enrolments/{enrolment_id}/erase"): Rule.COORDINATOR,
    ("GET", "/staff/series/{series_id}/moderation"): Rule.COORDINATOR,
    ("GET", "/staff/series/{series_id}/report.{kind}"): Rule.COORDINATOR,
    ("GET", "/staff/programs"): Rule.COORDINATOR,
    ("GET", "/staff/programs/{program_id}/questionnaires/{kind}"): Rule.COORDINATOR,
    ("POST", "/staff/programs/{program_id}/questionnaires/{kind}"): Rule.COORDINATOR,
    ("GET", "/staff/programs/{program_id}/report"): Rule.COORDINATOR,
    ("GET", "/staff/programs/{program_id}/report.{kind}"): Rule.COORDINATOR,
    ("GET", "/staff/people"): Rule.COORDINATOR,
    ("POST", "/staff/people"): Rule.COORDINATOR,
    ("POST", "/staff/people/{staff_id}/deactivate"): Rule.COORDINATOR,
    ("POST", "/staff/people/{staff_id}/activate"): Rule.COORDINATOR,
    ("POST", "/staff/people/{staff_id}/reset-link"): Rule.COORDINATOR,
    ("GET", "/staff/people/{staff_id}/security-log"): Rule.COORDINATOR,
    ("GET", "/staff/accessibility-feedback"): Rule.COORDINATOR,
    ("POST", "/staff/accessibility-feedback/{feedback_id}/handled"): Rule.COORDINATOR,
    ("GET", "/staff/intakes/new"): Rule.COORDINATOR,
    ("POST", "/staff/intakes/new"): Rule.COORDINATOR,
    ("GET", "/staff/intakes/{intake_id}"): Rule.COORDINATOR,
    ("POST", "/staff/intakes/{intake_id}/close"): Rule.COORDINATOR,
    ("POST", "/staff/intakes/{intake_id}/place"): Rule.COORDINATOR,
    ("GET", "/staff/intakes/{intake_id}/compose"): Rule.COORDINATOR,
    ("POST", "/staff/intakes/{intake_id}/compose"): Rule.COORDINATOR,
}

# Who asks, in this order (those refused first, so an allowed change cannot hide a refusal).
PRINCIPALS = ("anonymous", "logged_out", "deactivated", "volunteer", "facilitator", "coordinator")
ALLOWED: dict[Rule, set[str]] = {
    Rule.PUBLIC: set(PRINCIPALS),
    Rule.STAFF: {"volunteer", "facilitator", "coordinator"},
    Rule.RUNS_SERIES: {"facilitator", "coordinator"},
    Rule.COORDINATOR: {"coordinator"},
}


def staff_routes() -> set[tuple[str, str]]:
    """Every HTTP route under /staff and /api, read from the application itself."""
    app = create_app(Settings(secret_key="k", data_dir="var-unused"), background=False)
    found: set[tuple[str, str]] = set()
    for included in app.router.routes:
        routes = getattr(getattr(included, "original_router", None), "routes", [included])
        for route in routes:
            if isinstance(route, APIRoute) and route.path.startswith(("/staff", "/api")):
                found |= {(method, route.path) for method in route.methods or ()}
    return found


def test_every_staff_route_has_a_rule():
    assert staff_routes() == set(RULES)


def outcome(response: httpx.Response) -> str:
    """What the answer says about authorisation: signed out, forbidden or let through."""
    assert response.status_code < 500, response.text
    if response.status_code == 303 and response.headers["location"].startswith("/staff/login?"):
        return "signed out"
    if response.status_code == 401 and "login_required" in response.text:
        return "signed out"
    if response.status_code == 403:
        assert "csrf_failed" not in response.text  # the form's token was right
        return "forbidden"
    return "let through"


async def browsers(client, clock, org):
    """A browser per principal, the series the facilitator and volunteer are assigned to, and
    the path parameters that name its rows."""
    database = client.app.state.test_database
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR)
        volunteer = await a_staff_member(db, clock.now, Role.VOLUNTEER)
        leaving = await a_staff_member(db, clock.now, Role.FACILITATOR, email="leaving@example.org")
        spare = await a_staff_member(db, clock.now, Role.FACILITATOR, email="spare@example.org")
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        for member in (facilitator, volunteer, leaving):
            db.add(SeriesStaffRow(series_id=series_id, staff_id=member.id))
    enrolment = (await enrol_parent(database, org, series_id, "Vanhempi", clock.now)).enrolment
    async with database.unit_of_work() as db:
        series = await db.get(SeriesRow, series_id)
        assert series is not None
        program_id = series.program_id
        session_id = min(s.id for s in series.sessions)
    params = {
        "series_id": series_id,
        "session_id": session_id,
        "enrolment_id": enrolment.id,
        "program_id": program_id,
        "staff_id": spare.id,
        "kind": "csv",
        "token": "a" * 43,
        "feedback_id": 1,  # none exists: a coordinator is let through to a 404
        "intake_id": series_id,  # not an intake: a coordinator is let through to a 404
    }
    emails = {
        "logged_out": "coordinator@example.org",
        "deactivated": leaving.email,
        "volunteer": volunteer.email,
        "facilitator": facilitator.email,
        "coordinator": "coordinator@example.org",
    }
    return emails, params, leaving.id


@pytest.mark.parametrize(
    ("method", "path"), sorted(RULES), ids=[" ".join(r) for r in sorted(RULES)]
)
async def test_each_staff_route_lets_in_exactly_whom_its_rule_names(
    client, clock, org, method, path
):
    emails, params, leaving_id = await browsers(client, clock, org)
    address = path.format(**params)
    if path.endswith("/questionnaires/{kind}"):
        address = path.format(**{**params, "kind": "feedback"})
    seen: dict[str, str] = {}
    for n, principal in enumerate(PRINCIPALS):
        async with browser_at(client, f"192.0.2.{n + 1}") as browser:
            if principal in emails:
                assert (await log_in(browser, emails[principal])).status_code == 303
            token = csrf_of((await browser.get("/staff/login")).text)
            if principal == "logged_out":
                cookies = httpx.Cookies(browser.cookies)
                await browser.post("/staff/logout", data={"csrf_token": token})
                browser.cookies = cookies  # the cookie copied before the logout
            if principal == "deactivated":
                async with client.app.state.test_database.unit_of_work() as db:
                    await deactivation.deactivate(db, leaving_id, clock.now)
            if method == "GET":
                response = await browser.get(address)
            else:
                response = await browser.post(address, data={"csrf_token": token})
            seen[principal] = outcome(response)

    assert seen == expected(RULES[(method, path)])


def expected(rule: Rule) -> dict[str, str]:
    """Those the rule names are let through; the rest are sent to log in, or refused if they
    are signed in."""
    signed_out = ("anonymous", "logged_out", "deactivated")
    return {
        p: "let through" if p in ALLOWED[rule] else "signed out" if p in signed_out else "forbidden"
        for p in PRINCIPALS
    }
