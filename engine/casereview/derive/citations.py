"""Normalise how a decision writes a benchmark citation and a tier, so tables can be matched.

Exports write the same instrument many ways: 《应急管理行政处罚裁量权基准》（应急〔2024〕90号）,
应急[2024]90号, 应急（2024）90号; a tier as 2, "第二阶次", "裁量阶次A". Matching keys are
computed here and by the benchmark expanders with the same functions; which table a key
names, and what follows from it, is decided by the rules (durable_rules), not here.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_BRACKETS = "〔〕[]()（）【】［］｛｝{}<>＜＞"
_QUOTES = "《》〈〉“”\"'‘’「」『』"
_DROP = re.compile(f"[\\s{re.escape(_BRACKETS + _QUOTES)}·、，,。.:：;；]")
# 文号: issuer abbreviation, year in brackets, serial number, 号 (bracket variants normalised first)
_NUMBER = re.compile(r"([\u4e00-\u9fff]{1,12})[〔\[(（【［](\d{4})[〕\])）】］]\s*第?(\d{1,4})\s*号")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_TIER_NOISE = re.compile(r"(裁量)?(阶次|档次|等级|档|级|第)")


def citation_key(text: str) -> str:
    """A comparison key: width-folded, without whitespace, brackets, quotes and punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


@functools.lru_cache(maxsize=1024, typed=True)  # pure; a batch cites few benchmarks and tiers
def number_key(text: str | None) -> str | None:
    """The key of the first 文号 in `text` (应急〔2024〕90号 → 应急202490号), or None."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if not match:
        return None
    issuer, year, serial = match.groups()
    return f"{issuer}{year}{int(serial)}号"


@functools.lru_cache(maxsize=1024, typed=True)  # pure; a batch cites few benchmarks and tiers
def title_key(text: str | None) -> str | None:
    """The key of the whole citation without its 文号 (how tables key their titles and aliases)."""
    if not text:
        return None
    return citation_key(_NUMBER.sub("", text)) or None


@functools.lru_cache(maxsize=1024, typed=True)  # pure; a batch cites few benchmarks and tiers
def quoted_key(text: str | None) -> str | None:
    """The key of the outermost 《…》 in a citation (依据《X》（文号） → X), or None without 《》."""
    if not text:
        return None
    start, end = text.find("《"), text.rfind("》")
    if not 0 <= start < end:
        return None
    return citation_key(_NUMBER.sub("", text[start + 1 : end])) or None


@functools.lru_cache(maxsize=1024, typed=True)  # pure; a batch cites few benchmarks and tiers
def tier_key(value: int | str | None) -> str | None:
    """A tier as written → its id: 2 / "2" / "第二阶次" → "2"; "裁量阶次A" / "a" → "A"."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    text = _TIER_NOISE.sub("", citation_key(value))
    if text.isdigit():
        return str(int(text))
    if text in _CN_DIGITS:
        return str(_CN_DIGITS[text])
    if len(text) == 1 and text.isascii() and text.isalpha():
        return text.upper()
    return text or citation_key(value)


def tier_number(value: int | str | None) -> int | None:
    """The tier's ordinal when it is written as a number, else None (letters carry no order)."""
    key = tier_key(value)
    return int(key) if key and key.isdigit() else None


def tier_text(value: int | str | None) -> str | None:
    """How findings name the tier: 第2阶次 / 阶次A."""
    key = tier_key(value)
    if key is None:
        return None
    return f"第{key}阶次" if key.isdigit() else f"阶次{key}"
