"""Default factories for pydantic fields: `Field(default_factory=new_list)`, not `list`.

pydantic asks a default factory's signature whether it takes the validated data, once per field
when it builds a model. For a builtin (`list`, `dict`) `inspect.signature` parses its text
signature, ~0.5 ms a call; for a model class it builds the model's whole signature. The check
process builds ~30 such fields at start-up (~15 ms); a plain function answers at once. Each call
still makes a fresh value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def new_list() -> list[Any]:
    return []


def new_dict() -> dict[Any, Any]:
    return {}


def instance_of(cls: Callable[[], T]) -> Callable[[], T]:
    """A factory of `cls()` (a model whose fields all have defaults)."""

    def make() -> T:
        return cls()

    return make
