"""Field paths: ``("decision", "penalties", 0, "amount")`` <-> ``"decision.penalties[0].amount"``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

FieldPath = tuple[str | int, ...]

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def format_path(path: Iterable[str | int]) -> str:
    """Dotted path with ``[i]`` for list indices; ``""`` for the document root."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_path(path: str | Iterable[str | int]) -> FieldPath:
    """Accept a tuple (returned as is) or a dotted string like ``decision.penalties[0].amount``."""
    if not isinstance(path, str):
        return tuple(path)
    return _parse_dotted(path)


@lru_cache(maxsize=2048)  # findings of a batch point at a few hundred distinct fields
def _parse_dotted(path: str) -> FieldPath:
    return tuple(int(m.group(1)) if m.group(1) is not None else m.group(2) for m in _PART.finditer(path))
