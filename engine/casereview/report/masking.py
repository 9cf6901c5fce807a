"""Masking of personal identifiers in rendered reports (on by default; `--no-mask` turns it off).

18-digit resident ID numbers (居民身份证号码) keep their first 4 and last 4 characters
(3601**********1234); 11-digit mainland mobile numbers keep 3 + 4 (138****5678).
"""

from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{3})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_CANDIDATE = re.compile(r"\d{11}")  # both patterns contain 11 digits in a row


def mask(text: str) -> str:
    if len(text) < 11 or not _CANDIDATE.search(text):  # most strings: codes, dates, short messages
        return text
    text = _ID.sub(lambda m: m[1] + "*" * 10 + m[2], text)
    return _MOBILE.sub(lambda m: m[1] + "****" + m[2], text)


def mask_value(value: Any) -> Any:
    """Mask strings inside nested JSON-like values."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value
