"""What the log handler masks, withholds and drops, line by line (server/logs.py) and in the
access log's paths (server/web/access_log.py)."""

import io
import logging

import pytest

from server.enrolment.links import new_link_token
from server.logs import configure_logging, describe_exception, redact, remove_logging
from server.web.access_log import masked_path

TOKEN = new_link_token()


def test_a_personal_link_anywhere_in_a_line_is_masked():
    line = f"opened http://tupa.example/me/{TOKEN}/feedback/3 ({TOKEN})"
    assert redact(line) == "opened http://tupa.example/me/[token]/feedback/3 ([token])"


def test_a_link_or_token_query_parameter_is_masked_whatever_its_length():
    assert redact("/ws/rooms/4?link=abc&x=1") == "/ws/rooms/4?link=[token]&x=1"
    assert redact("/calendar?token=short") == "/calendar?token=[token]"


def test_an_email_address_is_masked():
    assert redact("to mina.virtanen+tupa@example.fi: hello") == "to [e-mail]: hello"


def test_names_in_a_traceback_stay_readable():
    line = 'File "/srv/server/scheduling/reminders.py", line 91, in enqueue_due_reminders'
    assert redact(line) == line
    assert redact("2026-10-12 09:00:00,123 INFO tupa.access: GET /me/{token} 200 3ms") == (
        "2026-10-12 09:00:00,123 INFO tupa.access: GET /me/{token} 200 3ms"
    )


def fail_with(message: str) -> BaseException:
    try:
        try:
            raise KeyError(message)
        except KeyError as cause:
            raise ValueError(f"could not store {message}") from cause
    except ValueError as error:
        return error


def test_an_exception_keeps_its_stack_and_type_but_not_its_message():
    described = describe_exception(fail_with("Mina's message"))
    assert "Mina" not in described
    assert "KeyError (message withheld" in described
    assert "ValueError (message withheld" in described
    assert "which led to:" in described
    assert "in fail_with" in described


def test_an_operating_system_error_keeps_its_message_for_the_operator():
    described = describe_exception(ConnectionRefusedError(111, "Connect call failed"))
    assert "ConnectionRefusedError: [Errno 111] Connect call failed" in described


def test_the_installed_handler_masks_messages_and_withholds_exception_text():
    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        log = logging.getLogger("tupa.test")
        log.info("mail to %s with /me/%s", "mina@example.fi", TOKEN)
        name = " ".join(["Mina", "Virtanen"])  # a value, not this file's source line
        try:
            raise RuntimeError(f"insert failed for {name}")
        except RuntimeError:
            log.exception("storing failed")
    finally:
        remove_logging(handler)
    written = stream.getvalue()
    assert "mail to [e-mail] with /me/[token]" in written
    assert "storing failed" in written
    assert "RuntimeError (message withheld" in written
    for secret in (TOKEN, "mina@example.fi", "Mina Virtanen"):
        assert secret not in written


def test_uvicorns_websocket_handshake_lines_are_dropped():
    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        uvicorn = logging.getLogger("uvicorn.error")
        uvicorn.info('%s - "WebSocket %s" [accepted]', "203.0.113.7:5000", "/ws/rooms/1?link=x")
        uvicorn.info("Application startup complete.")
    finally:
        remove_logging(handler)
    assert stream.getvalue().count("\n") == 1
    assert "Application startup complete." in stream.getvalue()


def test_ip_addresses_other_than_loopback_are_masked_unless_client_ips_are_allowed():
    line = "pair ('192.168.1.5', 5000) -> ('203.0.113.7', 6000) via 2001:db8::7; on 127.0.0.1"
    assert redact(line) == "pair ('[ip]', 5000) -> ('[ip]', 6000) via [ip]; on 127.0.0.1"
    assert redact(line, client_ips=True) == line
    assert redact("2026-10-12 09:00:00,123 0.0.0.0:8000") == "2026-10-12 09:00:00,123 0.0.0.0:8000"


def test_the_ice_librarys_lines_about_candidate_pairs_are_not_written():
    stream = io.StringIO()
    handler = configure_logging(stream, client_ips=True)
    try:
        logging.getLogger("aioice.ice").info("Check CandidatePair(('203.0.113.7', 6000))")
        logging.getLogger("aioice.ice").warning("ICE failed")
    finally:
        remove_logging(handler)
    assert "203.0.113.7" not in stream.getvalue()
    assert "ICE failed" in stream.getvalue()


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/me/{TOKEN}/nowhere", "/me/{masked}/nowhere"),
        (f"/calendar/staff/{TOKEN}.ics", "/calendar/staff/{masked}"),
        ("/series/12/enrol", "/series/12/enrol"),
        ("/static/js/room-model.js", "/static/js/room-model.js"),
        ("/x/mina@example.fi", "/x/{masked}"),
        ("/x/mina%40example.fi", "/x/{masked}"),
        ("/a\nforged line", "/a?forged?line"),
    ],
    ids=lambda value: value.replace(TOKEN, "{token}"),  # the same names in every process
)
def test_a_path_no_route_matched_is_logged_with_secret_looking_segments_masked(path, shown):
    assert masked_path(path) == shown


def test_a_token_without_a_single_digit_is_masked_too():
    token = "fgxxnLMhjMHZlBQnVjwktEDLqUOcHijcAAamyeE_GlI"  # one link in about 1,400 looks so
    assert token not in redact(f"GET /me/{token} and {token}")
    assert "test_client_addresses_are_logged_only_when_the_setting_says" in redact(
        "in test_client_addresses_are_logged_only_when_the_setting_says"
    ), "a snake_case name in a traceback stays readable"
