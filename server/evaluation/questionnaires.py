"""Questionnaires a coordinator defines per program, checking answers, and summing them up (pure).

Two kinds: ``feedback`` after each session (scale questions and free-text questions) and
``self_assessment`` at the start and the end of a series (Likert items only), the measures the
organisations use to show a funder what changed for the parents.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from server.errors import ErrorCode, TupaError
from server.evaluation.figures import ParticipantKey

MAX_QUESTIONS = 15
MAX_QUESTION_TEXT = 300
MAX_TEXT_ANSWER = 2000
LOWEST_SCALE_POINT = 0
HIGHEST_SCALE_POINT = 10
MAX_WORDING_EDIT = 5  # characters: enough for a typo, too few to turn one question into another
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,3}")

Answer = int | str
Answers = Mapping[str, Answer]


class QuestionnaireKind(StrEnum):
    FEEDBACK = "feedback"  # after each session
    SELF_ASSESSMENT = "self_assessment"  # at the start and at the end of a series


class QuestionKind(StrEnum):
    SCALE = "scale"
    TEXT = "text"


class QuestionnaireProblem(StrEnum):
    """Why a questionnaire definition was refused. Stable: translations key on these."""

    QUESTION_COUNT = "question_count"
    QUESTION_KEY = "question_key"
    DUPLICATE_KEY = "duplicate_key"
    QUESTION_TEXT = "question_text"
    SCALE_RANGE = "scale_range"
    TEXT_IN_SELF_ASSESSMENT = "text_in_self_assessment"


class AnswerProblem(StrEnum):
    """Why a set of answers was refused. Stable: translations key on these."""

    UNKNOWN_QUESTION = "unknown_question"
    MISSING_ANSWER = "missing_answer"
    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"


class ChangeProblem(StrEnum):
    """Why a change to an answered questionnaire was refused. Stable: translations key on these."""

    KIND_CHANGED = "kind_changed"
    QUESTION_REMOVED = "question_removed"
    QUESTION_RETYPED = "question_retyped"
    QUESTION_RESCALED = "question_rescaled"
    QUESTION_REWORDED = "question_reworded"


class QuestionnaireError(TupaError):
    """INVALID_INPUT for a questionnaire definition; ``problem`` says what is wrong."""

    def __init__(self, problem: QuestionnaireProblem, field: str = "questions") -> None:
        super().__init__(ErrorCode.INVALID_INPUT, field=field, problem=problem.value)
        self.problem = problem


class AnswerError(TupaError):
    """INVALID_INPUT for a set of answers; ``field`` is the question key, ``problem`` the fault."""

    def __init__(self, problem: AnswerProblem, field: str) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, field=field, problem=problem.value)
        self.problem = problem


class QuestionnaireLocked(TupaError):
    """QUESTIONNAIRE_LOCKED: a change that would break answers already given."""

    def __init__(self, problem: ChangeProblem, field: str) -> None:
        super().__init__(ErrorCode.QUESTIONNAIRE_LOCKED, field=field, problem=problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Question:
    """A scale question (a whole number from ``scale_min`` to ``scale_max``) or a free-text one.

    ``key`` is stable for the life of the questionnaire; answers are stored against it.
    """

    key: str
    text: str
    kind: QuestionKind = QuestionKind.SCALE
    scale_min: int = 1
    scale_max: int = 5

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


@dataclass(frozen=True)
class Questionnaire:
    kind: QuestionnaireKind
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def define_questionnaire(kind: QuestionnaireKind, questions: Sequence[Question]) -> Questionnaire:
    """A questionnaire from the coordinator's questions, whitespace in their text collapsed.

    Limits: 1 to 15 questions (a parent answers on a phone after an evening session), text of
    1 to 300 characters, scales of whole numbers within 0..10, unique keys, and only scale
    questions in a self-assessment (its items are compared between start and end).

    Raises INVALID_INPUT as a ``QuestionnaireError``: question_count, question_key,
    duplicate_key, question_text, scale_range, text_in_self_assessment.
    """
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise QuestionnaireError(QuestionnaireProblem.QUESTION_COUNT)
    cleaned: list[Question] = []
    for question in questions:
        if not KEY_PATTERN.fullmatch(question.key):
            raise QuestionnaireError(QuestionnaireProblem.QUESTION_KEY)
        if any(q.key == question.key for q in cleaned):
            raise QuestionnaireError(QuestionnaireProblem.DUPLICATE_KEY, question.key)
        text = " ".join(question.text.split())
        if not 1 <= len(text) <= MAX_QUESTION_TEXT:
            raise QuestionnaireError(QuestionnaireProblem.QUESTION_TEXT, question.key)
        if question.kind is QuestionKind.SCALE and not (
            LOWEST_SCALE_POINT <= question.scale_min < question.scale_max <= HIGHEST_SCALE_POINT
        ):
            raise QuestionnaireError(QuestionnaireProblem.SCALE_RANGE, question.key)
        if question.kind is QuestionKind.TEXT and kind is QuestionnaireKind.SELF_ASSESSMENT:
            raise QuestionnaireError(QuestionnaireProblem.TEXT_IN_SELF_ASSESSMENT, question.key)
        cleaned.append(replace(question, text=text))
    return Questionnaire(kind, tuple(cleaned))


def _clean_text(raw: str) -> str:
    """Free text with line ends unified, ends trimmed and control characters (NUL…) removed."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    return "".join(c for c in text if c in "\n\t" or not (ord(c) < 32 or 127 <= ord(c) < 160))


def _scale_answer(question: Question, raw: object) -> int:
    if isinstance(raw, bool):
        raise AnswerError(AnswerProblem.WRONG_TYPE, question.key)
    if isinstance(raw, str):
        if not WHOLE_NUMBER.fullmatch(raw.strip()):
            raise AnswerError(AnswerProblem.WRONG_TYPE, question.key)
        raw = int(raw.strip())
    if not isinstance(raw, int):
        raise AnswerError(AnswerProblem.WRONG_TYPE, question.key)
    if raw not in question.scale:
        raise AnswerError(AnswerProblem.OUT_OF_RANGE, question.key)
    return raw


def validate_answers(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> dict[str, Answer]:
    """The answers to store, in question order: scale answers as int, free text cleaned.

    Every scale question must be answered; free text is optional and left out when blank. Scale
    answers take one tap, and requiring them keeps every response complete, so each question of a
    report counts the same people and a self-assessment's start and end can be paired item by
    item. Writing is harder; a required text box gets filler or an abandoned form. Form posts send
    strings, so a scale answer may be "4" as well as 4. Unknown keys are refused, not dropped:
    they mean the form and the questionnaire are out of step.

    Raises INVALID_INPUT as an ``AnswerError`` with ``field`` the question key: unknown_question,
    missing_answer, wrong_type, out_of_range, too_long.
    """
    for key in answers:
        if questionnaire.question(key) is None:
            raise AnswerError(AnswerProblem.UNKNOWN_QUESTION, str(key)[:40])
    kept: dict[str, Answer] = {}
    for question in questionnaire.questions:
        raw = answers.get(question.key)
        if question.kind is QuestionKind.SCALE:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                raise AnswerError(AnswerProblem.MISSING_ANSWER, question.key)
            kept[question.key] = _scale_answer(question, raw)
            continue
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise AnswerError(AnswerProblem.WRONG_TYPE, question.key)
        text = _clean_text(raw)
        if len(text) > MAX_TEXT_ANSWER:
            raise AnswerError(AnswerProblem.TOO_LONG, question.key)
        if text:
            kept[question.key] = text
    return kept


def _changed_characters(old: str, new: str) -> int:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def check_change(old: Questionnaire, new: Questionnaire, has_answers: bool) -> None:
    """Refuses a change to a questionnaire that would change the meaning of answers already given.

    Before the first answer anything may change. After it, a question may not be removed, turned
    from scale to text or back, or given another scale: stored answers would then belong to a
    question nobody was asked, and a 1..5 answer means something else on a 1..7 scale. Questions
    may be added and reordered. Wording may be corrected by at most ``MAX_WORDING_EDIT`` changed
    characters (whitespace aside): enough for a typo, too little to ask something else. A new
    question is the way to ask something else. The limit stops rewrites, not every change of
    meaning (a short negation fits in it); coordinators are trusted staff.

    ``new`` is expected to come from ``define_questionnaire``.

    Raises INVALID_INPUT as ``QuestionnaireLocked`` with ``field`` the question key:
    kind_changed, question_removed, question_retyped, question_rescaled, question_reworded.
    """
    if not has_answers:
        return
    if new.kind is not old.kind:
        raise QuestionnaireLocked(ChangeProblem.KIND_CHANGED, "kind")
    for before in old.questions:
        after = new.question(before.key)
        if after is None:
            raise QuestionnaireLocked(ChangeProblem.QUESTION_REMOVED, before.key)
        if after.kind is not before.kind:
            raise QuestionnaireLocked(ChangeProblem.QUESTION_RETYPED, before.key)
        if before.kind is QuestionKind.SCALE and before.scale != after.scale:
            raise QuestionnaireLocked(ChangeProblem.QUESTION_RESCALED, before.key)
        old_text, new_text = " ".join(before.text.split()), " ".join(after.text.split())
        if _changed_characters(old_text, new_text) > MAX_WORDING_EDIT:
            raise QuestionnaireLocked(ChangeProblem.QUESTION_REWORDED, before.key)


def _mean(total: int, n: int) -> Decimal:
    """total / n rounded half away from zero to two decimals, in exact integer arithmetic."""
    hundredths = (200 * abs(total) + n) // (2 * n)
    return Decimal(-hundredths if total < 0 else hundredths).scaleb(-2)


def _scale_value(question: Question, answers: Answers) -> int | None:
    """The stored answer to a scale question, or None when missing or not on its scale."""
    value = answers.get(question.key)
    if isinstance(value, int) and not isinstance(value, bool) and value in question.scale:
        return value
    return None


@dataclass(frozen=True)
class ScaleSummary:
    """The answers to one scale question: how many, their mean and how often each point was chosen.

    ``mean`` is rounded half up to two decimals and None when nobody answered.
    """

    key: str
    n: int
    mean: Decimal | None
    distribution: tuple[tuple[int, int], ...]  # (scale point, how many chose it), every point


@dataclass(frozen=True)
class TextAnswers:
    """The free-text answers to one question, without who wrote them, sorted."""

    key: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackSummary:
    responses: int
    scales: tuple[ScaleSummary, ...]
    texts: tuple[TextAnswers, ...]


def summarise_feedback(
    questionnaire: Questionnaire, responses: Iterable[Answers]
) -> FeedbackSummary:
    """Per scale question its n, mean and distribution; per text question its answers.

    ``responses`` are stored answer sets without the respondent. Free text comes back sorted
    (case-insensitively), never in the order it was given: a facilitator who saw who filled in the
    form first, or who left early, could otherwise match answers to people. Questions added after
    some responses simply have a smaller n.
    """
    given = list(responses)
    scales: list[ScaleSummary] = []
    texts: list[TextAnswers] = []
    for question in questionnaire.questions:
        if question.kind is QuestionKind.SCALE:
            values = [v for r in given if (v := _scale_value(question, r)) is not None]
            scales.append(
                ScaleSummary(
                    key=question.key,
                    n=len(values),
                    mean=_mean(sum(values), len(values)) if values else None,
                    distribution=tuple((point, values.count(point)) for point in question.scale),
                )
            )
        else:
            written = [t for r in given if isinstance(t := r.get(question.key), str) and t]
            answers = tuple(sorted(written, key=lambda t: (t.casefold(), t)))
            texts.append(TextAnswers(key=question.key, answers=answers))
    return FeedbackSummary(responses=len(given), scales=tuple(scales), texts=tuple(texts))


@dataclass(frozen=True)
class ItemChange:
    """Start and end of one self-assessment item over the participants who answered both.

    Means are rounded half up to two decimals from exact sums, so ``mean_change`` can differ by
    0.01 from ``mean_end - mean_start``. All three are None when n is 0.
    """

    key: str
    n: int
    mean_start: Decimal | None
    mean_end: Decimal | None
    mean_change: Decimal | None


def self_assessment_change(
    questionnaire: Questionnaire,
    at_start: Mapping[ParticipantKey, Answers],
    at_end: Mapping[ParticipantKey, Answers],
) -> tuple[ItemChange, ...]:
    """How each scale item changed between the start and the end of a series.

    Only participants who answered an item both at the start and at the end are counted for it:
    comparing everyone at the start with the stayers at the end would show the drop-outs leaving,
    not the parents changing.
    """
    changes: list[ItemChange] = []
    for question in questionnaire.questions:
        if question.kind is not QuestionKind.SCALE:
            continue
        pairs: list[tuple[int, int]] = []
        for participant, answers in at_start.items():
            start = _scale_value(question, answers)
            end = _scale_value(question, at_end.get(participant, {}))
            if start is not None and end is not None:
                pairs.append((start, end))
        n = len(pairs)
        total_start = sum(s for s, _ in pairs)
        total_end = sum(e for _, e in pairs)
        changes.append(
            ItemChange(
                key=question.key,
                n=n,
                mean_start=_mean(total_start, n) if n else None,
                mean_end=_mean(total_end, n) if n else None,
                mean_change=_mean(total_end - total_start, n) if n else None,
            )
        )
    return tuple(changes)
