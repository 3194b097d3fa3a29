"""What accessibility feedback may hold, how often one address may send it, and what the
statement says of the assessment and the supervisory authority."""

from datetime import UTC, date, datetime, timedelta

import pytest

from server.accessibility.feedback_rules import (
    CONTACT_MAX,
    FEEDBACK_MAX,
    FeedbackDraft,
    SendingLimit,
    read_feedback,
)
from server.accessibility.statement import TUPA_ASSESSED_ON, Assessment, supervisor
from server.errors import ErrorCode, TupaError


def refused_fields(text: str, contact: str = "") -> list[str]:
    with pytest.raises(TupaError) as refused:
        read_feedback(text, contact)
    assert refused.value.code is ErrorCode.INVALID_INPUT
    return list(refused.value.params["fields"])


def test_feedback_keeps_its_lines_and_loses_control_and_reordering_characters():
    draft = read_feedback("  Rivi yksi\r\nrivi\u202ekaksi\x07\tloppu  ", "  040\n123\u2066 4567 ")

    assert draft == FeedbackDraft("Rivi yksi\nrivikaksi\tloppu", "040 123 4567")


def test_a_contact_left_empty_means_the_feedback_is_anonymous():
    assert read_feedback("Hei", "   ").contact is None


def test_feedback_must_say_something_and_stay_within_its_bounds():
    assert read_feedback("x" * FEEDBACK_MAX, "y" * CONTACT_MAX).text == "x" * FEEDBACK_MAX
    assert refused_fields(" \u202e\n ") == ["feedback"]
    assert refused_fields("x" * (FEEDBACK_MAX + 1)) == ["feedback"]
    assert refused_fields("", "y" * (CONTACT_MAX + 1)) == ["feedback", "contact"]


def test_the_sixth_send_in_an_hour_is_one_too_many():
    limit = SendingLimit()
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)

    assert [limit.refuses(n) for n in range(1, 7)] == [False] * 5 + [True]
    assert limit.clears_at(now) == now + timedelta(hours=1)


def test_the_supervisory_authority_is_traficom_with_its_site_in_the_readers_language():
    finnish, swedish, english = supervisor("fi"), supervisor("sv"), supervisor("en")

    assert finnish.website == "https://www.saavutettavuusvaatimukset.fi"
    assert swedish.website == "https://www.tillganglighetskrav.fi"
    assert english.website == "https://www.webaccessibility.fi"
    assert {s.email for s in (finnish, swedish, english)} == {"saavutettavuus@traficom.fi"}
    assert (finnish.phone, english.phone) == ("029 534 5000", "+358 29 534 5000")


def test_an_organisations_own_assessment_replaces_tupas_self_assessment():
    assert Assessment.of(None, "") == Assessment(TUPA_ASSESSED_ON, "")
    assert Assessment.of(date(2027, 2, 1), " Esteetön Oy ") == Assessment(
        date(2027, 2, 1), "Esteetön Oy"
    )


def test_the_demo_shows_an_example_contact_only_where_none_is_configured():
    from pydantic import ValidationError

    from server.settings import DEMO_EMAIL, Settings

    assert Settings(secret_key="k").for_demo().organisation_email == DEMO_EMAIL
    assert DEMO_EMAIL.endswith("@example.org")  # a domain reserved for examples
    own = Settings(secret_key="k", organisation_email="tuki@jarjesto.fi")
    assert own.for_demo().organisation_email == "tuki@jarjesto.fi"
    hidden = Settings(secret_key="k", organisation_email="")
    assert hidden.for_demo().organisation_email == ""
    with pytest.raises(ValidationError):
        Settings(secret_key="k", organisation_email="tuki at jarjesto.fi")
    with pytest.raises(ValidationError):
        Settings(secret_key="k", organisation_phone="call 040")
