"""create_app(): the FastAPI application with its middleware, routes and background work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import FastAPI, Request, Response
from starlette.middleware.gzip import GZipMiddleware

from server.background import BackgroundWork, utc_now
from server.demo_rooms.supervisor import DemoPeople
from server.i18n import Translator, install_overrides, parse_language
from server.notify.mailer import mailer_for
from server.notify.outbox import Mailer
from server.organisation import Organisation
from server.rooms.bus import bus_for
from server.rooms.hub import RoomHub
from server.rooms.metrics import rooms_metrics_listener
from server.settings import Settings, get_settings
from server.storage.db import Database
from server.web.access_log import AccessLog
from server.web.csrf import CsrfCookie
from server.web.direct_frames import text_frame
from server.web.errors import install_error_handlers
from server.web.language_choice import choose
from server.web.routes import (
    accessibility,
    api,
    calendar,
    drop_in,
    health,
    parent,
    parent_device,
    parent_individual,
    parent_personal_data,
    parent_volunteering,
    public,
    room_pages,
    room_socket,
    safe_use,
    staff_accessibility,
    staff_auth,
    staff_bans,
    staff_dashboard,
    staff_evaluation,
    staff_individual,
    staff_intakes,
    staff_passwords,
    staff_people,
    staff_personal_data,
    staff_series,
    staff_series_new,
    staff_session_time,
    staff_volunteering,
)
from server.web.routes import demo as demo_routes
from server.web.security import BodySizeLimit, DirectWebSocketSend, SecurityHeaders
from server.web.static_files import StaticTree, VersionedStaticFiles
from signaling.placement import relay_for
from web import STATIC_DIR

LANGUAGE_COOKIE = "tupa_lang"
# Answers that are the same in every language: no cache needs to keep one per language.
LANGUAGE_FREE_PATHS = ("/static/", "/favicon.ico")


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
    mailer: Mailer | None = None,
    background: bool = True,
    demo: bool = False,
) -> FastAPI:
    """The Tupa application. Tests pass their own database, clock and mailer. ``demo``
    (``tupa serve --demo``) adds the live demo rooms, their simulated staff and "Try it"."""
    settings = settings or get_settings()
    install_overrides(settings.data_dir)  # the organisation's own texts; raises if one is broken
    database = database or Database(settings.database_url)
    mailer = mailer or mailer_for(settings)
    work = BackgroundWork(database, settings, mailer, clock, demo=demo)
    hub = RoomHub(
        database,
        bus_for(settings.redis_url),
        clock,
        opens_before=timedelta(minutes=settings.room_opens_minutes_before),
        ice=settings.ice_config(),
        mesh_limit=settings.mesh_limit,
        relay=relay_for(settings),
        org=Organisation.from_settings(settings),
        presence_expiry=settings.presence_expiry_seconds,
    )
    demo_people = (
        DemoPeople(
            hub,
            database,
            clock,
            Organisation.from_settings(settings),
            timedelta(minutes=settings.room_opens_minutes_before),
            settings.demo_admit_seconds,
            settings.default_language,
        )
        if demo
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        metrics = rooms_metrics_listener(settings, hub)  # off the public port, when configured
        app.state.metrics = metrics
        if background:
            work.start()
            if demo_people is not None:
                demo_people.start()
        try:
            yield
        finally:
            if demo_people is not None:
                await demo_people.stop()
            await work.stop()
            if metrics is not None:
                metrics.stop()
            await hub.stop()
            await database.dispose()

    app = FastAPI(title="Tupa", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.organisation = Organisation.from_settings(settings)
    app.state.background = work
    app.state.hub = hub
    app.state.demo = demo
    app.state.demo_people = demo_people
    hub.sockets.encode = text_frame

    @app.middleware("http")
    async def choose_language(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """?lang= switches the language and remembers it in a cookie; without a choice the
        browser's Accept-Language decides, then the default (server/web/language_choice.py)."""
        asked = parse_language(request.query_params.get("lang"))
        choice = choose(
            asked,
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language"),
            settings.default_language,
        )
        request.state.translator = Translator(choice.language, settings.zone)
        request.state.staff = None
        response = await call_next(request)
        if choice.from_header and not request.url.path.startswith(LANGUAGE_FREE_PATHS):
            response.headers.add_vary_header("Accept-Language")
        if asked:
            response.set_cookie(
                LANGUAGE_COOKIE,
                asked,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        return response

    # No session middleware: staff sessions are rows (server/web/staff_cookie.py) and the CSRF
    # secret has a cookie of its own.
    app.add_middleware(CsrfCookie, secure=settings.secure_cookies)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AccessLog, client_ips=settings.log_client_ips)
    app.add_middleware(DirectWebSocketSend)
    install_error_handlers(app)

    # Versioned addresses kept a year, plain ones revalidated (server/web/static_files.py).
    static = VersionedStaticFiles(StaticTree.scan(STATIC_DIR))
    app.state.static = static.tree
    app.mount("/static", static, name="static")
    app.add_route("/favicon.ico", static.favicon, ["GET", "HEAD"], include_in_schema=False)
    routers = (
        public,
        drop_in,
        parent,
        parent_personal_data,
        parent_volunteering,
        parent_individual,
        calendar,
        staff_auth,
        staff_session_time,
        staff_dashboard,
        # staff_series_new first: its /staff/series/new is not a series id.
        staff_series_new,
        staff_series,
        staff_intakes,
        staff_bans,
        staff_evaluation,
        staff_individual,
        staff_people,
        staff_volunteering,
        staff_passwords,
        staff_personal_data,
        staff_accessibility,
        api,
        health,
    )
    if demo:
        app.include_router(demo_routes.router)
    # parent_device last: its /me/{token} must not shadow the fixed /me/... addresses.
    for module in (*routers, room_pages, room_socket, safe_use, accessibility, parent_device):
        app.include_router(module.router)
    return app
