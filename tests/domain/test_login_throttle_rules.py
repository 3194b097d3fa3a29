"""The login throttle's rules: who waits, for how long, and how much each failure slows."""

from datetime import UTC, datetime, timedelta

from server.people.throttle_rules import Count, Counter, ThrottleRules

T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
RULES = ThrottleRules(
    failures_per_account_from_address=5,
    failures_per_address=20,
    wait=timedelta(minutes=15),
    delay_per_failure_seconds=0.5,
    max_delay_seconds=4,
)


def counts(**failures: int) -> dict[Counter, Count]:
    return {Counter(name): Count(n, RULES.clears_at(T0)) for name, n in failures.items()}


def test_five_failures_for_an_account_from_one_address_make_that_address_wait():
    assert RULES.waits_until(counts(account_from_address=4, address=4, account=4), T0) is None
    waiting = counts(account_from_address=5, address=5, account=5)
    assert RULES.waits_until(waiting, T0) == T0 + timedelta(minutes=15)


def test_the_wait_ends_when_the_counter_clears():
    waiting = counts(account_from_address=5)
    assert RULES.waits_until(waiting, T0 + timedelta(minutes=14, seconds=59)) is not None
    assert RULES.waits_until(waiting, T0 + timedelta(minutes=15)) is None


def test_failures_for_an_account_from_anywhere_never_make_anyone_wait():
    assert RULES.waits_until(counts(account=10_000), T0) is None


def test_many_failures_from_one_address_make_it_wait_for_every_account():
    assert RULES.waits_until(counts(address=19), T0) is None
    assert RULES.waits_until(counts(address=20), T0) == T0 + timedelta(minutes=15)


def test_each_failure_of_the_address_or_the_account_slows_the_answer_up_to_a_cap():
    assert RULES.delay({}, T0) == 0
    assert RULES.delay(counts(address=1), T0) == 0.5
    assert RULES.delay(counts(account=4, address=1), T0) == 2.0
    assert RULES.delay(counts(account=100), T0) == 4
    assert RULES.delay(counts(account=100), T0 + timedelta(minutes=15)) == 0
