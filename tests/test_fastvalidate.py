"""The fast validator (unknown markers and dates in pydantic-core) and the models' own validators
agree: whenever the fast one accepts a case file, the model is the one the reference makes."""

from __future__ import annotations

import copy
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import SchemaValidator, core_schema

from casereview.load import InputRejected, read_document, validate_case
from casereview.load.fastvalidate import (
    build_fast_validator,
    data_may_be_padded,
    fast_validator,
    may_be_padded,
)
from casereview.load.jsonpos import encode_compact
from casereview.model.case import CaseFile
from casereview.model.unknown import (
    UNKNOWN_WORDS,
    _unknown_or,
    as_unknown,
    native_day,
    native_unknown_or,
    parse_day,
)

ROOT = Path(__file__).resolve().parents[1]
FAST = build_fast_validator(CaseFile)


def _reference(data: Any) -> CaseFile | None:
    try:
        return CaseFile.model_validate(data)
    except ValidationError:
        return None


UNPADDED = build_fast_validator(CaseFile, padded=False)


def _agree(data: Any) -> None:
    fast_validators = [FAST] if data_may_be_padded(data) else [FAST, UNPADDED]
    for validator in fast_validators:
        _agree_with(validator, data)


def _agree_with(validator: SchemaValidator, data: Any) -> None:
    try:
        fast = validator.validate_python(copy.deepcopy(data))
    except ValidationError:
        return  # refused: the reference decides (and reports)
    reference = _reference(data)
    assert reference is not None, "the fast validator accepted a file the model refuses"
    assert type(fast) is CaseFile
    assert fast == reference
    assert fast.model_dump(warnings=False) == reference.model_dump(warnings=False)


@pytest.fixture(scope="module")
def golden_files(tmp_path_factory) -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from test_golden_results import write_golden_corpus
    finally:
        sys.path.remove(str(ROOT / "tests"))
    return [case for case, _ in write_golden_corpus(tmp_path_factory.mktemp("golden"))]


def test_agrees_on_the_golden_corpus(golden_files: list[Path]) -> None:
    """Generated files, the same with facts marked 未载明 or dates cut to the month, broken files."""
    accepted = 0
    for path in golden_files:
        try:
            data = read_document(path).data
        except InputRejected:
            continue
        _agree(data)
        accepted += _reference(data) is not None
    assert accepted > 300


def test_validate_case_uses_it_and_reports_as_before(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"case": {"number": "X", "agency": {"name": "某局"}, "opened_on": "2021-02-30"}}')
    doc = read_document(path)
    assert not doc.markers
    for _ in range(3):  # the fast validator is built on the second use
        with pytest.raises(InputRejected) as caught:
            validate_case(doc)
        assert [(e.line, e.field, e.message) for e in caught.value.errors] == [
            (1, "case.opened_on", "日期 2021-02-30 无效")
        ]
    assert doc.padded is False
    assert fast_validator(CaseFile, markers=False, padded=False) is not None


def test_a_file_with_a_marker_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "marked.json"
    path.write_text('{"case": {"number": "X", "agency": {"name": "某局"}, "title": "\\u672a\\u77e5"}}')
    assert read_document(path).markers
    assert validate_case(read_document(path)).case.title == as_unknown("未知")  # an escaped marker
    path.write_text(
        '{"case": {"number": "X", "agency": {"name": "某局"}, "title": " Un\u212anown "}}', "utf-8"
    )
    doc = read_document(path)
    assert doc.markers
    for _ in range(3):
        assert validate_case(doc).case.title == as_unknown("unknown")


# -- the native pieces against the Python functions they replace ---------------------------------


def _pair(inner: Any) -> tuple[SchemaValidator, SchemaValidator]:
    """(native, reference) validators of `maybe(inner)`."""
    reference = core_schema.no_info_wrap_validator_function(_unknown_or, inner)
    return SchemaValidator(native_unknown_or(inner)), SchemaValidator(reference)


STR = core_schema.str_schema(strip_whitespace=True)
NATIVE_STR, REFERENCE_STR = _pair(STR)
NATIVE_INT, REFERENCE_INT = _pair(core_schema.nullable_schema(core_schema.int_schema(strict=True)))
NATIVE_LIST, REFERENCE_LIST = _pair(core_schema.list_schema(STR))
NATIVE_DAY = SchemaValidator(native_day())


def _outcome(function: Any, value: Any) -> Any:
    try:
        return ("ok", function(value))
    except (ValidationError, ValueError):
        return ("error", None)


def test_marker_pattern_strips_and_folds_like_python() -> None:
    """Every code point: around a marker word (str.strip) and in place of each of its letters
    (str.lower) — the pattern and Python agree."""
    word = "unknown"
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        padded = f"{char}未载明{char}"
        assert (NATIVE_STR.validate_python(padded) == as_unknown("未载明")) == (padded.strip() == "未载明"), (
            hex(code)
        )
        if char.lower() in "unkow" or char.isascii():
            for i in range(len(word)):
                spelled = word[:i] + char + word[i + 1 :]
                native = NATIVE_STR.validate_python(spelled)
                assert (native == as_unknown("unknown")) == (spelled.lower() in UNKNOWN_WORDS), spelled


_PIECES = st.sampled_from(
    [" ", "\t", "\n", "\u3000", "\xa0", "\x1c", "\u212a", "K", "k", "U", "n", "未载明", "未知", "不详", "x"]
)
_TEXT = st.lists(_PIECES, max_size=6).map("".join) | st.text(max_size=12)
_KEYS = st.sampled_from(["unknown", " 未载明", "UNKNOWN", "reason", "原因", "未知", "x"])
_VALUES = st.recursive(
    _TEXT | st.integers(-5, 5) | st.booleans() | st.none() | st.floats(allow_nan=False),
    lambda inner: st.dictionaries(_KEYS | _TEXT, inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=500, deadline=None)
@given(_VALUES)
def test_native_marker_is_the_wrap_validator(value: Any) -> None:
    for native, reference in ((NATIVE_STR, REFERENCE_STR), (NATIVE_INT, REFERENCE_INT)):
        assert _outcome(native.validate_python, value) == _outcome(reference.validate_python, value)
    for item in (value, [value], [value, "x"]):
        assert _outcome(NATIVE_LIST.validate_python, item) == _outcome(REFERENCE_LIST.validate_python, item)


_DATES = st.one_of(
    st.dates(dt.date(1850, 1, 1), dt.date(2150, 12, 31)).map(str),
    st.dates(),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 1, 1)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2030, 1, 1)).map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.from_regex(r"\A\s?[0-9]{1,4}[-/.年]?[0-9]{0,2}[-/.月]?[0-9]{0,2}日?\s?\Z"),
    st.integers(1800, 2200),
    st.booleans(),
    st.text(max_size=10),
)


@settings(max_examples=500, deadline=None)
@given(_DATES)
def test_native_day_is_parse_day(value: Any) -> None:
    assert _outcome(NATIVE_DAY.validate_python, value) == _outcome(parse_day, value)


# -- whole case files with one field changed ----------------------------------------------------


def _fields(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _fields(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _fields(value, (*path, i))
    return found


_SAMPLE = read_document(ROOT / "rules" / "examples" / "general.yaml").data
_SAMPLE_FIELDS = _fields(_SAMPLE)
_REPLACEMENTS = _VALUES | _DATES | st.sampled_from([[], {}, ["未载明"], {"unknown": True, "reason": "x"}])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_SAMPLE_FIELDS), _REPLACEMENTS), min_size=1, max_size=3))
def test_agrees_with_fields_changed(changes: list[tuple[tuple, Any]]) -> None:
    data = copy.deepcopy(_SAMPLE)
    for path, value in changes:
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a container on the way
    _agree(data)


# -- files without a marker word: validated without looking for markers -------------------------


def test_without_markers_agrees_on_the_golden_corpus(golden_files: list[Path]) -> None:
    plain = build_fast_validator(CaseFile, markers=False)
    checked = 0
    for path, doc in _readable(golden_files):
        if doc.markers:
            continue
        checked += 1
        try:
            fast = plain.validate_python(copy.deepcopy(doc.data))
        except ValidationError:
            continue
        assert fast == _reference(doc.data), path
    assert checked > 150


def _readable(paths: list[Path]) -> Iterator[tuple[Path, Any]]:
    """(path, document) of every file that reads (the others are refused before validation)."""
    for path in paths:
        try:
            yield path, read_document(path)
        except InputRejected:
            continue


def _strings(node: Any) -> list[Any]:
    """Every string and mapping in parsed data (keys included)."""
    found: list[Any] = []
    if isinstance(node, str):
        found.append(node)
    elif isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            found += [*_strings(key), *_strings(value)]
    elif isinstance(node, list):
        for value in node:
            found += _strings(value)
    return found


_WORDY = st.lists(
    st.sampled_from(
        ["un", "UN", "k", "\u212a", "nown", "NOWN", "未", "载明", "未载明", "未知", "不详", " ", "\n", "x"]
    ),
    max_size=5,
).map("".join)
_WORDY_DATA = st.recursive(
    _WORDY | st.integers(0, 3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_WORDY, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_WORDY_DATA, st.sampled_from(["json", "json-ascii", "yaml-block", "yaml-flow", "yaml-narrow"]))
def test_a_file_holding_a_marker_is_never_taken_for_one_without(value: Any, style: str) -> None:
    """Whatever the dumper does to a string (escapes, quoting, folding long lines), a file whose
    parsed data holds a marker is known to possibly hold one."""
    import json

    import yaml

    from casereview.load import parse_text
    from casereview.model.unknown import may_hold_marker

    document = {"x": value}
    if style.startswith("json"):
        text = json.dumps(document, ensure_ascii=style == "json-ascii", indent=1)
    else:
        text = yaml.safe_dump(
            document,
            allow_unicode=True,
            default_flow_style=style == "yaml-flow",
            width=8 if "narrow" in style else 80,
        )
    try:
        doc = parse_text(text, "x", fmt="json" if style.startswith("json") else "yaml")
    except InputRejected:
        return
    holds = any(as_unknown(item) is not None for item in _strings(doc.data))
    if holds:
        assert may_hold_marker(text), text
        assert doc.markers, text  # JSON: looked for in the parsed data's strings


@pytest.mark.parametrize(
    "text, may",
    [
        ("title: 未如实记录", False),
        ("title: 已知", False),
        ("title: 未知", True),
        ("title: 不详", True),
        ("title: 未载明", True),
        ("title: UNKNOWN", True),
        ("title: un\u212anown", True),
        ('title: "\\u672a\\u77e5"', True),
        ("title: known", True),  # conservative: only costs the marker checks
    ],
)
def test_marker_words_in_the_text(text: str, may: bool) -> None:
    from casereview.model.unknown import may_hold_marker

    assert may_hold_marker(text) is may


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="未载明知不详已nNoOwWkK\u212a\\ x", max_size=12))
def test_marker_words_found_by_their_first_characters(text: str) -> None:
    """The search by first characters says what searching for each word says."""
    from casereview.model.unknown import UNKNOWN_WORDS, may_hold_marker

    words = [w for w in UNKNOWN_WORDS if not w.isascii()]
    ascii_lower = text.encode("utf-8").lower().decode("utf-8")
    expected = "\\" in text or any(w in text for w in words) or "nown" in ascii_lower
    assert may_hold_marker(text) is expected


# -- strings that need no stripping: validated without str_strip_whitespace -----------------------


def _json_encoding(data: Any) -> bytes:
    """`encode_compact` without orjson."""
    import json

    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def test_every_white_space_pydantic_strips_is_noticed() -> None:
    """Every code point that pydantic's stripping removes at either end of a string (value, key,
    list item), with either encoder, makes the data possibly padded."""
    strip = SchemaValidator(core_schema.str_schema(strip_whitespace=True))
    stripped = set()
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for text in (f"{char}a", f"a{char}"):
            if strip.validate_python(text) == text:
                continue
            stripped.add(char)
            for data in ({"k": text}, {text: 1}, {"k": ["x", text]}):
                for encode in (encode_compact, _json_encoding):
                    assert may_be_padded(encode(data)), (hex(code), text)
    assert len(stripped) == 25  # Unicode's White_Space


# white space Rust's trim strips beyond ASCII (a wide space counts anywhere in a string)
_WIDE_SPACES = "\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"a中、。《》〔〕\u3001\u3000\u2000\u2010\u1680\u1690\xa0\xa1", "退"]), max_size=12
    )
)
def test_padded_near_wide_spaces(chars: list[str]) -> None:
    """Text of characters whose UTF-8 shares bytes with the wide spaces (CJK punctuation E3 80 ..,
    E2 80 .., 退 E9 80 80): possibly padded exactly when it holds a wide space."""
    value = "".join(chars)
    expected = any(c in _WIDE_SPACES for c in value)
    for data in ({"k": value}, {value: 1}, {"k": ["x", value]}):
        assert may_be_padded(encode_compact(data)) is expected, value


@pytest.mark.parametrize(
    "value, padded",
    [
        ("张明", False),
        ("a b", False),
        (" a", True),
        ("a ", True),
        ("a\n", True),
        ("a\u3000", True),
        ("\xa0a", True),
        ("“引号”", False),
        ("、。《》", False),
        ("中\u3000文", True),  # conservative: a wide space anywhere
    ],
)
def test_padded_strings(value: str, padded: bool) -> None:
    assert data_may_be_padded({"case": {"title": value, "handlers": ["x"]}}) is padded
    assert data_may_be_padded({"case": {value: 1}}) is padded


def test_unpadded_agrees_on_the_golden_corpus(golden_files: list[Path]) -> None:
    checked = 0
    for _, doc in _readable(golden_files):
        if data_may_be_padded(doc.data):
            continue
        checked += 1
        _agree_with(UNPADDED, doc.data)
        if not doc.markers:
            _agree_with(build_fast_validator(CaseFile, markers=False, padded=False), doc.data)
    assert checked > 150


_PADS = st.sampled_from([" ", "\t", "\n", "\u3000", "\xa0", "\x85", "\u2028", "\x1c", "", "", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_SAMPLE_FIELDS), _PADS, _PADS), min_size=1, max_size=4))
def test_strings_padded_in_place_agree(changes: list[tuple[tuple, str, str]]) -> None:
    """Strings of the sample with white space added at their ends: possibly padded, or validated
    the same without stripping."""
    data = copy.deepcopy(_SAMPLE)
    for path, before, after in changes:
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent[path[-1]], str):
            parent[path[-1]] = before + parent[path[-1]] + after
    _agree(data)


# -- the build marks the model classes incomplete for a moment: harmless to other threads ---------


def test_what_another_thread_does_during_the_build_is_unchanged(monkeypatch) -> None:
    """While the fast validator is built, the model classes are marked incomplete (pydantic-core
    would otherwise reuse each class's own validator for its nested schema). Only two things
    read the mark: a validator or serializer built meanwhile (it builds its own copy from the same
    schema instead of reusing the class's) and `model_rebuild` (never called by the engine; it
    would build the same again). Validating, dumping and building in that moment give what they
    give outside it, and every class is complete with its own validator afterwards."""
    from pydantic import TypeAdapter

    from casereview.load import fastvalidate

    data = copy.deepcopy(_SAMPLE)
    expected = CaseFile.model_validate(data)
    classes = fastvalidate._model_classes(CaseFile.__pydantic_core_schema__, set())
    validators = {cls: cls.__pydantic_validator__ for cls in classes}
    prebuilt = build_fast_validator(CaseFile)
    seen: list[Any] = []

    def meanwhile(schema: Any) -> SchemaValidator:
        assert CaseFile.__pydantic_complete__ is False  # inside the window
        seen.append(CaseFile.model_validate(data))
        seen.append(prebuilt.validate_python(copy.deepcopy(data)))
        seen.append(TypeAdapter(list[CaseFile]).validate_python([data])[0])
        seen.append(CaseFile.model_validate_json(expected.model_dump_json()))
        return SchemaValidator(schema)

    monkeypatch.setattr(fastvalidate, "SchemaValidator", meanwhile)
    built = fastvalidate.build_fast_validator(CaseFile, markers=False, padded=False)
    assert len(seen) == 4 and all(model == expected for model in seen)
    assert built.validate_python(copy.deepcopy(data)) == expected
    for cls in classes:
        assert cls.__dict__["__pydantic_complete__"] is True
        assert cls.__pydantic_validator__ is validators[cls]
    assert CaseFile.model_validate(data) == expected


def test_an_escaped_json_file_without_a_marker_is_known_to_hold_none(tmp_path: Path) -> None:
    """A JSON file is looked at for markers once parsed (its strings with escapes undone): a file
    exported with every character escaped no longer counts as possibly marked."""
    import json

    path = tmp_path / "escaped.json"
    document = {"case": {"number": "X", "agency": {"name": "某局"}, "title": "未如实记录"}}
    path.write_text(json.dumps(document, ensure_ascii=True), "ascii")
    assert "\\u" in path.read_text() and not read_document(path).markers
    document["case"]["title"] = "未知"
    path.write_text(json.dumps(document, ensure_ascii=True), "ascii")
    assert read_document(path).markers
    path.write_text(json.dumps(document, ensure_ascii=False), "gb18030")
    assert read_document(path).markers
    for _ in range(3):
        assert validate_case(read_document(path)).case.title == as_unknown("未知")


@pytest.mark.parametrize(
    "title, padded",
    [("案由", False), ("'案由 '", None), ("|\n    案由\n", True), (">-\n    案由\n", True)],
)
def test_a_yaml_file_is_validated_as_the_model_does(tmp_path: Path, title: str, padded: Any) -> None:
    """The YAML fast path tells a file without padded strings; block scalars (ending with a line
    break) are taken as padded without encoding the data; other files are looked at if needed."""
    path = tmp_path / "a.yaml"
    path.write_text(f"case:\n  number: X\n  agency: {{name: 某局}}\n  title: {title}\n", "utf-8")
    doc = read_document(path)
    assert doc.padded is padded
    for _ in range(3):
        assert validate_case(read_document(path)) == CaseFile.model_validate(doc.data)
