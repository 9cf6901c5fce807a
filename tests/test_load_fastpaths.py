"""Fast paths of reading and parsing agree with the slow ones they skip."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.load import InputRejected, jsonpos, read_document, reader
from casereview.load.fastvalidate import may_be_padded
from casereview.load.source import locate_in, parse_text


def _characters() -> list[str]:
    return [chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_control_characters_are_control_bytes(encoding: str) -> None:
    """The byte check can skip the text search: in these encodings a character is a refused
    control character exactly when its bytes hold a control byte."""
    for char in _characters():
        try:
            data = char.encode(encoding)
        except UnicodeEncodeError:
            continue
        assert reader._has_control_bytes(data) == (reader._CONTROL.search(char) is not None), hex(ord(char))


def _decoded(data: bytes, *, full_search: bool) -> tuple:
    saved = reader._has_control_bytes
    if full_search:
        reader._has_control_bytes = lambda _data: True
    try:
        decoded = reader.decode_bytes(data, "x.yaml")
        return ("ok", decoded.text, decoded.encoding, decoded.notes)
    except InputRejected as exc:
        return ("rejected", [(e.line, e.column, e.message) for e in exc.errors])
    finally:
        reader._has_control_bytes = saved


_TEXTS = st.text(alphabet=st.sampled_from(list("ab中文\t\n\r\x00\x01\x0b\x1f\x7f\x85é 　")), max_size=20)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sampled_from(["utf-8", "gb18030", "utf-8-sig", "utf-16"]))
def test_decoding_with_and_without_the_text_search(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    assert _decoded(data, full_search=False) == _decoded(data, full_search=True)


def _read_json(data: bytes, *, controls_first: bool) -> tuple:
    """`read_document` of JSON bytes, or (`controls_first`) the reader's control-character search
    before the parse, as every file had it."""
    try:
        if controls_first:
            decoded = reader.decode_bytes(data, "x.json", markers=False)
            doc = parse_text(decoded.text, "x.json", fmt="json", notes=decoded.notes, utf8=decoded.utf8)
        else:
            doc = read_document("x.json", data=data)
        return ("ok", repr(doc.data), doc.notes)
    except InputRejected as exc:
        return ("rejected", [(e.file, e.line, e.column, e.field, e.message) for e in exc.errors])


_JSON_CONTROLS = st.sampled_from(["\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\t", "\r", "\\", '"', "x"])


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.text(alphabet="a中:", max_size=3), st.text(alphabet="b文 ", max_size=3), max_size=3),
    st.sampled_from([None, 1]),
    st.lists(st.tuples(st.integers(0, 10_000), _JSON_CONTROLS), max_size=3),
    st.sampled_from(["utf-8", "gb18030", "utf-8-sig", "utf-16"]),
)
def test_json_control_characters_refused_as_the_reader_refuses_them(
    value: dict, indent: Any, edits: list, encoding: str
) -> None:
    """A JSON file is not searched for control characters before its parse (JSON refuses them
    all but DEL, looked for alone): whether it is refused, and the errors, are the same."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    for offset, char in edits:
        offset %= len(text) + 1
        text = text[:offset] + char + text[offset:]
    data = text.encode(encoding)
    assert _read_json(data, controls_first=False) == _read_json(data, controls_first=True)


@pytest.mark.parametrize(
    "name",
    [
        "a.json",
        "A.JSON",
        "..json",
        ".json",
        "d/.json",
        "d.json/a.yaml",
        "a.json.yaml",
        "a.yml",
        "a",
        "a.jsonl",
    ],
)
def test_a_file_is_json_by_its_suffix_as_path_says(name: str) -> None:
    doc = read_document(name, data=b'{"a": 1}')
    assert doc.format == ("json" if Path(name).suffix.lower() == ".json" else "yaml")


def test_del_in_a_json_string_is_refused_where_it_is() -> None:
    with pytest.raises(InputRejected) as info:
        read_document("x.json", data=b'{"a":\n  "b\x7fc"}')
    (error,) = info.value.errors
    assert (error.line, error.column) == (2, 5) and "U+007F" in error.message


# -- JSON: the top-level object walked in Python, its values parsed in C -------------------------

_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet='a中"\\:{}', max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='ab中"\\', max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)
_EDITS = st.sampled_from(["", "}", ",", " ", "\n", '"a": 1,', "NaN", "[", "\\", '"', "1e400", "\x00", "\t"])


def _parsed(text: str, *, reference: bool) -> tuple:
    try:
        # repr: the same types too (2**64 == float(2**64))
        if reference:
            return ("ok", repr(jsonpos._parse_reference(text, "x.json")))
        data = jsonpos.parse_json(text, "x.json")[0]
        # the same when orjson is given the text's bytes (as `read_document` gives a UTF-8 file's)
        assert repr(jsonpos.parse_json(text, "x.json", text.encode())[0]) == repr(data)
        return ("ok", repr(data))
    except InputRejected as exc:
        return ("rejected", [(e.line, e.column, e.field, e.message) for e in exc.errors])


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.text(alphabet='ab中"\\', max_size=3), _JSON_VALUES, max_size=4) | _JSON_VALUES,
    st.sampled_from([None, 0, 1, "\t"]),
    st.sampled_from([None, (",", ":"), (" , ", " : ")]),
    st.lists(st.tuples(st.integers(0, 10_000), _EDITS), max_size=2),
)
def test_json_parse_equals_the_reference(value: Any, indent: Any, separators: Any, edits: list) -> None:
    """Same data, or the same errors, on valid JSON and on JSON broken in random places."""
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False)
    for offset, piece in edits:
        offset %= len(text) + 1
        text = text[:offset] + piece + text[offset:]
    assert _parsed(text, reference=False) == _parsed(text, reference=True)
    if text.lstrip().startswith("{") and _parsed(text, reference=True)[0] == "ok":
        positions = jsonpos.json_positions(text)[0]
        locator = jsonpos.parse_json(text, "x.json")[1]
        for path in positions:  # the members noted while parsing are where the full scan puts them
            assert locator.locate(path) == positions[path], path


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"a": NaN}',
        '{"a": 1,}',
        '{"a": 1} x',
        "[1]",
        "  ",
        '{"a": {"b": 1, "b": 2}}',
        "{}",
        '{"a": "x:y", "a": 1}',
        '{"a": 1, "b": {"a": "::", "a": 2}}',
        '{"\\u0061": 1, "a": 2}',
        # an escaped colon in a value would make up for the member a duplicate drops
        '{"x": "\\u003a", "a": 1, "a": 1}',
        '{"x": "\\u003A", "a": 1, "a": 1}',
        '{"a": 123456789012345678901234567890}',
        '{"a": 1e400}',
    ],
)
def test_json_parse_unusual_texts(text: str) -> None:
    assert _parsed(text, reference=False) == _parsed(text, reference=True)


@pytest.mark.parametrize(
    "text",
    [
        '{"x": {"k": 1}, "k": 2}',
        '{"x": "k", "k": 2}',
        '{"x": ["k", {"k": 1}]}',
        '{"k" :\n 1, "x": {"k" : 2}}',
    ],
)
def test_a_top_level_member_found_by_its_key_is_the_top_level_one(text: str) -> None:
    positions = jsonpos.json_positions(text)[0]
    locator = jsonpos.parse_json(text, "x.json")[1]
    for path in [("k",), ("k", "z"), ("x", "k"), ("x", 1, "k")]:
        assert locator.locate(path) == locate_in(positions, path), path


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True))
def test_json_numbers_parse_as_the_reference_does(number: str) -> None:
    text = f'{{"a": {number}, "b": [{number}]}}'
    assert _parsed(text, reference=False) == _parsed(text, reference=True)


@pytest.mark.parametrize(
    "number",
    [
        "9223372036854775807",
        "9223372036854775808",  # orjson: an unsigned 64-bit integer
        "18446744073709551615",
        "18446744073709551616",  # orjson: a float equal to it
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "1e16",
        "1.5e300",
        "12345678901234567.5",
    ],
)
def test_integers_beyond_64_bits_stay_integers(number: str, tmp_path: Path) -> None:
    """orjson reads an integer beyond 64 bits as a float: such texts are read again by `json`."""
    text = f'{{"a": {number}, "b": [{number}, "e+"]}}'
    assert _parsed(text, reference=False) == _parsed(text, reference=True)
    data = jsonpos.parse_json(text, "x.json")[0]
    assert type(data["a"]) is type(json.loads(number)) and data["a"] == json.loads(number)
    path = tmp_path / "a.json"
    path.write_text(text)
    assert repr(read_document(path).data) == repr(json.loads(text))


def test_a_json_field_is_located_the_same_however_it_is_named(tmp_path) -> None:
    from casereview.load import read_document

    path = tmp_path / "a.json"
    lines = [
        "{",
        ' "case": {',
        '  "number": "X",',
        '  "agency": {"name": "某局"}',
        " },",
        ' "acts": [',
        '  {"kind": "x"}',
    ]
    path.write_text("\n".join([*lines, " ]", "}"]))
    doc = read_document(path)
    for _ in range(2):  # the second time from the memo
        assert doc.locate("case.agency.name") == (4, 14)
        assert doc.locate(("case", "agency", "name")) == (4, 14)
        assert doc.locate(["acts", 0, "kind"]) == (7, 4)
        assert doc.locate("acts[0].missing") == (7, 3)
        assert doc.locate("nothing") == (1, 1)


def test_generated_json_files_take_the_fast_parse(generated_texts) -> None:
    """The colon count finds no duplicate where there is none (else every file would be parsed
    twice), no string needs stripping, and the top-level members are found by their keys."""
    for text in generated_texts(30, json_share=1.0):
        data, encoded = jsonpos._parse_fast(text)
        assert data == json.loads(text)
        assert not may_be_padded(encoded)
        locator = jsonpos.parse_json(text, "x.json")[1]
        positions = jsonpos.json_positions(text)[0]
        for key in ("case", "violations", "acts", "decision"):
            assert locator._unique_key(key) is not None
            assert locator.locate((key,)) == positions[(key,)]
