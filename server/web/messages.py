"""Human messages for error codes and form fields, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from server.errors import ErrorCode
from server.i18n import N_, Translator
from server.localised import TRANSLATED

ERROR_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_INPUT: N_("Please check the highlighted fields."),
    ErrorCode.REQUEST_TOO_LARGE: N_("The request was too large."),
    ErrorCode.NOT_FOUND: N_("We could not find that page."),
    ErrorCode.CSRF_FAILED: N_("The form had expired. Please try again."),
    ErrorCode.LOGIN_REQUIRED: N_("Please log in first."),
    ErrorCode.FORBIDDEN: N_("You do not have access to this page."),
    ErrorCode.LOGIN_FAILED: N_("Wrong login name, e-mail address or password."),
    ErrorCode.TOO_MANY_ATTEMPTS: N_(
        "Too many failed attempts from this connection. Wait a while and try again."
    ),
    ErrorCode.TOTP_REQUIRED: N_("Enter the code from your authenticator app."),
    ErrorCode.TOTP_INVALID: N_("The code was not correct."),
    ErrorCode.SERIES_NOT_OPEN: N_("This group is not open for enrolment."),
    ErrorCode.ENROLMENT_CLOSED: N_("Enrolment for this group has closed."),
    ErrorCode.ALREADY_WITHDRAWN: N_("This enrolment has already ended."),
    ErrorCode.LINK_REVOKED: N_(
        "This personal link no longer works. Contact the organiser for a new one."
    ),
    ErrorCode.SESSION_CANCELLED: N_("This session is cancelled."),
    ErrorCode.SESSION_IN_PAST: N_("A session cannot be moved into the past."),
    ErrorCode.SERIES_CANCELLED: N_("This group has been cancelled."),
    ErrorCode.EMAIL_TAKEN: N_("An account with this e-mail address already exists."),
    ErrorCode.LOGIN_NAME_TAKEN: N_("This login name is taken. Choose another."),
    ErrorCode.PSEUDONYM_TAKEN: N_(
        "Someone in this group already uses that name. Please choose another pseudonym."
    ),
    ErrorCode.ALREADY_ANSWERED: N_("You have already answered this. Thank you!"),
    ErrorCode.QUESTIONNAIRE_LOCKED: N_(
        "Answers to this questionnaire exist already, so its questions can no longer be removed"
        " or have their answer type, scale or meaning changed. You can still fix typing mistakes"
        " and add new questions."
    ),
    ErrorCode.NOT_YET_OPEN: N_("This questionnaire is not open for you now."),
    ErrorCode.LAST_COORDINATOR: N_(
        "The last active coordinator cannot be deactivated. Add or reactivate another coordinator"
        " first."
    ),
    ErrorCode.LINK_NEEDED: N_(
        "This device no longer remembers you. Open your personal link again: it is in the e-mail"
        " you got when you enrolled."
    ),
    ErrorCode.LINK_IN_USE: N_(
        'This personal link is already open in another browser or device. Choose "Forget this'
        ' device" there, or try again later: the link works again once it has not been used'
        " for a while."
    ),
    ErrorCode.PASSWORD_TOO_COMMON: N_(
        "That password is among the most common ones, or it is your own name or e-mail address:"
        " it would be guessed first. Choose another; a few unrelated words make a good password."
    ),
    ErrorCode.PASSWORDS_DIFFER: N_("The new password and its repetition were not the same."),
    ErrorCode.RESET_LINK_INVALID: N_(
        "This password reset link no longer works: it has been used, a newer one was made, or"
        " more than 24 hours have passed. Ask a coordinator for a new link."
    ),
    ErrorCode.TOO_MANY_SENDS: N_(
        "This form has been sent many times from your connection in a short while. Please try"
        " again in an hour."
    ),
    ErrorCode.LIVE_NOT_RUNNING: N_(
        "The live session is not on now. You can join it here once a facilitator has opened it."
    ),
    ErrorCode.LIVE_FULL: N_("The live session is full. Please try again in a while."),
    ErrorCode.LIVE_REFUSED: N_("You cannot join this group's live sessions from this browser."),
    ErrorCode.PEER_INVITATION_NOT_ALLOWED: N_(
        "Only a parent who completed a series that has ended can be invited, once at a time."
    ),
    ErrorCode.PEER_INVITATION_CLOSED: N_(
        "This invitation no longer stands: it was answered, withdrawn or has expired."
    ),
    ErrorCode.TIME_TAKEN: N_("Someone else booked this time a moment ago. Please choose another."),
    ErrorCode.BOOKING_LIMIT: N_(
        "You already have as many individual times booked as this group allows. Move or cancel"
        " one of them instead."
    ),
    ErrorCode.PLACES_CHANGED: N_(
        "The group's free places or the waiting list changed a moment ago (someone else may have"
        " placed a parent). Please open the intake's page again and choose once more."
    ),
}

# What is wrong with one answer or one question of a questionnaire (``params["problem"]``).
ANSWER_PROBLEM_MESSAGES: dict[str, str] = {
    "missing_answer": N_("Please answer this question."),
    "out_of_range": N_("Choose one of the options."),
    "wrong_type": N_("Choose one of the options."),
    "too_long": N_("The answer is too long (at most 2000 characters)."),
    "unknown_question": N_("The form was out of date. Please reload the page."),
    "question_count": N_("A questionnaire has 1–15 questions."),
    "question_text": N_("Each question needs 1–300 characters."),
    "question_key": N_("The form was out of date. Please reload the page."),
    "duplicate_key": N_("The form was out of date. Please reload the page."),
    "scale_range": N_("Choose a scale."),
    "text_in_self_assessment": N_("A self-assessment has scale questions only."),
}

FIELD_MESSAGES: dict[str, str] = {
    "pseudonym": N_("Use 2–40 characters, none of them invisible. Do not use your real name."),
    "email": N_("Enter a valid e-mail address, or leave the field empty."),
    "title": N_("Use 3–160 characters."),
    "description": N_("The description is too long."),
    "program_id": N_("Choose a program."),
    "life_situation": N_("Choose a life situation."),
    "cadence": N_("Choose how often the group meets."),
    "weekday": N_("Choose a weekday."),
    "nth": N_("Choose which week of the month."),
    "local_time": N_("Enter a time such as 18:00."),
    "first_on": N_("Enter a date in the future (the first session must be ahead)."),
    "session_count": N_("Enter a number of sessions between 1 and 52."),
    "duration_minutes": N_("Enter a duration between 15 and 360 minutes."),
    "media_mode": N_("Choose how the sessions meet."),
    "themes": N_("At most 52 themes of at most 200 characters each."),
    "capacity": N_("Enter a capacity between 1 and 200."),
    "min_size": N_("The minimum must be at least 1 and at most the capacity."),
    "enrolment_deadline": N_(
        "The enrolment deadline must be in the future and before the first session."
    ),
    "questions": N_("At most 5 questions, each with at most 10 options."),
    "staff_ids": N_("Choose facilitators and volunteers from the list."),
    "theme": N_("At most 200 characters."),
    "individual_limit": N_("Enter a number between 1 and 10."),
    "start": N_("Choose a time in the future. At most 20 times can be on offer at once."),
    "time": N_("Enter a time such as 16:00."),
    # The Swedish and English content of a series (server/scheduling/content.py): optional.
    **{
        f"{name}_{lang}": message
        for lang in TRANSLATED
        for name, message in [
            ("title", N_("Use 3–160 characters, or leave the field empty.")),
            ("description", N_("The description is too long.")),
            ("themes", N_("At most 52 themes of at most 200 characters each.")),
            ("theme", N_("At most 200 characters.")),
        ]
    },
    "date": N_("Enter a valid date."),
    "real_name": N_("Use 1–120 characters, none of them invisible."),
    "alias": N_("A volunteer needs an alias of 2–60 characters, none of them invisible."),
    "password": N_("Use 10–256 characters."),
    "role": N_("Choose a role."),
    "code": N_("Enter the six-digit code."),
    "answer": N_("Please answer this question."),
    "feedback": N_("Write your feedback: at most 2000 characters."),
    "contact": N_("At most 200 characters."),
    "alias_is_pseudonym": N_(
        "Choose an alias other than your pseudonym in this group: it would tell the others who"
        " you are."
    ),
    "login": N_(
        "Enter an e-mail address, or a login name of 3–40 letters, digits, dots, hyphens or"
        " underscores."
    ),
}

# A field refused for a reason other than its form: the field says that reason, not the form rule
# (a taken pseudonym is not one of the wrong length).
FIELD_REFUSAL_MESSAGES: dict[tuple[str, str], str] = {
    ("pseudonym", ErrorCode.PSEUDONYM_TAKEN): N_("This pseudonym is already taken in this group."),
    ("email", ErrorCode.EMAIL_TAKEN): N_("This e-mail address already has an account."),
    ("login", ErrorCode.EMAIL_TAKEN): N_("This e-mail address already has an account."),
    ("login", ErrorCode.LOGIN_NAME_TAKEN): N_("This login name is taken. Choose another."),
    ("password", ErrorCode.PASSWORDS_DIFFER): N_(
        "The new password and its repetition were not the same."
    ),
    ("password", ErrorCode.PASSWORD_TOO_COMMON): N_(
        "Too common or too easy to guess. Choose another password."
    ),
}


# The error page's heading where "Something went wrong" would mislead: nothing is broken, the
# person has a step to take.
ERROR_HEADINGS: dict[ErrorCode, str] = {
    ErrorCode.LINK_NEEDED: N_("Open your personal link"),
    ErrorCode.LINK_IN_USE: N_("Your link is open on another device"),
}
SOMETHING_WENT_WRONG = N_("Something went wrong")


def error_heading(t: Translator, code: ErrorCode) -> str:
    return t.gettext(ERROR_HEADINGS.get(code, SOMETHING_WENT_WRONG))


def error_message(
    t: Translator, code: ErrorCode, params: Mapping[str, object] | None = None
) -> str:
    """The message for ``code``; a refused link also says after how many hours it works again."""
    hours = (params or {}).get("idle_hours")
    if code is ErrorCode.LINK_IN_USE and isinstance(hours, int):
        return t.ngettext(
            'This personal link is already open in another browser or device. Choose "Forget'
            ' this device" there, or ask the organiser for a new link. Otherwise the link works'
            " here again once it has been unused for %(num)s hour.",
            'This personal link is already open in another browser or device. Choose "Forget'
            ' this device" there, or ask the organiser for a new link. Otherwise the link works'
            " here again once it has been unused for %(num)s hours.",
            hours,
        )
    return t.gettext(ERROR_MESSAGES[code])


def field_message(t: Translator, field: str, code: str | None = None) -> str:
    """What is wrong with ``field``: the reason ``code`` (an ``ErrorCode``) refused it where it
    has its own words, else the field's rule. Question keys (q1, q2 …) share one message."""
    refusal = FIELD_REFUSAL_MESSAGES.get((field, code)) if code else None
    if refusal:
        return t.gettext(refusal)
    key = "answer" if field.startswith("q") and field[1:].isdigit() else field
    return t.gettext(FIELD_MESSAGES.get(key, ERROR_MESSAGES[ErrorCode.INVALID_INPUT]))


ROOM_ERROR_MESSAGES: dict[str, str] = {
    "bad_frame": N_("The app sent something the room did not understand."),
    "too_long": N_("The message is too long."),
    "not_allowed": N_("You cannot do that here."),
    "not_admitted": N_("Wait until a facilitator lets you in."),
    "muted": N_("A facilitator has muted you for a while."),
    "slow_mode": N_("Slow mode is on: wait a moment before your next message."),
    "rate_limited": N_("Too many messages too quickly. Wait a moment."),
    "unknown_peer": N_("That person is not in the room."),
    "unknown_message": N_("That message is no longer there."),
    "room_not_open": N_("The room is not open."),
    "wrong_mode": N_("That is not available in this session."),
    "duplicate": N_("You have already done that."),
    "media_stopped": N_("A facilitator has stopped your microphone or camera."),
    "bad_sdp": N_(
        "Your browser's video connection could not be used. Try again or reload the page."
    ),
    "relay_unavailable": N_("Video is not available right now. The chat works; try again soon."),
    "invalid_text": N_(
        "The text contains characters that cannot be sent. Remove them and try again."
    ),
    "invalid_frame": N_("The app sent something the room could not read. Reload the page."),
    "bad_candidate": N_(
        "Your browser sent connection details for video that could not be used. Reload the page."
    ),
    "not_stored": N_("The room could not save that just now. Try again in a moment."),
}


def room_error_message(t: Translator, code: str) -> str:
    """The translated text of a room ``error`` frame."""
    return t.gettext(ROOM_ERROR_MESSAGES.get(code, ROOM_ERROR_MESSAGES["bad_frame"]))
