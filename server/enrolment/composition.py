"""Composing the groups of an intake: a proposed split that keeps similar answers together (pure).

*Minä, tunteet ja taidot* puts its groups together so that members have enough in common (the
children's age, the situation). Given the people of an intake, the questions the coordinator
picked (in order of importance) and the group bounds, ``propose`` returns a split where every
person is placed exactly once and every group holds between the minimum and the capacity, or
the reason no split fits.

How: people are sorted by their answers, most important question first; the sorted line is cut
into contiguous groups by dynamic programming (the cut with the fewest unlike pairs among all
cuts within the bounds); then single moves and swaps between groups are kept while they lower
the count further. Everything is ordered by the person's id, so the same intake gives the same
proposal every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

NO_ANSWER = ""  # an unanswered (or erased) question counts as an answer of its own
MAX_PEOPLE = 600  # a bound on the work done per proposal; an intake is far smaller
MAX_GROUPS = 60  # 600 people in groups of ten


@dataclass(frozen=True)
class Person:
    """Someone to place: an enrolment id and their answers by question key."""

    id: int
    answers: Mapping[str, str]

    def value(self, key: str) -> str:
        return self.answers.get(key, NO_ANSWER) or NO_ANSWER


class NoFitReason(StrEnum):
    NOBODY = "nobody"  # nobody to place
    TOO_FEW = "too_few"  # fewer people than one group's minimum
    TOO_MANY_GROUPS = "too_many_groups"  # asked for more groups than can reach the minimum
    TOO_FEW_GROUPS = "too_few_groups"  # the groups asked for cannot hold everyone
    NO_GROUP_COUNT = "no_group_count"  # no number of groups has every size within the bounds


@dataclass(frozen=True)
class NoFit:
    """Why no split fits, with the numbers a coordinator needs to change something."""

    reason: NoFitReason
    people: int
    min_size: int
    capacity: int
    groups: int


@dataclass(frozen=True)
class Proposal:
    """Groups of enrolment ids, each in id order; ``unlike_pairs`` is the similarity measure."""

    groups: tuple[tuple[int, ...], ...]
    unlike_pairs: int


def group_count_range(people: int, min_size: int, capacity: int) -> range:
    """The numbers of groups for which some split has every size within the bounds."""
    if people <= 0 or min_size < 1 or capacity < min_size:
        return range(0)
    fewest = -(-people // capacity)
    most = min(people // min_size, MAX_GROUPS)
    return range(fewest, most + 1) if fewest <= most else range(0)


def check_fit(people: int, min_size: int, capacity: int, groups: int | None) -> NoFit | int:
    """The number of groups to use (``groups`` or the fewest that fit), or why none fits."""
    fits = group_count_range(people, min_size, capacity)

    def no_fit(reason: NoFitReason) -> NoFit:
        return NoFit(reason, people, min_size, capacity, groups or 0)

    if people <= 0:
        return no_fit(NoFitReason.NOBODY)
    if people < min_size:
        return no_fit(NoFitReason.TOO_FEW)
    if not fits:
        return no_fit(NoFitReason.NO_GROUP_COUNT)
    if groups is None:
        return fits.start
    if groups > fits.stop - 1:
        return no_fit(NoFitReason.TOO_MANY_GROUPS)
    if groups < fits.start:
        return no_fit(NoFitReason.TOO_FEW_GROUPS)
    return groups


def unlike_pairs(groups: Sequence[Sequence[Person]], keys: Sequence[str]) -> int:
    """Pairs in the same group with different answers, counted once per question picked.

    Zero when every group is alike on every question; a random split scores high.
    """
    total = 0
    for group in groups:
        total += sum(_unlike_in(Counter(p.value(k) for p in group), len(group)) for k in keys)
    return total


def _unlike_in(counts: Counter[str], size: int) -> int:
    alike = sum(c * (c - 1) // 2 for c in counts.values())
    return size * (size - 1) // 2 - alike


def propose(
    people: Sequence[Person],
    keys: Sequence[str],
    min_size: int,
    capacity: int,
    groups: int | None = None,
) -> Proposal | NoFit:
    """A split of ``people`` into groups (``groups`` of them, or the fewest that fit).

    Deterministic: the same people, keys and bounds give the same proposal.
    """
    if len(people) > MAX_PEOPLE:
        raise ValueError("too many people for one proposal")
    count = check_fit(len(people), min_size, capacity, groups)
    if isinstance(count, NoFit):
        return count
    ordered = sorted(people, key=lambda p: (*(p.value(k) for k in keys), p.id))
    cut = _best_cut(ordered, keys, count, min_size, capacity)
    improved = _improve(cut, keys, min_size, capacity)
    return Proposal(
        groups=tuple(tuple(sorted(p.id for p in g)) for g in improved),
        unlike_pairs=unlike_pairs(improved, keys),
    )


def _segment_cost(ordered: Sequence[Person], keys: Sequence[str]) -> list[list[int]]:
    """cost[i][j]: unlike pairs among ordered[i:j], for every i < j (O(n² · keys))."""
    n = len(ordered)
    cost = [[0] * (n + 1) for _ in range(n + 1)]
    for i in range(n):
        counts = [Counter[str]() for _ in keys]
        running = 0
        for j in range(i, n):
            for q, key in enumerate(keys):
                value = ordered[j].value(key)
                running += (j - i) - counts[q][value]  # the new person against those unlike
                counts[q][value] += 1
            cost[i][j + 1] = running
    return cost


def _best_cut(
    ordered: Sequence[Person], keys: Sequence[str], count: int, min_size: int, capacity: int
) -> list[list[Person]]:
    """The contiguous cut of the sorted line into ``count`` groups with the fewest unlike pairs.

    Ties go to the most even sizes (the smaller of the largest group), then to the earliest cut.
    """
    n = len(ordered)
    cost = _segment_cost(ordered, keys)
    inf = (10**18, 10**9)
    # best[g][j]: (unlike pairs, largest group) for the first j people in g groups.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = (0, 0)
    for g in range(1, count + 1):
        for j in range(g * min_size, n + 1):
            for i in range(max(0, j - capacity), j - min_size + 1):
                before = best[g - 1][i]
                if before == inf:
                    continue
                candidate = (before[0] + cost[i][j], max(before[1], j - i))
                if candidate < best[g][j]:
                    best[g][j] = candidate
                    back[g][j] = i
    bounds = []
    j = n
    for g in range(count, 0, -1):
        i = back[g][j]
        bounds.append((i, j))
        j = i
    return [list(ordered[i:j]) for i, j in reversed(bounds)]


def _improve(
    groups: list[list[Person]], keys: Sequence[str], min_size: int, capacity: int
) -> list[list[Person]]:
    """Keep single moves and pairwise swaps that lower the unlike pairs, until none does.

    Each pass tries them in a fixed order, so the result is deterministic; every kept change
    lowers a non-negative count, so the loop ends.
    """
    groups = [sorted(g, key=lambda p: p.id) for g in groups]
    counts = [[Counter(p.value(k) for p in g) for k in keys] for g in groups]

    def leave_gain(g: int, p: Person) -> int:
        """Unlike pairs removed when ``p`` leaves group ``g``."""
        return sum(len(groups[g]) - counts[g][q][p.value(k)] for q, k in enumerate(keys))

    def join_cost(g: int, p: Person, without: Person | None = None) -> int:
        """Unlike pairs added when ``p`` joins group ``g`` (after ``without`` left it)."""
        total = 0
        for q, k in enumerate(keys):
            size = len(groups[g]) - (1 if without else 0)
            same = counts[g][q][p.value(k)] - (
                1 if without and without.value(k) == p.value(k) else 0
            )
            total += size - same
        return total

    def move(p: Person, src: int, dst: int) -> None:
        groups[src].remove(p)
        groups[dst].append(p)
        groups[dst].sort(key=lambda x: x.id)
        for q, k in enumerate(keys):
            counts[src][q][p.value(k)] -= 1
            counts[dst][q][p.value(k)] += 1

    changed = True
    while changed:
        changed = False
        for src in range(len(groups)):
            for p in list(groups[src]):
                for dst in range(len(groups)):
                    if dst == src or p not in groups[src]:
                        continue
                    # A single move, where both sizes stay within the bounds.
                    fits = len(groups[src]) > min_size and len(groups[dst]) < capacity
                    if fits and join_cost(dst, p) < leave_gain(src, p):
                        move(p, src, dst)
                        changed = True
                        break
                    # A swap with someone in the other group.
                    for other in list(groups[dst]):
                        delta = (
                            join_cost(dst, p, without=other)
                            - leave_gain(src, p)
                            + join_cost(src, other, without=p)
                            - leave_gain(dst, other)
                        )
                        if delta < 0:
                            move(p, src, dst)
                            move(other, dst, src)
                            changed = True
                            break
                    if p not in groups[src]:
                        break
    return groups


def answer_counts(
    groups: Sequence[Sequence[Person]], keys: Sequence[str]
) -> list[dict[str, Counter[str]]]:
    """Per group, per question picked, how many gave each answer: shown beside the proposal."""
    return [{k: Counter(p.value(k) for p in g) for k in keys} for g in groups]
