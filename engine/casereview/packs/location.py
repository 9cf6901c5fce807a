"""Where the shipped rules are (kept apart from the loader so start-up can find them before
pydantic and the pack models are imported)."""

from __future__ import annotations

from pathlib import Path


def default_rules_dir() -> Path:
    """Rules shipped in the wheel, or the checkout's `rules/` when run from source."""
    packaged = Path(__file__).resolve().parent.parent / "_data" / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"
