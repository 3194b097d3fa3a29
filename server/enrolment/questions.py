"""Enrolment questions a coordinator defines per series, and checking a parent's answers (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.errors import ErrorCode, TupaError

MAX_QUESTIONS = 5
MAX_OPTIONS = 10
MAX_LABEL = 200
MAX_OPTION = 80
MAX_TEXT_ANSWER = 300


@dataclass(frozen=True)
class Question:
    """A choice question when ``options`` is non-empty, otherwise a short free-text question."""

    key: str
    label: str
    options: list[str] = field(default_factory=list)
    required: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "options": self.options,
            "required": self.required,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Question:
        options = data.get("options") or []
        assert isinstance(options, list)
        return cls(
            key=str(data["key"]),
            label=str(data["label"]),
            options=[str(o) for o in options],
            required=bool(data.get("required", False)),
        )


def define_questions(rows: list[tuple[str, str, bool]]) -> list[Question]:
    """Questions from (label, options separated by "|", required) rows; blank labels are skipped.

    Raises INVALID_INPUT (with ``field``) for too many questions, options or characters.
    """
    questions: list[Question] = []
    for label, options_text, required in rows:
        label = " ".join(label.split())
        if not label:
            continue
        if len(label) > MAX_LABEL:
            raise TupaError(ErrorCode.INVALID_INPUT, field="questions")
        options = [" ".join(o.split()) for o in options_text.split("|")]
        options = [o for o in options if o]
        if len(options) > MAX_OPTIONS or any(len(o) > MAX_OPTION for o in options):
            raise TupaError(ErrorCode.INVALID_INPUT, field="questions")
        if len(set(options)) != len(options):
            raise TupaError(ErrorCode.INVALID_INPUT, field="questions")
        questions.append(Question(f"q{len(questions) + 1}", label, options, required))
    if len(questions) > MAX_QUESTIONS:
        raise TupaError(ErrorCode.INVALID_INPUT, field="questions")
    return questions


def check_answers(questions: list[Question], answers: dict[str, str]) -> dict[str, str]:
    """The answers to keep: only known questions, choices among the options, bounded text.

    Raises INVALID_INPUT with ``field`` set to the question key that failed.
    """
    kept: dict[str, str] = {}
    for q in questions:
        value = " ".join(answers.get(q.key, "").split())
        if not value:
            if q.required:
                raise TupaError(ErrorCode.INVALID_INPUT, field=q.key)
            continue
        if q.options and value not in q.options:
            raise TupaError(ErrorCode.INVALID_INPUT, field=q.key)
        if len(value) > MAX_TEXT_ANSWER:
            raise TupaError(ErrorCode.INVALID_INPUT, field=q.key)
        kept[q.key] = value
    return kept
