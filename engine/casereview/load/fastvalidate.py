"""A second validator per model that does the unknown-marker and date work in pydantic-core.

The models' own validators call Python for every field that may be 未载明 (`_unknown_or`, ~180
times a case file) and for every date (`parse_day`): about half of validation. The fast
validator is built from the same core schema with those two functions replaced by their native
equivalents (`native_unknown_or`, `native_day` in model/unknown.py), so it makes the same model
instances. It is only trusted to succeed: a file it refuses is validated again by the model
itself, whose errors (and Chinese messages) are the ones reported.

Data whose strings hold no white space at either end (`may_be_padded`) is validated without the
models' `str_strip_whitespace`: stripping makes a new string of every text value (~20 % of
validation) and changes none of them there.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator

from ..model import unknown
from .jsonpos import encode_compact

_lock = threading.Lock()
_Key = tuple[type[BaseModel], bool, bool]
_built: dict[_Key, SchemaValidator | None] = {}
_seen: set[_Key] = set()


def fast_validator(
    model: type[BaseModel], markers: bool = True, padded: bool = True
) -> SchemaValidator | None:
    """The fast validator of `model` (None if it would be the model's own), built on its second
    use: a one-file check does not pay the ~5 ms build. With `markers` False it is for data
    known to hold no unknown marker (`may_hold_marker`) and does not look for one (~30 %
    faster still); with `padded` False for data whose strings need no stripping
    (`may_be_padded`), and strips none."""
    key = (model, markers, padded)
    if key in _built:
        return _built[key]
    if key not in _seen:
        _seen.add(key)
        return None
    with _lock:
        if key not in _built:
            _built[key] = build_fast_validator(model, markers, padded)
    return _built[key]


# what Rust's str::trim (pydantic's str_strip_whitespace) removes beside ASCII white space, as
# UTF-8: U+0085, U+00A0 (C2 ..), U+1680 (E1 ..), U+2000..U+200A, U+2028, U+2029, U+202F, U+205F
# (E2 ..), U+3000 (E3 80 80, found by `in`: ~40 % fewer instructions than a pattern in Chinese
# text, where E3 starts CJK punctuation).
_SPACE_E2 = re.compile(rb"\xe2(?:\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)")


def may_be_padded(encoded: bytes) -> bool:
    """Whether a string of data encoded as compact JSON (`encode_compact`) may begin or end with
    white space. False only if none does: compact JSON has no space outside strings, an ASCII
    space at a string's end is next to its quote, the other ASCII white space is escaped (a
    backslash) and the wider spaces are looked for anywhere. ~4 us a file."""
    if b"\\" in encoded or (b" " in encoded and (b'" ' in encoded or b' "' in encoded)):
        return True
    if b"\xe2" in encoded and _SPACE_E2.search(encoded):
        return True
    if b"\xc2" in encoded and (b"\xc2\x85" in encoded or b"\xc2\xa0" in encoded):
        return True
    if b"\xe1" in encoded and b"\xe1\x9a\x80" in encoded:
        return True
    return b"\xe3\x80\x80" in encoded


def data_may_be_padded(data: Any) -> bool:
    """`may_be_padded` of parsed data (True if it cannot be encoded, e.g. bytes or a date-time)."""
    try:
        return may_be_padded(encode_compact(data))
    except Exception:
        return True


def build_fast_validator(
    model: type[BaseModel], markers: bool = True, padded: bool = True
) -> SchemaValidator | None:
    replaced = [0]
    schema = _native(model.__pydantic_core_schema__, replaced, markers, padded)
    if not replaced[0] and padded:
        return None
    # pydantic-core reuses a complete model class's own validator for every model schema naming
    # that class; marked incomplete while building, each nested model gets the native schema.
    # Harmless to other threads meanwhile: validators already built never read the mark; one
    # built meanwhile makes its own copy of the class's validator instead of reusing it
    # (tests/test_fastvalidate.py); only pydantic's model_rebuild also reads it (never called).
    classes = _model_classes(schema, set())
    complete = {cls: cls.__dict__.get("__pydantic_complete__") for cls in classes}
    try:
        for cls in classes:
            type.__setattr__(cls, "__pydantic_complete__", False)
        return SchemaValidator(schema)
    finally:
        for cls, flag in complete.items():
            type.__setattr__(cls, "__pydantic_complete__", flag)


def _native(node: Any, replaced: list[int], markers: bool, padded: bool = True) -> Any:
    """A copy of core schema `node` with the Python unknown and date validators made native
    (without `markers`, the unknown validator is left out: nothing it could find is there;
    without `padded`, strings are not stripped: none needs it)."""
    if isinstance(node, list):
        return [_native(item, replaced, markers, padded) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    function = node.get("function")
    function = function.get("function") if isinstance(function, dict) else None
    if kind == "function-wrap" and function is unknown._unknown_or:
        replaced[0] += 1
        inner = _native(node["schema"], replaced, markers, padded)
        return unknown.native_unknown_or(inner) if markers else inner
    if kind == "function-plain" and function is unknown.parse_day:
        replaced[0] += 1
        return unknown.native_day()
    copied = {
        key: value if key == "metadata" else _native(value, replaced, markers, padded)
        for key, value in node.items()
    }
    if kind == "model" and not padded:
        copied["config"] = {**copied.get("config", {}), "str_strip_whitespace": False}
    return copied


def _model_classes(node: Any, found: set[type]) -> set[type]:
    if isinstance(node, list):
        for item in node:
            _model_classes(item, found)
    elif isinstance(node, dict):
        if node.get("type") == "model":
            found.add(node["cls"])
        for key, value in node.items():
            if key != "metadata":
                _model_classes(value, found)
    return found
