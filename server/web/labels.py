"""Translatable labels for the domain's enumerations, as people read them."""

from __future__ import annotations

from server.i18n import N_
from server.people.security_log import SecurityEvent
from server.scheduling.series import LifeSituation, MediaMode

LIFE_SITUATION_LABELS: dict[LifeSituation, str] = {
    LifeSituation.SEPARATION: N_("Separation and parenting after it"),
    LifeSituation.BABY: N_("Expecting a baby or a baby in the family"),
    LifeSituation.UNDER_SCHOOL_AGE: N_("Family with a child under school age"),
    LifeSituation.SCHOOL_AGE: N_("Family with a school-age child"),
    LifeSituation.CHILD_PROTECTION: N_("Child-protection client families"),
    LifeSituation.WELLBEING: N_("Emotions, coping and everyday life"),
}

MEDIA_MODE_LABELS: dict[MediaMode, str] = {
    MediaMode.CHAT: N_("Group chat (text only)"),
    MediaMode.GROUP: N_("Video group (everyone may use camera and microphone)"),
    MediaMode.STAGE: N_("Live session (speakers on video, audience asks in chat)"),
}

ROLE_LABELS: dict[str, str] = {
    "parent": N_("Parent"),
    "coordinator": N_("Coordinator"),
    "facilitator": N_("Facilitator"),
    "volunteer": N_("Volunteer"),
}

STATUS_LABELS: dict[str, str] = {
    "open": N_("Enrolment open"),
    "confirmed": N_("Confirmed"),
    "cancelled": N_("Cancelled"),
    "planned": N_("Planned"),
    "enrolled": N_("Enrolled"),
    "waitlisted": N_("On the waiting list"),
    "withdrawn": N_("Cancelled by the parent"),
    "removed": N_("Removed by the organiser"),
    "banned": N_("Banned from the series"),
    # Shown to the parent too: it must not hint at the ban the enrolment matched.
    "pending_review": N_("Being processed"),
    "refused": N_("Not accepted"),
    "drop_in": N_("Dropped in to a live session"),
}


MODERATION_LABELS: dict[str, str] = {
    "lobby_admitted": N_("admitted from the lobby"),
    "lobby_denied": N_("refused entry"),
    "deleted_message": N_("deleted a message"),
    "muted": N_("muted"),
    "removed": N_("removed from the session"),
    "banned": N_("banned from the series"),
    "unbanned": N_("lifted the ban of"),
    "report": N_("reported a message"),
    "room_open": N_("opened the room"),
    "room_ended": N_("ended the session"),
    "locked": N_("locked or unlocked the room"),
    "slow_mode": N_("changed slow mode"),
    "lobby": N_("turned the lobby on or off"),
    "volunteers_moderate": N_("changed whether volunteers may moderate"),
    "mic_stopped": N_("stopped the microphone of"),
    "mic_allowed": N_("allowed the microphone of"),
    "camera_stopped": N_("stopped the camera of"),
    "camera_allowed": N_("allowed the camera of"),
    "warning_overridden": N_("sent identifying details after a warning"),
    "need_to_talk_pending": N_("asked a facilitator for a word"),
    "need_to_talk_withdrawn": N_("took back the wish to talk"),
    "need_to_talk_answered": N_("answered privately the wish to talk of"),
    "held": N_("sent a message held for approval"),
    "held_approved": N_("approved the held message of"),
    "held_rejected": N_("rejected the held message of"),
}


# What the room asked about before a post (server/rooms/identifying.py), in the moderation log.
IDENTIFYING_LABELS: dict[str, str] = {
    "phone": N_("a phone number"),
    "email": N_("an e-mail address"),
    "personal_id": N_("a personal identity code"),
    "street_address": N_("a street address"),
    "bank_account": N_("a bank account"),
    "business_id": N_("a business ID"),
}


# A security log line, as a coordinator reads it (server/people/security_log.py).
SECURITY_EVENT_LABELS: dict[SecurityEvent, str] = {
    SecurityEvent.LOGIN: N_("Login"),
    SecurityEvent.LOGIN_FAILED: N_("Wrong password at login"),
    SecurityEvent.CODE_FAILED: N_("Wrong two-factor code at login"),
    SecurityEvent.LOGOUT: N_("Logout"),
    SecurityEvent.SESSION_ENDED: N_("Ended one of their sessions"),
    SecurityEvent.ALL_SESSIONS_ENDED: N_("Ended all their sessions"),
    SecurityEvent.PASSWORD_CHANGED: N_("Changed their password"),
    SecurityEvent.RESET_LINK_ISSUED: N_("Password reset link made"),
    SecurityEvent.PASSWORD_RESET: N_("New password set with a reset link"),
    SecurityEvent.DEACTIVATED: N_("Account deactivated"),
    SecurityEvent.ACTIVATED: N_("Account reactivated"),
    SecurityEvent.TWO_FACTOR_ON: N_("Two-factor authentication turned on"),
    SecurityEvent.TWO_FACTOR_OFF: N_("Two-factor authentication turned off"),
    SecurityEvent.RECOVERY_CODE_USED: N_("Logged in with a recovery code"),
    SecurityEvent.RECOVERY_CODES_NEW: N_("New recovery codes made"),
}
