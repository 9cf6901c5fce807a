"""Maintainer tools: `casereview rules test|import|export|diff|docs` and `explain CASE`.

`register(subparsers)` adds them to the top-level CLI parser (see `commands.py`).
"""

from __future__ import annotations

from .commands import register

__all__ = ["register"]
