"""A new staff password is long enough and none of the most common passwords, the person's own
e-mail address or name; the list ships with Tupa, with its source and licence."""

from importlib.resources import files

import pytest

from server.errors import ErrorCode, TupaError
from server.people.password_policy import MAX_LENGTH, MIN_LENGTH, common_passwords, refuse_weak


def refusal(password: str, **context: str) -> TupaError:
    with pytest.raises(TupaError) as refused:
        refuse_weak(password, **context)
    return refused.value


def test_the_shipped_list_holds_the_common_passwords_lowercased_with_its_licence_beside_it():
    listed = common_passwords()
    assert len(listed) > 19_000
    assert {"123456", "password", "qwertyuiop", "1234567890"} <= listed
    assert all(p == p.lower() for p in listed)
    notice = files("server.people").joinpath("common_passwords.NOTICE").read_text()
    assert "Django Software Foundation" in notice and "Redistribution and use" in notice


@pytest.mark.parametrize("length", [0, 1, MIN_LENGTH - 1, MAX_LENGTH + 1])
def test_a_password_outside_10_to_256_characters_is_refused_for_its_field(length):
    error = refusal(("kq8Zv" * 60)[:length])
    assert error.code is ErrorCode.INVALID_INPUT and error.params == {"field": "password"}


@pytest.mark.parametrize(
    "password", ["qwertyuiop", "1234567890", "Password123", "  PASSWORD1234  ", "pass word 123"]
)
def test_a_common_password_is_refused_whatever_its_case_spaces_or_length(password):
    assert refusal(password).code is ErrorCode.PASSWORD_TOO_COMMON


@pytest.mark.parametrize(
    "password", ["olli.ohjaaja@example.org", "OLLI.OHJAAJA", "Olli Ohjaaja", "olliohjaaja"]
)
def test_the_persons_own_email_address_or_name_is_refused(password):
    error = refusal(password, email="olli.ohjaaja@example.org", real_name="Olli Ohjaaja")
    assert error.code is ErrorCode.PASSWORD_TOO_COMMON


@pytest.mark.parametrize(
    "password", ["correct horse battery", "kahvi ja korvapuusti", "9kesäk-Oulu", "ä" * MAX_LENGTH]
)
def test_a_long_enough_uncommon_password_is_accepted(password):
    refuse_weak(password, email="olli.ohjaaja@example.org", real_name="Olli Ohjaaja")
