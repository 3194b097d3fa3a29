"""Who may be invited to continue as a peer volunteer, when an invitation stands, which alias
gives the pseudonym away, and how a login name is told from an e-mail address."""

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import ErrorCode, TupaError
from server.people.login_names import clean_login_name, is_email, login_key
from server.volunteering.invitation_rules import (
    VALID_FOR,
    InvitationStatus,
    alias_gives_away,
    may_invite,
    shown_status,
    stands,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LATER = NOW + VALID_FOR


def test_an_invitation_stands_until_it_expires_and_only_while_open():
    assert stands("open", LATER, NOW)
    assert not stands("open", LATER, LATER)
    for closed in ("accepted", "refused", "withdrawn", "expired"):
        assert not stands(closed, LATER, NOW)
    assert shown_status("open", NOW, NOW) is InvitationStatus.EXPIRED
    assert shown_status("refused", NOW, NOW) is InvitationStatus.REFUSED


@pytest.mark.parametrize(
    ("completed", "status", "erased", "earlier", "allowed"),
    [
        (True, "enrolled", False, [], True),
        (False, "enrolled", False, [], False),
        (True, "withdrawn", False, [], False),
        (True, "banned", False, [], False),
        (True, "enrolled", True, [], False),
        (True, "enrolled", False, [("open", LATER)], False),
        (True, "enrolled", False, [("open", NOW)], True),  # expired unanswered
        (True, "enrolled", False, [("refused", LATER)], True),
        (True, "enrolled", False, [("withdrawn", LATER)], True),
        (True, "enrolled", False, [("accepted", NOW - timedelta(days=99))], False),
    ],
)
def test_who_may_be_invited(completed, status, erased, earlier, allowed):
    assert may_invite(completed, status, erased, earlier, NOW) is allowed


def test_an_alias_that_is_the_pseudonym_in_any_case_or_spacing_gives_it_away():
    assert alias_gives_away(" kaisla ", "Kaisla")
    assert alias_gives_away("Meri  Tuuli", "meri tuuli")
    assert not alias_gives_away("Aamu", "Kaisla")


def test_a_login_name_is_kept_as_typed_and_compared_without_case():
    assert clean_login_name("  Äiti.Kumppani ") == "Äiti.Kumppani"
    assert login_key("Äiti.Kumppani") == login_key("äITI.kumppani")
    assert is_email("aamu@example.org") and not is_email("aamu.kumppani")


@pytest.mark.parametrize(
    "typed", ["ab", "a" * 41, "with space", "bidi\u202ename", "semi;colon", "ß" * 21]
)
def test_a_login_name_outside_the_rule_is_refused(typed):
    with pytest.raises(TupaError) as refused:
        clean_login_name(typed)
    assert refused.value.code is ErrorCode.INVALID_INPUT
    assert refused.value.params == {"field": "login"}
