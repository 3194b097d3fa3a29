"""The ``tupa`` command: serve, relay, db upgrade, demo, staff add/deactivate/activate, outbox."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from server.logs import UVICORN_OPTIONS, configure_logging
from server.settings import get_settings

if TYPE_CHECKING:
    from server.notify.waiting import WaitingMail


def _upgrade() -> None:
    """Apply migrations, then add any program templates this version ships that are missing."""
    from server.storage.migrate import upgrade

    upgrade(get_settings().database_url)
    asyncio.run(_ensure_templates())


async def _ensure_templates() -> None:
    from server.scheduling.service import ensure_program_templates
    from server.storage.db import Database

    database = Database(get_settings().database_url)
    try:
        async with database.unit_of_work() as db:
            await ensure_program_templates(db)
    finally:
        await database.dispose()


async def _load_demo() -> bool:
    from server.demo import load_demo
    from server.organisation import Organisation
    from server.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as db:
            return await load_demo(db, Organisation.from_settings(settings), datetime.now(UTC))
    finally:
        await database.dispose()


async def _renew_demo_rooms() -> None:
    """Plan the live demo rooms before serving, so the first visitor finds them."""
    from server.demo_rooms.sessions import renew
    from server.organisation import Organisation
    from server.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as db:
            await renew(db, Organisation.from_settings(settings), datetime.now(UTC))
    finally:
        await database.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.gctuning import tune_for_latency
    from server.i18n import CatalogueError, install_overrides
    from server.rooms.frames import MAX_FRAME_BYTES

    settings = get_settings().for_demo() if args.demo else get_settings()
    try:  # before anything else, so a broken file stops the start with its name and line
        install_overrides(settings.data_dir)
    except CatalogueError as error:
        print(f"Tupa was not started: {error}", file=sys.stderr)
        return 2
    _upgrade()
    if args.demo and asyncio.run(_load_demo()):
        print("Demo data loaded. Staff logins are in the README (demo only).")
    if args.demo:
        asyncio.run(_renew_demo_rooms())
    host = args.host or settings.host
    port = args.port or settings.port
    settings = settings.serving_at(host, port)
    print(f"Tupa is running at http://{host}:{port}")
    tune_for_latency()
    uvicorn.run(
        create_app(settings, demo=args.demo),
        host=host,
        port=port,
        proxy_headers=True,
        log_level="info",
        **UVICORN_OPTIONS,  # server.logs' handler, no access line with a query and an address
        ws_max_size=MAX_FRAME_BYTES,  # larger frames are closed with 1009 before we see them
        # Chat frames are small; compressing each one once per recipient (the contexts are per
        # connection) would cost more CPU than the bytes it saves, and undo serialise-once.
        ws_per_message_deflate=False,
    )
    return 0


def cmd_relay(args: argparse.Namespace) -> int:
    """The media relay as a process of its own, for web processes with ``TUPA_RELAY_URL``."""
    import uvicorn

    from server.web.access_log import AccessLog
    from signaling.ice import relay_ice_servers
    from signaling.metrics import ServesMetrics
    from signaling.relay import Relay
    from signaling.service import ExposedWithoutSecret, check_exposure, relay_service

    settings = get_settings()
    host = args.host or settings.relay_host
    port = args.port or settings.relay_port
    try:
        check_exposure(host, settings.relay_secret)
    except ExposedWithoutSecret as error:
        print(f"The relay was not started: {error}.", file=sys.stderr)
        return 2
    try:
        ice_servers = relay_ice_servers(settings, datetime.now(UTC))
    except ValueError as error:
        print(
            f"The relay was not started: TUPA_STUN_URLS or TUPA_TURN_URLS: {error}.",
            file=sys.stderr,
        )
        return 2
    relay = Relay(ice_servers)
    address = f"[{host}]" if ":" in host else host
    secured = "secret required" if settings.relay_secret else "no secret: loopback only"
    print(f"Tupa media relay is listening at http://{address}:{port} ({secured})", flush=True)
    announcing = None
    # Announced relays are known by their random id, in Redis and in metrics alike; a relay that
    # does not announce is labelled by its host name and port (no address).
    relay_id = f"{socket.gethostname()}:{port}"
    if settings.relay_announce_url:
        if not settings.redis_url:
            message = "The relay was not started: TUPA_RELAY_ANNOUNCE_URL needs TUPA_REDIS_URL."
            print(message, file=sys.stderr)
            return 2
        from signaling.announcing import announced, new_relay_id

        relay_id = new_relay_id()
        announcing = announced(
            relay,
            relay_id,
            settings.redis_url,
            settings.relay_announce_url,
            settings.relay_ttl_seconds,
        )
        print(
            f"It announces itself in Redis as {relay_id} at {settings.relay_announce_url}",
            flush=True,
        )
    app: Any = AccessLog(
        relay_service(relay, settings.relay_secret, announcing), client_ips=settings.log_client_ips
    )
    metrics_port = (
        args.metrics_port if args.metrics_port is not None else settings.relay_metrics_port
    )
    if metrics_port is not None:  # its own listener, never the relay's API port
        app = ServesMetrics(app, relay, relay_id, settings.metrics_host, metrics_port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        **UVICORN_OPTIONS,
    )
    return 0


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    _upgrade()
    print("Database schema is up to date.")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    _upgrade()
    if asyncio.run(_load_demo()):
        print("Demo data loaded.")
        return 0
    print("The database already has series; demo data was not loaded.")
    return 1


async def _add_staff(args: argparse.Namespace, password: str) -> None:
    from server.people.roles import Role
    from server.people.service import NewStaff, create_staff
    from server.storage.db import Database

    database = Database(get_settings().database_url)
    try:
        async with database.unit_of_work() as db:
            new = NewStaff(args.email, args.name, Role(args.role), password, args.alias)
            await create_staff(db, new, datetime.now(UTC))
    finally:
        await database.dispose()


def cmd_staff_add(args: argparse.Namespace) -> int:
    from server.errors import ErrorCode, TupaError

    _upgrade()
    password = getpass.getpass("Password (10-256 characters, not a common one): ")
    try:
        asyncio.run(_add_staff(args, password))
    except TupaError as error:
        # The same rules as the staff accounts page (server/people/password_policy.py).
        why = {
            ErrorCode.PASSWORD_TOO_COMMON: " (the password is among the most common ones, or it"
            " is the e-mail address or the name: choose another)",
        }.get(error.code, "")
        print(f"Not added: {error.code.value} {error.params}{why}", file=sys.stderr)
        return 2
    print(f"Added {args.role} {args.email}.")
    return 0


async def _set_staff_active(email: str, active: bool) -> None:
    from server.people import deactivation
    from server.storage.db import Database

    database = Database(get_settings().database_url)
    try:
        async with database.unit_of_work() as db:
            staff_id = await deactivation.staff_id_by_email(db, email)
            if active:
                await deactivation.reactivate(db, staff_id, datetime.now(UTC))
            else:
                await deactivation.deactivate(db, staff_id, datetime.now(UTC))
    finally:
        await database.dispose()


def _cmd_staff_active(args: argparse.Namespace, active: bool) -> int:
    """Deactivate or reactivate an account, as the staff accounts page does. Its cookies stop
    working at their next request; this process runs no room hub, so room sockets it already has
    open are not closed from here (the page closes them at once on every instance)."""
    from server.errors import TupaError

    _upgrade()
    try:
        asyncio.run(_set_staff_active(args.email, active))
    except TupaError as error:
        print(f"Not changed: {error.code.value}", file=sys.stderr)
        return 2
    print(f"{'Activated' if active else 'Deactivated'} {args.email}.")
    return 0


def cmd_staff_deactivate(args: argparse.Namespace) -> int:
    return _cmd_staff_active(args, active=False)


def cmd_staff_activate(args: argparse.Namespace) -> int:
    return _cmd_staff_active(args, active=True)


async def _outbox(args: argparse.Namespace) -> int:
    from server.errors import TupaError
    from server.notify import waiting
    from server.notify.sealing import UnreadableMail
    from server.organisation import Organisation
    from server.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as db:
            if args.outbox_command == "show":
                key = Organisation.from_settings(settings).mail_key
                mail = await waiting.open_waiting(db, key, args.id)
                print(f"To: {mail.recipient}\nSubject: {mail.subject}\n\n{mail.body}")
                print(
                    "\n(Personal links in it work: pass it on to its recipient only, then "
                    f"`tupa outbox delete {args.id}`.)",
                    file=sys.stderr,
                )
            elif args.outbox_command == "delete":
                await waiting.delete_waiting(db, args.id)
                print(f"Deleted the content of mail {args.id}; it will not be sent.")
            else:
                _print_waiting(await waiting.waiting_mail(db), settings.zone)
    except TupaError:
        print(f"No waiting mail {args.id}: it was sent, deleted or expired.", file=sys.stderr)
        return 2
    except UnreadableMail:
        print(f"Mail {args.id} was sealed under another secret key.", file=sys.stderr)
        return 2
    finally:
        await database.dispose()
    return 0


def _print_waiting(mails: list[WaitingMail], zone: ZoneInfo) -> None:
    if not mails:
        print("No mail is waiting.")
        return
    print(f"{'id':>6}  {'template':<28} lang  {'queued':<16}  {'due':<16}  tries  last error")
    for m in mails:
        queued = m.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        due = m.send_after.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        print(
            f"{m.id:>6}  {m.template:<28} {m.language:<4}  {queued}  {due}  {m.attempts:>5}  "
            f"{m.last_error or ''}"
        )
    print(f"Times in {zone.key}. `tupa outbox show ID` prints one message, here only.")


def cmd_outbox(args: argparse.Namespace) -> int:
    """Waiting mail, for an installation without SMTP: list, show one, delete one."""
    _upgrade()
    return asyncio.run(_outbox(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tupa", description="Tupa: moderated online peer groups.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and run the web server")
    serve.add_argument("--host", help="address to listen on (default TUPA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default TUPA_PORT or 8000)")
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.set_defaults(func=cmd_serve)

    relay = commands.add_parser(
        "relay", help="run the media relay as its own process (see TUPA_RELAY_URL)"
    )
    relay.add_argument("--host", help="address to listen on (default TUPA_RELAY_HOST or 127.0.0.1)")
    relay.add_argument(
        "--port", type=int, help="port to listen on (default TUPA_RELAY_PORT or 8100)"
    )
    relay.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics on this port of TUPA_METRICS_HOST "
        "(default TUPA_RELAY_METRICS_PORT; unset: none)",
    )
    relay.set_defaults(func=cmd_relay)

    db = commands.add_parser("db", help="database schema commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply all Alembic migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    demo = commands.add_parser(
        "demo", help="load demo data (programs, series, staff) into an empty database"
    )
    demo.set_defaults(func=cmd_demo)

    staff = commands.add_parser("staff", help="staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="add a staff account (asks for the password)")
    add.add_argument("--email", required=True)
    add.add_argument(
        "--name", required=True, help="real name (seen only by coordinators for volunteers)"
    )
    add.add_argument("--role", required=True, choices=["coordinator", "facilitator", "volunteer"])
    add.add_argument("--alias", help="the name others see (required for volunteers)")
    add.set_defaults(func=cmd_staff_add)
    deactivate = staff_commands.add_parser(
        "deactivate",
        help="deactivate a staff account: no login, its sessions end (not the last coordinator)",
    )
    deactivate.add_argument("--email", required=True)
    deactivate.set_defaults(func=cmd_staff_deactivate)
    activate = staff_commands.add_parser("activate", help="reactivate a deactivated staff account")
    activate.add_argument("--email", required=True)
    activate.set_defaults(func=cmd_staff_activate)

    outbox = commands.add_parser(
        "outbox", help="mail waiting to be sent (without SMTP, all mail waits here)"
    )
    outbox.set_defaults(func=cmd_outbox, outbox_command="list", id=None)
    outbox_commands = outbox.add_subparsers(dest="outbox_command")
    outbox_commands.add_parser("list", help="list waiting mail: no addresses, no content")
    show = outbox_commands.add_parser(
        "show", help="print one waiting message in full, with its personal link, to this terminal"
    )
    show.add_argument("id", type=int)
    delete = outbox_commands.add_parser(
        "delete", help="delete one waiting message unsent (e.g. after passing it on by hand)"
    )
    delete.add_argument("id", type=int)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        client_ips = get_settings().log_client_ips
    except ValueError:  # a bad TUPA_ variable: the command reports it when it reads the settings
        client_ips = False
    configure_logging(client_ips=client_ips)
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
