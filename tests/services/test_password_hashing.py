"""Staff passwords are kept as Argon2id hashes at RFC 9106's second recommended parameters (the
rest of the suite hashes cheaply, see ``cheap_password_hashing`` in tests/conftest.py)."""

import pytest
from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from server.people import passwords

pytestmark = pytest.mark.real_password_hashing


def test_a_password_is_hashed_with_argon2id_at_the_rfc_9106_low_memory_cost():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == RFC_9106_LOW_MEMORY
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")


def test_an_unknown_address_is_checked_against_a_hash_of_the_same_cost():
    """So that a wrong address takes as long to refuse as a wrong password."""
    assert extract_parameters(passwords._DUMMY_HASH) == RFC_9106_LOW_MEMORY
    assert not passwords.verify_password(None, "not-a-real-password-for-timing")
