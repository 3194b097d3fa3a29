"""Figures per series and per program: the enrolment funnel, attendance and commitment (pure).

The input is a matrix: the participants who got a seat, the sessions that were held, and who
attended which. Attendance itself (time present, staff corrections) is decided in
``attendance.py``; here it is only counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from server.evaluation.attendance import check_share

ParticipantKey = int  # the enrolment id: one parent's seat in one series
SessionKey = int

DEFAULT_COMPLETION_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class Cohort:
    """Who got a seat in one series, which of its sessions were held, and who attended which.

    ``enrolled``: every enrolment that got a seat, including a parent who later withdrew (they are
    the drop-outs the funnel shows), but not waiting-list places that never got a seat nor
    enrolments cancelled before the series began. ``sessions_held``: in the order they were held.
    ``attendance``: (participant, session) pairs whose attendance counts, corrections applied.
    Pairs naming someone not enrolled (staff, a guest) or a session not held are not counted: the
    figures describe the enrolled cohort over the held sessions.
    """

    enrolled: tuple[ParticipantKey, ...]
    sessions_held: tuple[SessionKey, ...]
    attendance: frozenset[tuple[ParticipantKey, SessionKey]]

    def __post_init__(self) -> None:
        if len(set(self.enrolled)) != len(self.enrolled):
            raise ValueError("a participant is enrolled twice")
        if len(set(self.sessions_held)) != len(self.sessions_held):
            raise ValueError("a session is listed twice")

    def sessions_attended(self, participant: ParticipantKey) -> int:
        """How many held sessions this participant attended."""
        return sum((participant, s) in self.attendance for s in self.sessions_held)

    def attendances(self) -> int:
        """All attendances of enrolled participants at held sessions."""
        return sum(self.sessions_attended(p) for p in self.enrolled)


@dataclass(frozen=True)
class Funnel:
    """How many got a seat, how many of them started, and how many completed."""

    enrolled: int
    started: int
    completed: int


@dataclass(frozen=True)
class Commitment:
    """Attendances against the places held: the organisations' commitment percentage.

    A place is one started participant at one held session, so the places held are
    ``started × sessions_held``. Kept as counts, so series add up into a program.
    """

    attendances: int
    started: int
    sessions_held: int
    places: int

    @property
    def percentage(self) -> Decimal | None:
        """Attendances per place in percent, rounded half up to two decimals.

        None when no place was held (nothing held or nobody started): there is nothing to divide.
        """
        if self.places == 0:
            return None
        return _percent(self.attendances, self.places)


def _percent(numerator: int, denominator: int) -> Decimal:
    """100 × numerator / denominator rounded half up to hundredths, in exact integer arithmetic."""
    hundredths = (20_000 * numerator + denominator) // (2 * denominator)
    return Decimal(hundredths).scaleb(-2)


@dataclass(frozen=True)
class SeriesFigures:
    """What a series achieved, as the report on one series shows it."""

    funnel: Funnel
    attendance_per_session: tuple[tuple[SessionKey, int], ...]
    commitment: Commitment


@dataclass(frozen=True)
class ProgramFigures:
    """What the series of one program achieved together."""

    series: int
    funnel: Funnel
    commitment: Commitment


def funnel(cohort: Cohort, completion_share: Decimal | float = DEFAULT_COMPLETION_SHARE) -> Funnel:
    """The enrolment funnel: enrolled, started and completed.

    Started: attended at least one held session. Completed: attended at least ``completion_share``
    (by default half) of the sessions held, so with 33 sessions held a parent who attended 17
    completed and one who attended 16 did not. Counting against the sessions held, not planned,
    keeps a cancelled session from counting against the parents.

    Raises INVALID_INPUT (field ``completion_share``) unless 0 < completion_share <= 1.
    """
    share = check_share(completion_share, "completion_share")
    held = len(cohort.sessions_held)
    attended = [cohort.sessions_attended(p) for p in cohort.enrolled]
    return Funnel(
        enrolled=len(cohort.enrolled),
        started=sum(n > 0 for n in attended),
        completed=sum(n > 0 and Fraction(n) >= share * held for n in attended),
    )


def completed_participants(
    cohort: Cohort, completion_share: Decimal | float = DEFAULT_COMPLETION_SHARE
) -> frozenset[ParticipantKey]:
    """Who completed, by the rule of ``funnel``: the parents a coordinator may invite to continue
    as peer volunteers (server/volunteering)."""
    share = check_share(completion_share, "completion_share")
    held = len(cohort.sessions_held)
    return frozenset(
        p
        for p in cohort.enrolled
        if (n := cohort.sessions_attended(p)) > 0 and Fraction(n) >= share * held
    )


def attendance_per_session(cohort: Cohort) -> tuple[tuple[SessionKey, int], ...]:
    """How many enrolled participants attended each held session, in the order they were held.

    The coordinator sees where a series loses people (after the third session, at midsummer).
    """
    return tuple(
        (s, sum((p, s) in cohort.attendance for p in cohort.enrolled)) for s in cohort.sessions_held
    )


def commitment(cohort: Cohort) -> Commitment:
    """The commitment of one series: attendances divided by (participants who started × held).

    This is the organisations' own definition (the first cohort of Vanhemmalta vanhemmalle:
    18 started, 33 sessions held, 503 attendances, 84.68 %). Parents who never started are not
    counted as places: they are the funnel's concern, not commitment's.
    """
    started = sum(cohort.sessions_attended(p) > 0 for p in cohort.enrolled)
    held = len(cohort.sessions_held)
    return Commitment(
        attendances=cohort.attendances(),
        started=started,
        sessions_held=held,
        places=started * held,
    )


def series_figures(
    cohort: Cohort, completion_share: Decimal | float = DEFAULT_COMPLETION_SHARE
) -> SeriesFigures:
    """Funnel, attendance per session and commitment of one series.

    Raises INVALID_INPUT (field ``completion_share``) unless 0 < completion_share <= 1.
    """
    return SeriesFigures(
        funnel=funnel(cohort, completion_share),
        attendance_per_session=attendance_per_session(cohort),
        commitment=commitment(cohort),
    )


def program_figures(
    cohorts: Iterable[Cohort], completion_share: Decimal | float = DEFAULT_COMPLETION_SHARE
) -> ProgramFigures:
    """The figures of a program: funnels and commitments of its series summed.

    The program's commitment is the sum of attendances over the sum of places, not the mean of
    the series' percentages: a series of 4 parents must not weigh as much as one of 20.

    Raises INVALID_INPUT (field ``completion_share``) unless 0 < completion_share <= 1.
    """
    funnels: list[Funnel] = []
    commitments: list[Commitment] = []
    for cohort in cohorts:
        funnels.append(funnel(cohort, completion_share))
        commitments.append(commitment(cohort))
    return ProgramFigures(
        series=len(funnels),
        funnel=sum_funnels(funnels),
        commitment=sum_commitments(commitments),
    )


def sum_funnels(funnels: Sequence[Funnel]) -> Funnel:
    """Several series' funnels as one, stage by stage."""
    return Funnel(
        sum(f.enrolled for f in funnels),
        sum(f.started for f in funnels),
        sum(f.completed for f in funnels),
    )


def sum_commitments(commitments: Sequence[Commitment]) -> Commitment:
    """Several series' counts as one: the percentage of the sum is the ratio of the sums."""
    return Commitment(
        sum(c.attendances for c in commitments),
        sum(c.started for c in commitments),
        sum(c.sessions_held for c in commitments),
        sum(c.places for c in commitments),
    )
