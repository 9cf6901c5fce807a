"""A second validator per model that does the unknown-marker and date work in pydantic-core.

The models' own validators call Python for every field that may be 未载明 (`_unknown_or`, ~180
times a case file) and for every date (`parse_day`): about half of validation. The fast
validator is built from the same core schema with those two functions replaced by their native
equivalents (`native_unknown_or`, `native_day` in model/unknown.py), so it makes the same model
instances. It is only trusted to succeed: a file it refuses is validated again by the model
itself, whose errors (and Chinese messages) are the ones reported.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator

from ..model import unknown

_lock = threading.Lock()
_built: dict[tuple[type[BaseModel], bool], SchemaValidator | None] = {}
_seen: set[tuple[type[BaseModel], bool]] = set()


def fast_validator(model: type[BaseModel], markers: bool = True) -> SchemaValidator | None:
    """The fast validator of `model` (None if it would be the model's own), built on its second
    use: a one-file check does not pay the ~5 ms build. With `markers` False it is for data
    known to hold no unknown marker (`may_hold_marker`) and does not look for one (~30 %
    faster still)."""
    key = (model, markers)
    if key in _built:
        return _built[key]
    if key not in _seen:
        _seen.add(key)
        return None
    with _lock:
        if key not in _built:
            _built[key] = build_fast_validator(model, markers)
    return _built[key]


def build_fast_validator(model: type[BaseModel], markers: bool = True) -> SchemaValidator | None:
    replaced = [0]
    schema = _native(model.__pydantic_core_schema__, replaced, markers)
    if not replaced[0]:
        return None
    # pydantic-core reuses a complete model class's own validator for every model schema naming
    # that class; marked incomplete while building, each nested model gets the native schema
    classes = _model_classes(schema, set())
    complete = {cls: cls.__dict__.get("__pydantic_complete__") for cls in classes}
    try:
        for cls in classes:
            type.__setattr__(cls, "__pydantic_complete__", False)
        return SchemaValidator(schema)
    finally:
        for cls, flag in complete.items():
            type.__setattr__(cls, "__pydantic_complete__", flag)


def _native(node: Any, replaced: list[int], markers: bool) -> Any:
    """A copy of core schema `node` with the Python unknown and date validators made native
    (without `markers`, the unknown validator is left out: nothing it could find is there)."""
    if isinstance(node, list):
        return [_native(item, replaced, markers) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    function = node.get("function")
    function = function.get("function") if isinstance(function, dict) else None
    if kind == "function-wrap" and function is unknown._unknown_or:
        replaced[0] += 1
        inner = _native(node["schema"], replaced, markers)
        return unknown.native_unknown_or(inner) if markers else inner
    if kind == "function-plain" and function is unknown.parse_day:
        replaced[0] += 1
        return unknown.native_day()
    return {
        key: value if key == "metadata" else _native(value, replaced, markers) for key, value in node.items()
    }


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
