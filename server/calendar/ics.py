"""Building iCalendar files with the icalendar library.

Each session is one VEVENT with a stable UID and a SEQUENCE that grows on every change, so calendar
apps update a moved session in place and show a cancelled one as cancelled rather than twice.
A discreet variant leaves out the group's name: on a calendar shared with an ex-partner, "Separation
support group" can be a safety risk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from server.i18n import Translator
from server.localised import localised
from server.organisation import Organisation
from server.scheduling.series import SessionStatus
from server.storage.tables import SeriesRow, SessionRow

PRODID = "-//Tupa//Tupa peer groups//FI"


def session_uid(session: SessionRow, host: str) -> str:
    return f"tupa-session-{session.id}@{host}"


def build_calendar(
    name: str,
    sessions: Iterable[SessionRow],
    public_url: str,
    now: datetime,
    *,
    summary_for: dict[int, str],
    url: str | None = None,
    description: str = "",
    cancelled: Collection[int] = (),
) -> bytes:
    """An iCalendar file of ``sessions``; ``summary_for`` maps a session id to its event title.
    The ``cancelled`` ids are CANCELLED whatever their status: times the reader gave up."""
    host = urlsplit(public_url).hostname or "tupa.local"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for session in sessions:
        event = Event()
        event.add("uid", session_uid(session, host))
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.starts_at + timedelta(minutes=session.duration_minutes))
        event.add("summary", summary_for[session.id])
        event.add("sequence", session.calendar_sequence)
        off = session.status == SessionStatus.CANCELLED.value or session.id in cancelled
        event.add("status", "CANCELLED" if off else "CONFIRMED")
        if description:
            event.add("description", description)
        if url:
            event.add("url", url)
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical


def session_summary(series: SeriesRow, session: SessionRow, t: Translator, discreet: bool) -> str:
    """The event title in the reader's language where the organisation gave one; a discreet
    one says nothing about the group's subject."""
    if discreet:
        return t.gettext("Group meeting")
    title = localised(series.title_texts, t.language).text
    theme = localised(session.theme_texts, t.language).text
    return f"{title}: {theme}" if theme else title


def individual_summary(series: SeriesRow, t: Translator, discreet: bool) -> str:
    """An individual time's title; a discreet one names no group either."""
    if discreet:
        return t.gettext("Meeting")
    title = localised(series.title_texts, t.language).text
    return t.gettext("Individual session: %(title)s", title=title)


def series_calendar(
    series: SeriesRow,
    org: Organisation,
    now: datetime,
    t: Translator,
    *,
    discreet: bool,
    individual: Sequence[SessionRow] = (),
    released: Sequence[SessionRow] = (),
) -> bytes:
    """Every session of ``series``, the ``individual`` times a parent holds and the ones they
    ``released`` (moved away from or cancelled); cancelled and released ones stay in as
    CANCELLED, under their UID and current SEQUENCE, so apps remove them."""
    summaries = {s.id: session_summary(series, s, t, discreet) for s in series.sessions}
    summaries |= {s.id: individual_summary(series, t, discreet) for s in [*individual, *released]}
    return build_calendar(
        t.gettext("Group meeting") if discreet else localised(series.title_texts, t.language).text,
        [*series.sessions, *individual, *released],
        org.public_url,
        now,
        summary_for=summaries,
        url=None if discreet else org.url(f"/series/{series.id}"),
        cancelled={s.id for s in released},
    )


def staff_calendar(
    staff_name: str, sessions: list[SessionRow], org: Organisation, now: datetime, t: Translator
) -> bytes:
    """A staff member's own sessions across all their series (their private webcal feed)."""
    return build_calendar(
        t.gettext("Tupa: my sessions (%(name)s)", name=staff_name),
        sessions,
        org.public_url,
        now,
        summary_for={
            s.id: individual_summary(s.series, t, False)
            if s.kind == "individual"
            else session_summary(s.series, s, t, False)
            for s in sessions
        },
    )
