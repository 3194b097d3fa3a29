"""Small-count suppression: no figure handed to a funder may let anyone pick out a person (pure).

A peer group has six to twenty members who know each other's pseudonyms and often faces. A figure
drawn from fewer than ``threshold`` people (3 by default) says too much about each of them, so it
is suppressed: these functions return None in its place, and the report shows the caller's
marker (such as "<3"). Zero counts are suppressed too: "nobody rated the session below 4" is a
statement about every member. Figures derived from small counts (means, percentages, free text)
are suppressed with them, and so are figures from which a small count can be worked out by
subtraction (a funnel's drops, the one hidden cell of a distribution).

One limit remains the report's to respect: a mean shown beside a distribution with hidden cells
can sometimes be solved for those cells. Show one or the other when cells are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.errors import ErrorCode, TupaError
from server.evaluation.figures import Commitment, Funnel, sum_funnels
from server.evaluation.questionnaires import TextAnswers

DEFAULT_THRESHOLD = 3


def _check(threshold: int) -> None:
    if threshold < 1:
        raise TupaError(ErrorCode.INVALID_INPUT, field="threshold")


def disclose_count(count: int, threshold: int = DEFAULT_THRESHOLD) -> int | None:
    """The count, or None when it is below the threshold (zero included).

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    return count if count >= threshold else None


def disclose_mean(
    mean: Decimal | None, n: int, threshold: int = DEFAULT_THRESHOLD
) -> Decimal | None:
    """A mean over ``n`` answers, or None when n is below the threshold.

    The mean of two answers and the knowledge of one of them gives the other away.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    return mean if n >= threshold else None


def disclose_percentage(
    percentage: Decimal | None,
    numerator: int,
    denominator: int,
    threshold: int = DEFAULT_THRESHOLD,
) -> Decimal | None:
    """A percentage, or None when its numerator or its denominator is below the threshold.

    "50 %" of a group of 2, or "5 %" that is one person of 20, points at individuals.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    if numerator < threshold or denominator < threshold:
        return None
    return percentage


def disclose_commitment(
    commitment: Commitment, threshold: int = DEFAULT_THRESHOLD
) -> Decimal | None:
    """The commitment percentage, or None when fewer than ``threshold`` participants started.

    Its numerator and denominator count attendances and places, not people: two parents over ten
    sessions give twenty places, yet the percentage still describes two people. So the number who
    started must reach the threshold as well as attendances and places.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    if commitment.started < threshold:
        return None
    return disclose_percentage(
        commitment.percentage, commitment.attendances, commitment.places, threshold
    )


@dataclass(frozen=True)
class DisclosedFunnel:
    """A funnel as a funder may see it; None marks a suppressed stage."""

    enrolled: int | None
    started: int | None
    completed: int | None


def disclose_funnel(funnel: Funnel, threshold: int = DEFAULT_THRESHOLD) -> DisclosedFunnel:
    """The funnel with small stages suppressed, and stages whose small drop would show.

    "21 enrolled, 20 started" tells a reader that one person never came. A stage is suppressed
    when it is below the threshold, or when it is 1 to ``threshold - 1`` below the nearest
    earlier stage that is shown. A drop of zero ("all eight started") describes nobody and stays.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    shown: list[int | None] = []
    last_shown: int | None = None
    for stage in (funnel.enrolled, funnel.started, funnel.completed):
        drop = None if last_shown is None else last_shown - stage
        if stage < threshold or (drop is not None and 0 < drop < threshold):
            shown.append(None)
        else:
            shown.append(stage)
            last_shown = stage
    return DisclosedFunnel(enrolled=shown[0], started=shown[1], completed=shown[2])


def disclose_distribution(
    distribution: Sequence[tuple[int, int]], threshold: int = DEFAULT_THRESHOLD
) -> tuple[tuple[int, int | None], ...]:
    """How often each scale point was chosen, with small cells suppressed.

    Cells below the threshold are hidden. A report also shows n, so the hidden cells' total is
    n minus the shown ones; while that total is itself below the threshold (one hidden cell of 1,
    or hidden zeros that tell everyone chose the rest), the smallest shown cell is hidden too.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    hidden = {point for point, count in distribution if count < threshold}
    counts = dict(distribution)
    while hidden and sum(counts[p] for p in hidden) < threshold:
        still_shown = [(count, point) for point, count in distribution if point not in hidden]
        if not still_shown:
            break
        hidden.add(min(still_shown)[1])
    return tuple((point, None if point in hidden else count) for point, count in distribution)


def may_show_free_text(respondents: int, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Whether free-text answers may be shown: only when enough people answered the questionnaire.

    With two respondents, each knows which of two comments is the other's.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    _check(threshold)
    return respondents >= threshold


def disclose_free_text(
    texts: TextAnswers, respondents: int, threshold: int = DEFAULT_THRESHOLD
) -> tuple[str, ...] | None:
    """The free-text answers to one question, or None when too few answered the questionnaire.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    return texts.answers if may_show_free_text(respondents, threshold) else None


# --- across figures: no figure may give back a hidden one --------------------------------------


def protect_sum(
    exact: Sequence[int], shown: Sequence[int | None], threshold: int
) -> list[int | None]:
    """Cells of a shown total, with more hidden until the hidden ones add up to the threshold.

    Otherwise the total minus the shown cells gives back a small count (or a zero), as
    ``disclose_distribution`` does for the cells of a distribution. The smallest are hidden first.
    """
    cells = list(shown)
    while True:
        hidden = [i for i, v in enumerate(cells) if v is None]
        if not hidden or sum(exact[i] for i in hidden) >= threshold:
            return cells
        still_shown = [(exact[i], i) for i, v in enumerate(cells) if v is not None]
        if not still_shown:
            return cells
        cells[min(still_shown)[1]] = None


def disclosed_stages(funnel: Funnel, threshold: int) -> list[int | None]:
    """The funnel's stages in order (enrolled, started, completed), None where hidden."""
    shown = disclose_funnel(funnel, threshold)
    return [shown.enrolled, shown.started, shown.completed]


def series_on_own_rows(funnels: Sequence[Funnel], threshold: int) -> list[bool]:
    """Which series of a program get a row of their own; the others are shown only together.

    A series with a hidden stage cannot have its own row: the program's total minus the other
    rows would give the stage back. Such series are summed into one row; while that row has a
    hidden stage itself, the smallest series still on its own joins it. Rows whose stages are
    all shown add up to a total whose stages are all shown (their drops are 0 or at least the
    threshold, and so is the sum), so nothing is left to subtract. When every series has joined,
    the joint row is the program's total.
    """
    own = [None not in disclosed_stages(f, threshold) for f in funnels]
    while True:
        joined = [f for f, alone in zip(funnels, own, strict=True) if not alone]
        if not joined or not any(own):
            return own
        if None not in disclosed_stages(sum_funnels(joined), threshold):
            return own
        smallest = min((f.enrolled, i) for i, f in enumerate(funnels) if own[i])[1]
        own[smallest] = False
