"""Input errors: what a reviewer sees when a file cannot be read, parsed or validated.

Every problem with an input file becomes an `InputError` carrying the file, a 1-based
line and column, the field path (``decision.penalties[0].amount``) and a Chinese message.
`InputRejected` carries all errors of one file so a batch can report them and go on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

MAX_VALUE_CHARS = 80


@dataclass(frozen=True, slots=True)
class InputError:
    """One problem in one input file (message in Chinese)."""

    file: str
    line: int | None
    column: int | None
    field: str | None
    message: str
    value: str | None = None

    def location(self) -> str:
        """``file:line:column`` (parts that are unknown are left out)."""
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"

    def format(self) -> str:
        """E.g. ``casefiles/a.yaml:12:9 decision.penalties[0].amount：应为整数（元），实际为 '2.5万'``."""
        text = self.location()
        text += f" {self.field}：{self.message}" if self.field else f" {self.message}"
        if self.value is not None:
            text += f"，实际为 {self.value}"
        return text

    def __str__(self) -> str:
        return self.format()


class InputRejected(Exception):
    """A file was refused; `errors` lists every problem found (at least one)."""

    def __init__(self, errors: list[InputError]) -> None:
        if not errors:
            raise ValueError("InputRejected needs at least one InputError")
        self.errors: list[InputError] = list(errors)
        super().__init__(self.format())

    def __reduce__(self) -> tuple[type[InputRejected], tuple[list[InputError]]]:
        return (type(self), (self.errors,))  # picklable across worker processes

    @property
    def file(self) -> str:
        return self.errors[0].file

    def format(self) -> str:
        """All errors, one per line."""
        return "\n".join(e.format() for e in self.errors)


def show_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A short, reviewer-readable rendering of a bad value (at most `limit` characters)."""
    if value is None:
        text = "null（空值）"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, dict):
        text = f"映射（{len(value)} 个字段）"
    elif isinstance(value, list | tuple):
        text = f"列表（{len(value)} 项）"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
