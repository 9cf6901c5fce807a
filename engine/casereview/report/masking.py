"""Masking of personal identifiers in rendered reports (on by default; `--no-mask` turns it off).

What is masked, in every string a report writes (and in integers of 11 digits or more):
- resident ID numbers (居民身份证号码), 18 characters (last may be X) or the old 15 digits: the
  first 4 and last 4 characters are kept (3601**********1234);
- mainland mobile numbers, 11 digits starting 13–19, also written ``138 1234 5678``,
  ``138-1234-5678``, with ``+86``/``0086``/``86`` in front, or in full-width digits: the first 3
  and last 4 digits are kept (138****5678);
- any other run of 11 or more digits (a number inside a longer digit run, an account or card
  number): all but the first 3 and last 4 digits.
Letters around a number do not protect it (``ID360102199001011234`` is masked too). Separators
inside an ID or a mobile number (one space or hyphen between digit groups) are kept. Full-width
digits are masked in place (the kept digits stay full-width).

Not masked: shorter numbers (amounts, dates, case and article numbers) and unified social
credit codes of organisations (they mix letters into the digits and are public).
"""

from __future__ import annotations

import re
from typing import Any

from ..memo import remember

_FULL = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_D = "[0-9０-９]"
_SEP = "[ \\-\u00a0－]"
# a stretch of digit groups joined by single separators (the last group may end in X); its
# repeats possessive: what follows them never takes back a digit or separator (same matches)
_STRETCH = re.compile(rf"{_D}++(?:{_SEP}{_D}++)*+(?:[XxＸｘ](?![0-9A-Za-z]))?")
_GROUP = re.compile(rf"{_D}+[XxＸｘ]?")
# 11 digits, possibly grouped: written out, with possessive separators (a digit is never a
# separator, so no backtracking can match otherwise), it matches as `D(?:S?D){10}` did, ~35 %
# faster (the regex's group repeat was the slow part)
_CANDIDATE = re.compile(_D + f"{_SEP}?+{_D}" * 10)

# Every byte "0" if an ASCII digit, space or hyphen (what an ASCII candidate is made of), else "x".
_RUN_BYTES = bytes(0x30 if chr(b) in "0123456789 -" else 0x78 for b in range(256))
_ELEVEN_DIGITS = b"0" * 11


def mask(text: str) -> str:
    if len(text) < 11:  # most strings: codes, dates, short messages
        return text
    # ASCII text (file places, case-file lines): a candidate is a run of 11+ ASCII digits, spaces
    # and hyphens, which the bytes show at a third of the regex's cost
    if text.isascii() and text.encode().translate(_RUN_BYTES).find(_ELEVEN_DIGITS) < 0:
        return text
    masked = _RECENT.get(text)
    if masked is None:
        masked = _STRETCH.sub(_mask_stretch, text) if _CANDIDATE.search(text) else text
        if len(text) <= _RECENT_LONGEST:
            remember(_RECENT, text, masked, _RECENT_MAX)
    return masked


# text → masked, for the last texts the regexes read (~11 K instructions a message): a review's
# reports of a file mask the same texts (a finding's message on its HTML page, then in its row
# of the workbook, in the same worker)
_RECENT: dict[str, str] = {}
_RECENT_MAX = 4096
# characters of a text worth keeping: messages and lines; a minified case file shown as one line
# (up to megabytes) is not kept, so the memo stays a few MB at most
_RECENT_LONGEST = 1000


def _mask_stretch(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) < 11:  # every personal number `_span` knows has 11+ digits (dates, amounts)
        return token
    if token[:-1].isdigit():  # one group (no separator; an X only last): most tokens
        return _mask_group(token)
    return _mask_groups(token)


def _mask_group(token: str) -> str:
    """`_mask_groups` of a token of one digit group: what it hides is one run of it."""
    span = _span(token.translate(_FULL), False)
    if span is None:
        return token
    head, tail, skip = span
    end = len(token) - tail
    return token[: skip + head] + "*" * (end - skip - head) + token[end:]


def _mask_groups(token: str) -> str:
    """A stretch of digit groups masked: the longest run of groups from each group on that
    reads as a personal number (`_span`) has its middle digits hidden."""
    groups = [(m.start(), m.end(), m.group().translate(_FULL)) for m in _GROUP.finditer(token)]
    hidden: set[int] = set()
    i = 0
    while i < len(groups):
        for j in range(len(groups) - 1, i - 1, -1):
            value = "".join(g[2] for g in groups[i : j + 1])
            span = _span(value, j > i)
            if span is None:
                continue
            positions = [k for g in groups[i : j + 1] for k in range(g[0], g[1])]
            head, tail, skip = span
            positions = positions[skip:]
            hidden.update(positions[head : len(positions) - tail])
            i = j
            break
        i += 1
    if not hidden:
        return token
    return "".join("*" if k in hidden else c for k, c in enumerate(token))


def _span(value: str, grouped: bool) -> tuple[int, int, int] | None:
    """(kept head, kept tail, leading digits to skip) for a personal number, else None."""
    if "X" in value.upper() and not (len(value) == 18 and value[:17].isdigit()):
        return (3, 4, 0) if len(value) >= 12 and not grouped else None  # a longer run ending in X
    if len(value) == 11 and value[0] == "1" and value[1] in "3456789":
        return 3, 4, 0  # a mobile number
    if len(value) == 13 and value.startswith("861") and value[3] in "3456789":
        return 3, 4, 2  # 86 + mobile
    if len(value) == 15 and value.startswith("00861") and value[5] in "3456789":
        return 3, 4, 4  # 0086 + mobile
    if len(value) in (15, 18) and (not grouped or _id_shaped(value)):
        return 4, 4, 0  # a resident ID number (old 15-digit or 18-character form)
    if len(value) >= 11 and not grouped:
        return 3, 4, 0  # any other long digit run: it may hold either
    return None


def _id_shaped(value: str) -> bool:
    """Region code, then a birth date (YYMMDD in the old form, YYYYMMDD in the new)."""
    if value[0] not in "12345678":
        return False
    date = value[6:12] if len(value) == 15 else value[8:14]
    if len(value) == 18 and value[6:8] not in ("18", "19", "20"):
        return False
    month, day = int(date[2:4]), int(date[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def mask_value(value: Any, numbers: bool = True) -> Any:
    """Mask strings (and, with `numbers`, integers of 11+ digits) inside nested JSON-like values."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_value(v, numbers) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v, numbers) for v in value]
    if numbers and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**10:
        return mask(str(value))
    return value


_STRING_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+"')
_NUMBER_CHAR = frozenset("0123456789-+.eE")


def _string_around(text: str, at: int) -> tuple[int, int] | None:
    """Start and end of the JSON string token holding offset `at`, or None (a number)."""
    if "\\" not in text:  # no escapes: every quote delimits a string, so count them
        if text.count('"', 0, at) % 2 == 0:
            return None
        return text.rfind('"', 0, at), text.index('"', at) + 1
    for token in _STRING_TOKEN.finditer(text):  # escapes: tokenise from the start
        if token.end() > at:
            return token.span() if token.start() < at else None
    return None


def dumps_masked(value: Any) -> str:
    """`fastjson.dumps(mask_value(value))`, computed on the encoded text (`mask_encoded`: for
    the short texts of the analysis, mostly Chinese, the text walk beats `mask_payload`'s scan
    of their 2-3× as many bytes)."""
    from .. import fastjson

    try:
        data = fastjson.orjson.dumps(value)
    except (AttributeError, TypeError):  # no orjson, or an integer beyond 64 bits
        return fastjson.dumps(mask_value(value))
    text = data.decode()
    return mask_encoded(text) if may_need_masking(data) else text


def mask_payload(data: bytes) -> bytes:
    """UTF-8 encoded compact JSON text (orjson's or pydantic's encoding of a value: a stored or
    serialised result) with its value masked: the same text as encoding `mask_value(value)`.

    Masking changes a string only where `_CANDIDATE` matches it, and an integer only when it
    has 11+ digits; both show up as a match in the encoded text (JSON keeps digits and the
    separators as they are, and no separator or digit can join two tokens), so most results
    are encoded once and never walked; where a match is, only the string or number holding
    it is decoded, masked and encoded again."""
    return apply_edits(data, mask_edits(data))


Edit = tuple[int, int, str]  # (start, end, replacement) of one token


def mask_edits(data: bytes) -> list[Edit]:
    """What `mask_payload` changes in `data`, at byte offsets (the result cache stores them
    with the result, signed, so a hit is masked without a scan)."""
    if not _ascii_candidates_only(data):
        return _text_edits(data)  # separators or digits the byte scan does not see
    runs = data.translate(_RUN_BYTES)
    at = runs.find(_ELEVEN_DIGITS)  # every candidate is in a run of 11+ digits and separators
    if at < 0:
        return []  # no candidate (most results)
    if b"\\" in data:
        return _text_edits(data)
    return _ascii_edits(data, runs, at)


def _text_edits(data: bytes) -> list[Edit]:
    """`mask_edits` by decoding the text and walking it (`_edits`): any JSON text."""
    if not may_need_masking(data):
        return []
    text = data.decode()
    edits, char, byte = [], 0, 0
    for start, end, masked in _edits(text):
        byte += len(text[char:start].encode())
        width = len(text[start:end].encode())
        edits.append((byte, byte + width, masked))
        char, byte = end, byte + width
    return edits


def apply_edits(data: bytes, edits: list[Edit]) -> bytes:
    if not edits:
        return data
    pieces, done = [], 0
    for start, end, masked in edits:
        pieces += [data[done:start], masked.encode()]
        done = end
    return b"".join(pieces) + data[done:]


# Every byte an ASCII digit ("0") or not ("x"); spaces and hyphens (the ASCII separators) deleted.
_DIGIT_OR_NOT = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_FULL_WIDTH = re.compile(rb"\xef\xbc[\x8d\x90-\x99]")  # ０-９ and －: UTF-8 EF BC 90-99, EF BC 8D
_NO_BREAK_SPACE = "\u00a0".encode()  # C2 A0 (a C2 byte at all is rare in Chinese text)


def _ascii_candidates_only(data: bytes) -> bool:
    """No full-width digit or hyphen and no no-break space in the UTF-8 text `data`: every
    `_CANDIDATE` match is then ASCII digits with single spaces or hyphens between them."""
    return _FULL_WIDTH.search(data) is None and not (b"\xc2" in data and _NO_BREAK_SPACE in data)


def may_need_masking(data: bytes) -> bool:
    """False only if `_CANDIDATE` matches nowhere in the UTF-8 text `data` (most results: the
    regex costs ~10 ns a character, this ~1). Without full-width digits or hyphens and without
    no-break spaces, a candidate is 11 ASCII digits with at most one space or hyphen between
    each two: once every space and hyphen is deleted, its digits are 11 in a row. The other
    bytes of a multi-byte character are never ASCII digits."""
    if not _ascii_candidates_only(data):
        return True  # separators or digits the shortcut does not see: the regex decides
    return _ELEVEN_DIGITS in data.translate(_DIGIT_OR_NOT, b" -")


_ASCII_CANDIDATE = re.compile(rb"[0-9]" + rb"[ \-]?+[0-9]" * 10)  # `_CANDIDATE` without its non-ASCII forms
_NUMBER_BYTES = frozenset(b"0123456789-+.eE")


def _ascii_edits(data: bytes, runs: bytes, at: int) -> list[Edit]:
    """`mask_edits` of JSON text whose candidates are all ASCII, without backslashes (so every
    quote delimits a string), worked out on the bytes: the candidate regex runs only over the
    runs of 11+ digits and separators (`runs`: `data.translate(_RUN_BYTES)`), from the first at
    `at` (a result holding a candidate has ~2 such runs in ~10 KB: the regex over all of it
    was ~2/3 of its masking), and a token met twice (a finding's message and its basis) is
    masked once. The same edits as decoding and walking the text (`_text_edits`): tested."""
    from .. import fastjson

    edits: list[Edit] = []
    masked_tokens: dict[bytes, str] = {}
    quotes = counted = 0  # quotes: how many quotes data[:counted] holds
    while at >= 0:
        done = runs.find(b"x", at)  # the run's end
        if done < 0:
            done = len(data)
        match = _ASCII_CANDIDATE.search(data, at, done)
        if match is not None:
            at = match.start()
            quotes += data.count(b'"', counted, at)
            counted = at
            if quotes % 2:  # inside a string (a key is never masked)
                start, done = data.rfind(b'"', 0, at), data.index(b'"', at) + 1
                token = data[start:done]
                if not data.startswith(b":", done):
                    masked = masked_tokens.get(token)
                    if masked is None:
                        masked = masked_tokens[token] = fastjson.dumps(mask(token[1:-1].decode()))
                    if masked.encode() != token:
                        edits.append((start, done, masked))
            else:  # inside a number: an integer of 11+ digits becomes a masked string
                start, done = _number_around(data, at, _NUMBER_BYTES)
                number = data[start:done].decode()
                if number.lstrip("-").isdigit() and abs(int(number)) >= 10**10:
                    edits.append((start, done, fastjson.dumps(mask(number))))
        at = runs.find(_ELEVEN_DIGITS, done)
    return edits


def mask_encoded(text: str) -> str:
    """Compact JSON text with its value masked, as `mask_payload` on its encoding gives it."""
    pieces, done = [], 0
    for start, end, masked in _edits(text):
        pieces += [text[done:start], masked]
        done = end
    return "".join(pieces) + text[done:] if pieces else text


def _edits(text: str) -> list[Edit]:
    """The tokens of `text` (compact JSON) that masking changes, with their masked encoding."""
    from .. import fastjson

    edits: list[Edit] = []
    done = 0
    for match in _CANDIDATE.finditer(text):
        at = match.start()
        if at < done:
            continue  # inside a token already masked
        span = _string_around(text, at)
        if span is not None:  # inside a string (a key is never masked)
            start, end = span
            if text.startswith(":", end):
                continue
            masked = fastjson.dumps(mask(fastjson.loads(text[start:end])))
        else:  # inside a number: an integer of 11+ digits becomes a masked string
            start, end = _number_around(text, at, _NUMBER_CHAR)
            number = text[start:end]
            if not number.lstrip("-").isdigit() or abs(int(number)) < 10**10:
                continue
            masked = fastjson.dumps(mask(number))
        done = end
        if masked != text[start:end]:
            edits.append((start, end, masked))
    return edits


def _number_around(data: Any, at: int, chars: frozenset[Any]) -> tuple[int, int]:
    """The span of the JSON number around `at` in `data` (text, or bytes with `chars` as byte
    values): the run of `chars` it lies in."""
    start = end = at
    while start > 0 and data[start - 1] in chars:
        start -= 1
    while end < len(data) and data[end] in chars:
        end += 1
    return start, end


def mask_result(result: Any) -> Any:
    """A masked copy of a CaseResult (for writers that render the model, not strings)."""
    data = result.model_dump(mode="json")
    try:
        return type(result).model_validate(mask_value(data))
    except ValueError:  # a typed integer field held an 11+ digit number: keep it a number
        return type(result).model_validate(mask_value(data, numbers=False))
