"""Which relay takes a room and which relays are alive: the pure rules, without Redis."""

from __future__ import annotations

import json

import pytest

from signaling.relay_rules import (
    Announcement,
    alive,
    beat_interval,
    cascade_after,
    keeps,
    least_loaded,
    packets_per_second,
    parse,
    probe_timeout,
    reachable,
    relay_for_subscriber,
    second_relay,
    unreachable,
)


def relay(name: str, pps: float = 0.0, subscriptions: int = 0, rooms: int = 0) -> Announcement:
    return Announcement(name, f"http://10.0.0.1:8100/{name}", pps, subscriptions, rooms)


def test_a_new_room_goes_to_the_relay_forwarding_the_fewest_packets() -> None:
    busy, quiet = relay("a", pps=25_000, subscriptions=130), relay("b", pps=400, subscriptions=3)
    assert least_loaded([busy, quiet]) == quiet


def test_between_idle_relays_subscriptions_then_rooms_then_the_id_decide() -> None:
    b = relay("b", rooms=5)
    assert least_loaded([relay("a", subscriptions=2), b]) == b
    assert least_loaded([relay("a", rooms=2), relay("b", rooms=1)]) == relay("b", rooms=1)
    assert least_loaded([relay("b"), relay("a")]) == relay("a")  # stable: every instance agrees


def test_no_live_relay_means_no_placement() -> None:
    assert least_loaded([]) is None


def test_a_relay_just_found_dead_is_avoided_unless_it_is_the_only_one() -> None:
    dead, other = relay("a"), relay("b", pps=9_000)
    assert least_loaded([dead, other], avoid=["a"]) == other
    assert least_loaded([dead], avoid=["a"]) == dead


def test_a_relay_is_alive_until_its_ttl_has_passed_since_it_was_last_read() -> None:
    seen = {"a": 100.0, "b": 97.5}
    assert alive(seen, now=100.0, ttl=3.0) == {"a", "b"}
    assert alive(seen, now=100.6, ttl=3.0) == {"a"}
    assert alive(seen, now=103.0, ttl=3.0) == set()


def test_an_announced_relay_is_reachable_while_it_answered_within_its_ttl() -> None:
    announced = {"a": 100.0, "b": 100.0}
    answered = {"a": 99.0, "b": 96.9}
    assert reachable(announced, answered, now=100.0, ttl=3.0) == {"a"}
    # A probe or two that go unanswered change nothing until the TTL has passed.
    assert reachable(announced, answered, now=101.9, ttl=3.0) == {"a"}
    assert reachable(announced, answered, now=102.0, ttl=3.0) == set()


def test_a_relay_that_never_answered_is_not_reachable_however_fresh_its_announcement() -> None:
    assert reachable({"new": 100.0}, {}, now=100.0, ttl=3.0) == set()
    assert reachable({"new": 100.0}, {"new": 100.1}, now=100.1, ttl=3.0) == {"new"}


def test_a_relay_that_answers_but_stopped_announcing_is_not_reachable() -> None:
    assert reachable({"gone": 96.0}, {"gone": 100.0}, now=100.0, ttl=3.0) == set()


def test_a_relay_counts_as_unreachable_once_a_ttl_passed_without_an_answer() -> None:
    announced = {"a": 100.0, "b": 100.0, "new": 100.0}
    answered = {"a": 99.0, "b": 96.9}
    first = {"a": 90.0, "b": 90.0, "new": 99.5}
    # "new" has had less than a TTL to start listening: not reachable, not yet unreachable.
    assert unreachable(announced, answered, first, now=100.0, ttl=3.0) == {"b"}
    assert unreachable(announced, answered, first, now=102.5, ttl=3.0) == {"a", "b", "new"}
    assert unreachable({"gone": 90.0}, {}, {"gone": 80.0}, now=100.0, ttl=3.0) == set()


def test_a_probe_waits_at_most_a_second_and_never_past_half_a_ttl() -> None:
    assert probe_timeout(2.0) == 1.0
    assert probe_timeout(10.0) == 1.0
    assert probe_timeout(0.5) == 0.25


def test_a_room_stays_on_its_relay_while_that_relay_lives() -> None:
    assert keeps("a", {"a", "b"})
    assert not keeps("a", {"b"})
    assert not keeps(None, {"a"})


def test_a_relay_beats_several_times_per_ttl() -> None:
    assert beat_interval(2.0) == 0.5


def test_the_packet_rate_is_the_counters_difference_over_time() -> None:
    assert packets_per_second((1_000, 10.0), (26_000, 11.0)) == 25_000
    assert packets_per_second((1_000, 10.0), (1_000, 10.0)) == 0  # no time: no rate
    assert packets_per_second((5_000, 10.0), (10, 12.0)) == 0  # never negative


def test_an_announcement_survives_the_trip_through_redis() -> None:
    original = relay("r-1", pps=1234.5, subscriptions=7, rooms=2)
    assert parse(original.to_json().encode()) == original


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b"x" * 3000,
        json.dumps(
            {
                "relay": "a b",
                "url": "http://x",
                "packets_per_second": 1,
                "subscriptions": 0,
                "rooms": 0,
            }
        ),
        json.dumps(
            {
                "relay": "a",
                "url": "ftp://x",
                "packets_per_second": 1,
                "subscriptions": 0,
                "rooms": 0,
            }
        ),
        json.dumps(
            {
                "relay": "a",
                "url": "http://x",
                "packets_per_second": "1",
                "subscriptions": 0,
                "rooms": 0,
            }
        ),
        json.dumps(
            {
                "relay": "a",
                "url": "http://x",
                "packets_per_second": 1,
                "subscriptions": -1,
                "rooms": 0,
            }
        ),
        json.dumps(
            {
                "relay": "a",
                "url": "http://x",
                "packets_per_second": 1,
                "subscriptions": True,
                "rooms": 0,
            }
        ),
        json.dumps({"relay": "a", "url": "http://x", "packets_per_second": 1, "subscriptions": 0}),
        '{"relay": "a", "url": "http://x", "packets_per_second": NaN, "subscriptions": 0, '
        '"rooms": 0}',
    ],
)
def test_a_malformed_announcement_is_ignored(data: bytes | str) -> None:
    assert parse(data) is None


def test_a_room_cascades_past_its_share_of_one_relay() -> None:
    assert cascade_after(130, 0.5) == 65
    assert cascade_after(3, 0.1) == 1  # at least one viewer on the first relay


def test_new_subscribers_go_to_the_second_relay_once_the_first_serves_its_share() -> None:
    served = {"v1": "a", "v2": "a", "v3": "b"}
    assert relay_for_subscriber(served, "a", "b", limit=3) == "a"
    assert relay_for_subscriber(served, "a", "b", limit=2) == "b"
    assert relay_for_subscriber(served, "a", None, limit=2) == "a"  # no second: the first


def test_a_rooms_second_relay_is_the_least_loaded_other_one() -> None:
    first, busy, quiet = relay("a"), relay("b", pps=900), relay("c", pps=10)
    assert second_relay([first, busy, quiet], "a") == quiet
    assert second_relay([first], "a") is None
