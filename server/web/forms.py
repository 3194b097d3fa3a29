"""Reading an HTML form field by field, with bounds, collecting every problem at once.

Each reader returns a value or records the field as invalid, so a form with three mistakes shows
three messages instead of one at a time.
"""

from __future__ import annotations

from datetime import date, time
from enum import Enum
from typing import TypeVar

from starlette.datastructures import FormData

from server.errors import ErrorCode, TupaError

E = TypeVar("E", bound=Enum)

MAX_FIELD = 8000


class FormReader:
    def __init__(self, form: FormData) -> None:
        self.form = form
        self.errors: set[str] = set()

    def raw(self, name: str) -> str:
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def text(self, name: str, max_len: int, *, min_len: int = 0, multiline: bool = False) -> str:
        value = self.raw(name)
        value = value.strip() if multiline else " ".join(value.split())
        if multiline:
            value = value.replace("\r\n", "\n")
        if not min_len <= len(value) <= max_len:
            self.errors.add(name)
        return value

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(name).strip()
        if not value and default is not None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.errors.add(name)
            return low
        if not low <= number <= high:
            self.errors.add(name)
        return number

    def choice(self, name: str, enum: type[E]) -> E:
        try:
            return enum(self.raw(name))
        except ValueError:
            self.errors.add(name)
            return next(iter(enum))

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(self.raw(name).strip())
        except ValueError:
            self.errors.add(name)
            return date(2000, 1, 1)

    def clock_time(self, name: str) -> time:
        try:
            value = time.fromisoformat(self.raw(name).strip())
        except ValueError:
            self.errors.add(name)
            return time(0, 0)
        return value.replace(second=0, microsecond=0, tzinfo=None)

    def checkbox(self, name: str) -> bool:
        return self.raw(name) in {"on", "1", "true"}

    def integers(self, name: str, max_count: int) -> list[int]:
        values = self.form.getlist(name)
        if len(values) > max_count:
            self.errors.add(name)
            return []
        numbers = []
        for v in values:
            try:
                numbers.append(int(v))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self.errors.add(name)
        return numbers

    def check(self) -> None:
        """Raise INVALID_INPUT naming every invalid field, if any."""
        if self.errors:
            raise TupaError(ErrorCode.INVALID_INPUT, fields=sorted(self.errors))


def invalid_fields(error: TupaError) -> list[str]:
    """The field names an INVALID_INPUT error is about (one from a service, several from a form)."""
    if "fields" in error.params:
        return list(error.params["fields"])
    if "field" in error.params:
        return [str(error.params["field"])]
    return []
