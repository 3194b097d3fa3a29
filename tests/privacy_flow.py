"""A whole course of Tupa run the way ``tupa serve`` runs it, for the privacy scans: everything a
leaked log or database could give away is collected as it is made, so the scans can look for it.

The server is started like ``tupa serve`` (uvicorn at INFO with Tupa's own logging, proxy headers
trusted as compose.yaml trusts them, no SMTP server so mail goes to the log). It listens on
127.0.0.3 while clients connect from 127.0.0.1, so the client's address is told apart from the
server's own; HTTP clients also send an X-Forwarded-For address, as the proxy would.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import update

from server.app import create_app
from server.enrolment.questions import Question
from server.logs import UVICORN_OPTIONS, configure_logging, remove_logging
from server.organisation import Organisation
from server.people.roles import Role
from server.scheduling import service as scheduling
from server.scheduling.series import MediaMode
from server.settings import Settings
from server.storage.db import Database
from server.storage.tables import SessionRow
from tests.conftest import Clock, LiveServer, csrf_of, free_port, post_form
from tests.factories import PASSWORD, a_staff_member, seed_series
from tests.roomclient import RoomClient, connect, parent_device, staff_cookie

SERVER_HOST = "127.0.0.3"
SOCKET_CLIENT_IP = "127.0.0.1"  # where every test client's connections come from
FORWARDED_CLIENT_IP = "203.0.113.77"  # what the proxy says the parent's address is
CANDIDATE_IP = "198.51.100.23"  # a parent's address as their browser's ICE candidate gives it
DEVICE_COOKIE = "tupa_me"  # what a personal link is swapped for (as tests/roomclient.py sends it)
ICE_PASSWORD = "x9cmlYzichV2XlhiMu8g1kQ3"
# An offer as a browser writes it, CRLF and all, giving away the parent's address (RFC 8866).
OFFER = "\r\n".join(
    [
        "v=0",
        f"o=- 4611731400430051336 2 IN IP4 {CANDIDATE_IP}",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        f"c=IN IP4 {CANDIDATE_IP}",
        "a=ice-ufrag:F7gI",
        f"a=ice-pwd:{ICE_PASSWORD}",
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtpmap:111 opus/48000/2",
        f"a=candidate:1 1 udp 2122260223 {CANDIDATE_IP} 54321 typ host",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        f"c=IN IP4 {CANDIDATE_IP}",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "",
    ]
)
ANSWER = OFFER.replace("a=sendrecv", "a=recvonly")
PERSONAL_LINK = re.compile(r'id="personal-link"[^>]*value="[^"]*/me/([A-Za-z0-9_-]+)"')
FEED_ADDRESS = re.compile(r'id="feed-url"[^>]*value="[^"]*/calendar/staff/([A-Za-z0-9_-]+)\.ics"')


@dataclass
class Course:
    """What the course made that must not leak, by kind (for messages that say what leaked)."""

    server: LiveServer
    found: dict[str, set[str]] = field(default_factory=dict)

    def keep(self, kind: str, *values: str) -> None:
        self.found.setdefault(kind, set()).update(v for v in values if v)

    def credentials(self) -> dict[str, set[str]]:
        """Personal links and the cookies they and staff logins were swapped for, and staff
        calendar feed addresses."""
        kinds = ("personal link", "cookie", "calendar feed")
        return {k: v for k, v in self.found.items() if k in kinds}


@contextmanager
def captured_log() -> Iterator[io.StringIO]:
    """Everything written to the log at INFO, through the handler every ``tupa`` command uses."""
    names = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "uvicorn.access")
    saved = {
        name: (lg.handlers[:], lg.propagate, lg.disabled, lg.level)
        for name in names
        for lg in [logging.getLogger(name)]
    }
    root_level = logging.getLogger().level
    # The test's own HTTP clients log each request they make; it is the server's log we read.
    clients = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    client_levels = [lg.level for lg in clients]
    for lg in clients:
        lg.setLevel(logging.WARNING)
    stream = io.StringIO()
    handler = configure_logging(stream, logging.INFO)
    try:
        yield stream
    finally:
        remove_logging(handler)
        for lg, level in zip(clients, client_levels, strict=True):
            lg.setLevel(level)
        logging.getLogger().setLevel(root_level)
        for name, (handlers, propagate, disabled, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
            logger.setLevel(level)


@asynccontextmanager
async def served_like_tupa(
    settings: Settings, database: Database, clock: Clock
) -> AsyncIterator[LiveServer]:
    """The application with its own mailer (the log: no SMTP host) under uvicorn as
    ``tupa serve`` and compose.yaml run it. The background pass is run by the course itself."""
    import uvicorn

    from server.rooms.frames import MAX_FRAME_BYTES

    port = free_port()
    url = f"http://{SERVER_HOST}:{port}"
    settings = settings.model_copy(update={"public_url": url, "smtp_host": None})
    app = create_app(settings, database=database, clock=clock, background=False)
    config = uvicorn.Config(
        app,
        host=SERVER_HOST,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="*",  # compose.yaml's FORWARDED_ALLOW_IPS
        log_level="info",
        **UVICORN_OPTIONS,
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(url, app, database)
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def a_browser(server: LiveServer, cookie: str = "") -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client keeping its cookies, behind the proxy (which names the client's address)."""
    cookies = dict(pair.split("=", 1) for pair in cookie.split("; ") if pair)
    async with httpx.AsyncClient(
        base_url=server.url, cookies=cookies, headers={"X-Forwarded-For": FORWARDED_CLIENT_IP}
    ) as client:
        yield client


def cookie_values(header: str) -> list[str]:
    return [pair.split("=", 1)[1] for pair in header.split("; ") if "=" in pair]


async def _enrol_by_form(
    course: Course, series_id: int, pseudonym: str, email: str, wish: str
) -> str:
    """Enrol through the group's page as a parent would; returns the personal link's token."""
    course.keep("pseudonym", pseudonym)
    course.keep("e-mail address", email)
    course.keep("enrolment answer", wish)
    async with a_browser(course.server) as browser:
        page = f"/series/{series_id}"
        reply = await post_form(
            browser, page, f"{page}/enrol", {"pseudonym": pseudonym, "email": email, "q1": wish}
        )
        assert reply.status_code == 201, reply.text
        link = PERSONAL_LINK.search(reply.text)
        assert link, "the personal link is shown once"
        course.keep("personal link", link.group(1))
        return link.group(1)


@asynccontextmanager
async def _parent_browser(
    course: Course, token: str
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A parent's browser on their personal page (the one their link was swapped for, as the
    room sockets use it), and the page."""
    device = await parent_device(course.server, token)
    assert device, "the personal link opens the personal page"
    course.keep("cookie", device)
    async with a_browser(course.server, f"{DEVICE_COOKIE}={device}") as browser:
        page = await browser.get("/me")
        assert page.status_code == 200, page.status_code
        yield browser, page.text


async def _staff_logins(
    course: Course, server: LiveServer, emails: dict[str, str]
) -> dict[str, str]:
    """A mistyped password, then every staff member's login; their cookie headers by role."""
    async with a_browser(server) as browser:
        page = await browser.get("/staff/login")
        refused = await browser.post(
            "/staff/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": emails["coordinator"],
                "password": "not the password",
            },
        )
        assert refused.status_code == 401
    cookies = {role: await staff_cookie(server, email) for role, email in emails.items()}
    for header in cookies.values():
        course.keep("cookie", *cookie_values(header))
    return cookies


async def _say(course: Course, client: RoomClient, text: str) -> None:
    course.keep("chat text", text)
    await client.say(text)


async def _join(server: LiveServer, session_id: int, token: str) -> RoomClient:
    parent = await connect(server, session_id, link=token)
    await parent.expect("welcome")
    return parent


async def _group_session(
    course: Course, session_id: int, cookies: dict[str, str], links: dict[str, str]
) -> None:
    """Chat, a private word, video negotiated between two parents, a mute and a removal."""
    server = course.server
    facilitator = await connect(server, session_id, cookies=cookies["facilitator"])
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    volunteer = await connect(server, session_id, cookies=cookies["volunteer"])
    await volunteer.expect("welcome")
    first = await _join(server, session_id, links["first"])
    second = await _join(server, session_id, links["second"])

    for speaker, text in (
        (volunteer, "Olen itse käynyt eron läpi kaksi vuotta sitten."),
        (first, "Exä ei tuo lasta sovittuna päivänä, pelottaa soittaa."),
        (second, "Meillä on lähestymiskielto, asun nyt turvakodissa."),
    ):
        await _say(course, speaker, text)
        await facilitator.expect("message", text=text)
    course.keep("chat text", "Soitan sinulle huomenna kahden kesken")
    await facilitator.send(
        type="private", cid="p1", to=first.peer, text="Soitan sinulle huomenna kahden kesken"
    )
    await first.expect("private")

    await first.send(type="av", mic=True, camera=True, blurred=False)
    await second.expect("av", peer=first.peer)
    await first.send(type="signal", to=second.peer, kind="offer", sdp=OFFER)
    await second.expect("signal", kind="offer")
    await second.send(type="signal", to=first.peer, kind="answer", sdp=ANSWER)
    await first.expect("signal", kind="answer")
    candidate = {
        "candidate": f"candidate:1 1 udp 2122260223 {CANDIDATE_IP} 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await first.send(type="signal", to=second.peer, kind="candidate", candidate=candidate)
    await second.expect("signal", kind="candidate")

    await facilitator.send(type="mute", peer=second.peer, seconds=300)
    await facilitator.send(type="remove", peer=second.peer)
    await second.closed_with()
    await facilitator.send(type="end")
    await first.closed_with()
    await volunteer.closed_with()


async def _stage_session(
    course: Course, session_id: int, cookies: dict[str, str], links: dict[str, str]
) -> None:
    """A stage: the volunteer speaks, a parent asks a question, another upvotes it."""
    server = course.server
    facilitator = await connect(server, session_id, cookies=cookies["facilitator"])
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    volunteer = await connect(server, session_id, cookies=cookies["volunteer"])
    await volunteer.expect("welcome")
    first = await _join(server, session_id, links["first"])
    third = await _join(server, session_id, links["third"])

    await _say(course, volunteer, "Kerron nyt, miten meillä sovittiin tapaamisista.")
    course.keep("question text", "Saako lapsen tapaamiset evätä, jos isä juo?")
    await first.send(type="ask", cid="q1", text="Saako lapsen tapaamiset evätä, jos isä juo?")
    question = await facilitator.expect("question")
    await facilitator.send(type="question", question=question["seq"], action="approve")
    await third.expect("question_update", status="approved")
    await third.send(type="upvote", question=question["seq"])
    await facilitator.expect("question_update", votes=1)
    await facilitator.send(type="end")
    await first.closed_with()
    await third.closed_with()


async def _define_feedback(course: Course, coordinator: str, program_id: int) -> None:
    """The coordinator defines the program's feedback form."""
    form = f"/staff/programs/{program_id}/questionnaires/feedback"
    async with a_browser(course.server, coordinator) as browser:
        defined = await post_form(
            browser,
            form,
            form,
            {
                "text_1": "Miten tapaaminen onnistui?",
                "kind_1": "scale",
                "text_2": "Mitä haluat sanoa ohjaajille?",
                "kind_2": "text",
            },
        )
        assert defined.status_code == 303, defined.text


async def _subscribe_to_feed(course: Course, facilitator: str) -> None:
    """The facilitator makes their calendar feed address, and a calendar app subscribes to it."""
    async with a_browser(course.server, facilitator) as browser:
        made = await post_form(browser, "/staff/security", "/staff/security/calendar-feed", {})
        assert made.status_code == 200, made.status_code
    found = FEED_ADDRESS.search(made.text)
    assert found, "the feed address is shown once"
    course.keep("calendar feed", found.group(1))
    async with a_browser(course.server) as calendar_app:
        feed = await calendar_app.get(f"/calendar/staff/{found.group(1)}.ics")
        assert feed.status_code == 200, feed.status_code


async def _give_feedback(course: Course, token: str, session_id: int) -> None:
    """A parent answers the feedback form from their page."""
    text = "Kiitos, uskalsin vihdoin kertoa väkivallasta."
    course.keep("feedback text", text)
    async with _parent_browser(course, token) as (browser, page):
        found = re.search(rf'href="([^"]*/feedback/{session_id})"', page)
        assert found, "the personal page offers the feedback form"
        given = await post_form(browser, found.group(1), found.group(1), {"q1": "4", "q2": text})
        assert given.status_code == 303, given.text


async def run_course(server: LiveServer, org: Organisation, clock: Clock) -> Course:
    """Enrolment with e-mail, mail through the outbox, a group session with video and moderation,
    feedback, a stage session with a question, staff logins and a staff calendar feed: what each
    made is kept."""
    course = Course(server)
    emails = {
        "coordinator": "kaisa.koordinaattori@example.org",
        "facilitator": "olli.ohjaaja@example.org",
        "volunteer": "veera.virtanen@example.org",
    }
    async with server.database.unit_of_work() as db:
        staff = {
            role: await a_staff_member(db, clock.now, Role(role), email=email, real_name=name)
            for (role, email), name in zip(
                emails.items(),
                ("Kaisa Koordinaattori", "Olli Ohjaaja", "Veera Virtanen"),
                strict=True,
            )
        }
    course.keep("e-mail address", *emails.values())
    course.keep("real name", "Kaisa Koordinaattori", "Olli Ohjaaja", "Veera Virtanen")
    course.keep("alias", "Kokemuskumppani Aino")
    series_id = await seed_series(
        server.database,
        org,
        clock.now,
        staff_ids=[staff["facilitator"].id, staff["volunteer"].id],
        media_mode=MediaMode.GROUP,
        questions=[Question("q1", "Mitä toivot ryhmältä?", [], False)],
    )
    links = {
        "first": await _enrol_by_form(
            course, series_id, "Mustikkamaa", "mustikka.maa@example.org", "tukea huoltajuuskiistaan"
        ),
        "second": await _enrol_by_form(
            course, series_id, "Puolukkapuu", "puolukka.puu@example.org", "en halua exän tietävän"
        ),
        "third": await _enrol_by_form(
            course, series_id, "Karpalokallio", "karpalo.kallio@example.org", "vertaistukea"
        ),
    }
    await server.app.state.background.run_once()  # the enrolment notices, through the outbox
    async with _parent_browser(course, links["first"]):
        pass

    async with server.database.unit_of_work() as db:
        series = await scheduling.get_series(db, series_id)
        first_session, second_session = series.sessions[0], series.sessions[1]
        program_id = series.program_id
        # The second meeting is a stage, so that questions are asked in it.
        await db.execute(
            update(SessionRow)
            .where(SessionRow.id == second_session.id)
            .values(media_mode=MediaMode.STAGE.value)
        )

    clock.now = first_session.starts_at - timedelta(hours=23)
    await server.app.state.background.run_once()  # reminders, through the outbox
    clock.now = first_session.starts_at - timedelta(minutes=10)
    await server.app.state.background.run_once()

    cookies = await _staff_logins(course, server, emails)
    await _define_feedback(course, cookies["coordinator"], program_id)
    await _subscribe_to_feed(course, cookies["facilitator"])
    await _group_session(course, first_session.id, cookies, links)
    clock.advance(minutes=100)
    await _give_feedback(course, links["first"], first_session.id)

    clock.now = second_session.starts_at - timedelta(minutes=10)
    await server.app.state.background.run_once()
    cookies = await _staff_logins(course, server, emails)  # a week later: logged in again
    await _stage_session(course, second_session.id, cookies, links)
    course.keep("client address", SOCKET_CLIENT_IP, FORWARDED_CLIENT_IP, CANDIDATE_IP)
    course.keep("media credential", ICE_PASSWORD)
    course.keep("password", PASSWORD)
    return course


def leaks(text: str, found: dict[str, set[str]]) -> list[str]:
    """Each kept value that occurs in ``text``, with its kind and the line it is on."""
    lines = text.splitlines()
    problems = []
    for kind, values in sorted(found.items()):
        for value in sorted(values):
            if value in text:
                line = next((ln for ln in lines if value in ln), "")
                problems.append(f"{kind} {value!r} in: {line[:300]}")
    return problems
