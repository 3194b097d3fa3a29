"""SQLAlchemy 2 rows. These are storage shapes; the rules live in the domain modules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.localised import Texts
from server.storage.types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an account that logs in with a login name instead (a peer volunteer may have no
    # address to give); one of the two is always set (server/people/login_names.py).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    login_name: Mapped[str | None] = mapped_column(String(40))
    # The login name casefolded: unique, so "Aamu" and "aamu" cannot both exist.
    login_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    real_name: Mapped[str] = mapped_column(String(120))
    alias: Mapped[str | None] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The time step of the last two-factor code accepted: a code is refused once its step is used.
    totp_last_step: Mapped[int | None]
    # SHA-256 of the private calendar feed's token (server.people.calendar_feeds); None: no feed.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    deactivated_at: Mapped[datetime | None]  # None while the account is active
    created_at: Mapped[datetime]

    @property
    def active(self) -> bool:
        return self.deactivated_at is None


class StaffSessionRow(Base):
    """One signed-in browser of a staff member. The cookie holds a random id; only its SHA-256
    is kept here, so a copy of the database opens no staff page. No IP address is kept."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    browser: Mapped[str] = mapped_column(String(60))  # coarse: "Firefox / Android"
    # The password was right and a two-factor code is still due: this session opens no page.
    code_due: Mapped[bool]
    next_path: Mapped[str | None] = mapped_column(String(200))  # where the code step goes on to
    # A two-factor secret offered on the security page and not yet confirmed.
    totp_setup: Mapped[str | None] = mapped_column(String(64))


class LoginFailureRow(Base):
    """Failed password or code attempts counted for one key (server.people.throttle). The key is
    a keyed hash of an address, an account or both, so the table holds no IP or e-mail address."""

    __tablename__ = "login_failures"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int]
    clears_at: Mapped[datetime] = mapped_column(index=True)


class RecoveryCodeRow(Base):
    """One unused two-factor recovery code of a staff member: its SHA-256 only. Using it deletes
    it."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))


class StaffPasswordResetRow(Base):
    """A one-time password reset link a coordinator issued for a staff member. The link holds a
    random id; only its SHA-256 is kept. Using it deletes the row; a newer link replaces it."""

    __tablename__ = "staff_password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class StaffSecurityEventRow(Base):
    """One thing that happened to a staff account's access (server.people.security_log): what,
    when, by whom if by someone else, and a coarse browser name for logins. Never a password, a
    code, a token or an IP address."""

    __tablename__ = "staff_security_events"
    __table_args__ = (Index("ix_staff_security_events_staff_at", "staff_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30))
    by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    browser: Mapped[str | None] = mapped_column(String(60))


class ProgramRow(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    # Translations of the Finnish name (server/localised.py); None: not given, Finnish is shown.
    name_sv: Mapped[str | None] = mapped_column(String(160))
    name_en: Mapped[str | None] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text)
    life_situation: Mapped[str] = mapped_column(String(40))
    media_mode: Mapped[str] = mapped_column(String(10))
    session_count: Mapped[int]
    duration_minutes: Mapped[int]
    cadence: Mapped[str] = mapped_column(String(10))
    capacity: Mapped[int]
    min_size: Mapped[int]
    themes: Mapped[list[Any]] = mapped_column(default=list)

    @property
    def name_texts(self) -> Texts:
        return Texts(self.name, self.name_sv, self.name_en)

    @property
    def description_texts(self) -> Texts:
        return Texts(self.description)  # a template's description is given in Finnish only


class SeriesRow(Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    # Swedish and English content, each optional (server/localised.py); None: Finnish is shown.
    # Plain columns rather than one JSON value: bounded like the Finnish ones and readable in SQL.
    title_sv: Mapped[str | None] = mapped_column(String(160))
    title_en: Mapped[str | None] = mapped_column(String(160))
    description_sv: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    life_situation: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int]
    min_size: Mapped[int]
    enrolment_deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="open")
    cadence: Mapped[str] = mapped_column(String(10))
    weekday: Mapped[int]
    nth: Mapped[int] = mapped_column(default=1)
    interval: Mapped[int] = mapped_column(default=1)
    local_time: Mapped[str] = mapped_column(String(5))
    duration_minutes: Mapped[int]
    questions: Mapped[list[Any]] = mapped_column(default=list)
    # Hold a chat message sent anyway after the identifying-details question for a moderator's
    # approval (server/rooms/holding.py); a room reads it when it is loaded.
    identifying_held: Mapped[bool] = mapped_column(default=False)
    # A stage series whose running sessions visitors may join without enrolling
    # (server/enrolment/drop_in.py).
    drop_in: Mapped[bool] = mapped_column(default=False)
    # Shown on the public lists (front page, series list, API); otherwise reachable by its
    # address only (server/scheduling/public_listing.py).
    listed: Mapped[bool] = mapped_column(default=True)
    # An intake: parents enrol and answer the questions, and after its deadline a coordinator
    # composes groups from it (server/scheduling/intakes.py); it has no sessions of its own.
    # ``intake_id``: the intake a group was composed from.
    intake: Mapped[bool] = mapped_column(default=False)
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    calendar_uid: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    # Bumped by every enrolment change: the UPDATE takes the row lock on PostgreSQL and the write
    # lock on SQLite, so seat counting is serialised per series on both.
    lock_version: Mapped[int] = mapped_column(default=0)
    # How many individual times (server/scheduling/individual.py) one parent may hold at once.
    individual_limit: Mapped[int] = mapped_column(default=1)

    program: Mapped[ProgramRow] = relationship(lazy="joined")
    # The series' group sessions only: an individual time (``SessionRow.kind``) belongs to one
    # parent, so every listing, calendar and report that walks this list leaves it out.
    sessions: Mapped[list[SessionRow]] = relationship(
        order_by="SessionRow.starts_at",
        lazy="selectin",
        primaryjoin="and_(SeriesRow.id == SessionRow.series_id, SessionRow.kind == 'group')",
        overlaps="series",
    )
    # An assignment row belongs to its series: dropped from the list, it is deleted, not orphaned
    # with a blank key.
    staff: Mapped[list[SeriesStaffRow]] = relationship(
        lazy="selectin", back_populates="series", cascade="all, delete-orphan"
    )

    @property
    def title_texts(self) -> Texts:
        return Texts(self.title, self.title_sv, self.title_en)

    @property
    def description_texts(self) -> Texts:
        return Texts(self.description, self.description_sv, self.description_en)


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str] = mapped_column(String(200), default="")
    theme_sv: Mapped[str | None] = mapped_column(String(200))
    theme_en: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    media_mode: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="planned")
    calendar_sequence: Mapped[int] = mapped_column(default=0)
    # "group", or "individual": a time a facilitator offered for one parent of the series
    # (server/scheduling/individual.py), whose room only that parent and the staff may enter.
    kind: Mapped[str] = mapped_column(String(10), default="group")
    # The parent holding an individual time; None while it is free (always None for a group one).
    booked_enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL"), index=True
    )

    # Not the other side of ``SeriesRow.sessions``: an individual time has its series too.
    series: Mapped[SeriesRow] = relationship(lazy="joined", overlaps="sessions")

    @property
    def theme_texts(self) -> Texts:
        return Texts(self.theme, self.theme_sv, self.theme_en)


class SeriesStaffRow(Base):
    __tablename__ = "series_staff"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)

    series: Mapped[SeriesRow] = relationship(back_populates="staff")
    member: Mapped[StaffRow] = relationship(lazy="joined")


class EnrolmentRow(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        # One series never shows the same pseudonym twice among the people still in it.
        Index(
            "uq_enrolment_active_pseudonym",
            "series_id",
            "pseudonym_key",
            unique=True,
            sqlite_where=text("status IN ('enrolled', 'waitlisted')"),
            postgresql_where=text("status IN ('enrolled', 'waitlisted')"),
        ),
        Index("ix_enrolments_series_browser", "series_id", "browser_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(40))
    pseudonym_key: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    link_revoked_at: Mapped[datetime | None]
    # The browser the link was swapped for (a hash of its cookie) and until when it holds it;
    # meanwhile the link itself opens nothing (server/enrolment/devices.py).
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    device_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the e-mail address, the answers and the notices were deleted: by the lifetime pass
    # after the series ended, or by an erasure the parent or a coordinator asked for.
    personal_data_deleted_at: Mapped[datetime | None]
    # A visitor who dropped in to a live session without enrolling (server/enrolment/drop_in.py),
    # and a keyed hash of their browser's cookie for this series: how a ban holds for the browser.
    drop_in: Mapped[bool] = mapped_column(default=False)
    browser_key: Mapped[str | None] = mapped_column(String(64))
    # The session a drop-in viewer last joined: their place in it is held from the join, before
    # they enter its room (server/scheduling/drop_in.py counts these against capacity). Sessions
    # already point at enrolments (an individual time's parent): ``use_alter`` breaks the cycle.
    live_session_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "sessions.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_enrolments_live_session_id_sessions",
        ),
        index=True,
    )

    series: Mapped[SeriesRow] = relationship(lazy="joined")


class NoticeRow(Base):
    """Something a parent must be told (a session moved, a seat freed), shown on their page."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """An e-mail waiting to be sent. ``dedupe_key`` makes enqueueing idempotent across instances.

    Recipient, subject and body are ``sealed`` together (server/notify/sealing.py) and deleted
    once the mail is sent or given up; the rest stays for dedupe and for the operator.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    send_after: Mapped[datetime] = mapped_column(index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class RoomRow(Base):
    """The live room of one session: its settings and the last sequence number handed out."""

    __tablename__ = "rooms"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    locked: Mapped[bool] = mapped_column(default=False)
    slow_mode: Mapped[int] = mapped_column(default=0)
    lobby: Mapped[bool] = mapped_column(default=True)
    volunteers_moderate: Mapped[bool] = mapped_column(default=False)
    questions_premoderated: Mapped[bool] = mapped_column(default=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]


class RoomMemberRow(Base):
    """A person's membership of one room. ``peer`` is random, so it links nobody across series."""

    __tablename__ = "room_members"
    __table_args__ = (
        UniqueConstraint("session_id", "enrolment_id"),
        UniqueConstraint("session_id", "staff_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    peer: Mapped[str] = mapped_column(String(32), unique=True)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE")
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    muted_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    admitted_at: Mapped[datetime | None]


class RoomEventRow(Base):
    """A lasting room event. Chat text lives here and nowhere else, so retention purges it here."""

    __tablename__ = "room_events"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        Index(
            "uq_room_event_cid",
            "session_id",
            "actor",
            "cid",
            unique=True,
            sqlite_where=text("cid IS NOT NULL"),
            postgresql_where=text("cid IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]]
    audience: Mapped[dict[str, Any]]
    actor: Mapped[str | None] = mapped_column(String(32))
    cid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class SeriesBanRow(Base):
    """A parent banned from a whole series: their enrolment ended, they never get into its rooms
    again, and a new enrolment with their e-mail address waits for a coordinator's decision.

    ``by_name`` is the name the acting staff member is shown by (a volunteer's alias), never a
    real name they do not show; ``session_id`` is the room the ban was given in, if any.
    """

    __tablename__ = "series_bans"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    by_name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime]


class ModerationLogRow(Base):
    """What moderators did, kept after chat text is purged; names only, never message text."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    # Empty for actions taken outside a room (a ban given or lifted on the series page).
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    actor_name: Mapped[str] = mapped_column(String(60))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))
    target_name: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class PresenceRow(Base):
    """One connection of an admitted person to a room, from welcome to close: attendance facts.

    Several rows of one person may overlap (up to three sockets, reconnects); attendance merges
    them. ``left_at`` stays empty while the socket is open, or when the instance died under it.
    """

    __tablename__ = "room_presence"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("room_members.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]


class AttendanceCorrectionRow(Base):
    """Staff saying by hand whether a parent attended a session. Every correction is kept; the
    newest one counts, so the history shows who changed what and why."""

    __tablename__ = "attendance_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    attended: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(300))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class QuestionnaireRow(Base):
    """A program's feedback form or self-assessment, as its coordinators defined it."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("program_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    questions: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime]


class FeedbackReceiptRow(Base):
    """That a parent has answered a session's feedback: one answer per person per session.

    Kept apart from the answer itself, which carries no link to the person, so nobody (not even
    someone reading the database) can tell who wrote what. No time either: the session says when,
    and a time of answering would order the receipts for anyone matching them to answers.
    """

    __tablename__ = "feedback_receipts"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True
    )


class FeedbackAnswerRow(Base):
    """One anonymous feedback answer to a session. No person, no time and a random id: see
    ``server.evaluation.answers.give_feedback`` for why their order reveals nothing either."""

    __tablename__ = "feedback_answers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    answers: Mapped[dict[str, Any]]


class SelfAssessmentRow(Base):
    """A parent's self-assessment at the start or the end of a series.

    Linked to the enrolment because the report pairs each person's start with their end; only
    aggregates over people who answered both ever leave the database.
    """

    __tablename__ = "self_assessments"
    __table_args__ = (UniqueConstraint("enrolment_id", "moment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    moment: Mapped[str] = mapped_column(String(5))  # "start" or "end"
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    answers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class AccessibilityFeedbackRow(Base):
    """Accessibility feedback sent from the accessibility statement, for coordinators to answer.

    No client address is kept. ``contact`` is what the sender typed so that they can be answered
    (personal data); the row is deleted ``TUPA_ACCESSIBILITY_FEEDBACK_DAYS`` after it is handled.
    """

    __tablename__ = "accessibility_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(5))  # of the page it was sent from
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class FormSendCountRow(Base):
    """How many times one client address sent one public form lately (server/accessibility/
    sending_limit.py). The key is an HMAC of the form and the address: no address is kept."""

    __tablename__ = "form_send_counts"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sends: Mapped[int]
    clears_at: Mapped[datetime] = mapped_column(index=True)


class PeerInvitationRow(Base):
    """A coordinator's invitation to a parent who completed a series to continue as a peer
    volunteer (server/volunteering/invitations.py). Used once: accepted (``volunteer_id`` is the
    account it made), refused, withdrawn or past ``expires_at``. ``enrolment_id`` is the only
    link between the alias and the pseudonym; an erasure of the parent's data cuts it, while the
    series and program stay for the reports' count."""

    __tablename__ = "peer_invitations"
    __table_args__ = (
        # One open invitation per enrolment at a time.
        Index(
            "uq_peer_invitation_open",
            "enrolment_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL"), index=True
    )
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    volunteer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
