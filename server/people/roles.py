"""Staff roles and the name each role shows to others (pure)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    FACILITATOR = "facilitator"
    VOLUNTEER = "volunteer"


def public_name(role: Role, real_name: str, alias: str | None) -> str:
    """The name shown to anyone who is not a coordinator.

    A volunteer is only ever shown by alias: volunteers in the source material took part only once
    they could change their name. Other staff may also choose an alias.
    """
    if alias:
        return alias
    if role is Role.VOLUNTEER:
        # A volunteer without an alias must not fall back to the real name.
        raise ValueError("a volunteer needs an alias")
    return real_name
