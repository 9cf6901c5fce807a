"""`json_positions` gives the same positions and duplicate keys as the simple reference tokenizer."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.load.jsonpos import JsonLocator, json_locate, json_positions
from casereview.load.source import locate_in

ROOT = Path(__file__).resolve().parents[1]

# -- the previous implementation, kept as the reference ---------------------------------------------

_TOKEN = re.compile(r'[ \t\n\r]*(?:([{}\[\]:,])|("(?:[^"\\]|\\.)*")|([^ \t\n\r{}\[\]:,"]+))', re.S)


def reference_positions(text: str) -> tuple[dict[Any, tuple[int, int]], list[tuple[Any, int, int, int]]]:
    line_starts = [0]
    line_starts.extend(m.end() for m in re.finditer("\n", text))

    def where(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    positions: dict[Any, tuple[int, int]] = {}
    duplicates: list[tuple[Any, int, int, int]] = []
    stack: list[list[Any]] = []
    expect_key = False
    pos = 0
    end = len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        punct, string, literal = match.groups()
        start = match.start(1) if punct else match.start(2) if string else match.start(3)
        if punct in (",", ":"):
            if punct == "," and stack and stack[-1][1]:
                expect_key = True
            continue
        if punct in ("}", "]"):
            stack.pop()
            expect_key = False
            continue
        if expect_key:
            key = json.loads(string) if string else literal
            frame = stack[-1]
            line, column = where(start)
            path = (*frame[0], key)
            if key in frame[3]:
                duplicates.append((path, frame[3][key], line, column))
            else:
                frame[3][key] = line
            frame[2] = key
            frame[4] = (line, column)
            expect_key = False
            continue
        if not stack:
            path, at = (), where(start)
        elif stack[-1][1]:
            path, at = (*stack[-1][0], stack[-1][2]), stack[-1][4]
        else:
            path, at = (*stack[-1][0], stack[-1][2]), where(start)
            stack[-1][2] += 1
        positions[path] = at
        if punct == "{":
            stack.append([path, True, None, {}, at])
            expect_key = True
        elif punct == "[":
            stack.append([path, False, 0, None, at])
    return positions, duplicates


# -- comparisons ------------------------------------------------------------------------------------

SAMPLES = [
    "{}",
    "[]",
    "1",
    '"s"',
    '{"a": {}, "b": [], "c": [[], [1, [2, {"d": null}]]]}',
    '{"a\\u0041": 1, "a\\"b:": {"x": "y:\\"z", "x": 2}, "\\\\": [true, false, null, -1.5e3]}',
    '{\n  "a": 1,\n  "a": 2,\n  "b": {"c": 1, "c": [1,\n 2]}\n}',
    '{"a": {"x": 1}, "a": {"x": 2}}',
    '[\n{"k": "v"},\n  {"k": "\\n"}\n]',
    '{"中文": "值：,[]{}", "k": "南昌\\u5e02", "e": "\\\\"}',
    ' \n\t{"a" : 1 , "b":[ 1 ,2 ] }\n\n',
    '{"a":{"b":{"c":[[[]]]}},"d":"}"}',
]


@pytest.fixture(scope="module")
def corpus(generated_texts) -> list[str]:
    return generated_texts(100, json_share=1.0)


def test_same_as_reference_on_corpus_and_samples(corpus: list[str]) -> None:
    case_files = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "casefiles").glob("*.json"))]
    assert len(corpus) == 100 and case_files
    for text in corpus + case_files + SAMPLES:
        json.loads(text)  # all valid JSON
        assert json_positions(text) == reference_positions(text), text[:200]


def test_duplicate_keys_are_reported_per_object() -> None:
    positions, duplicates = json_positions('{"a": {"x": 1}, "a": {"x": 2, "x": 3}}')
    assert duplicates == [(("a",), 1, 1, 17), (("a", "x"), 1, 1, 31)]
    assert positions[("a", "x")] == (1, 31)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet='ab中"\\:,{}[] \n\t\u2028😀', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet='ab中"\\:,{} \n', max_size=4), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(
    json_values,
    st.sampled_from([None, 0, 1, 2, "\t"]),
    st.booleans(),
    st.sampled_from([None, (",", ":"), (" , ", " : ")]),
)
def test_same_as_reference_on_any_json(value: Any, indent: Any, ascii_only: bool, separators: Any) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only, separators=separators)
    assert json_positions(text) == reference_positions(text)


# -- json_locate: one field found by walking down to it ---------------------------------------------


def _probes(positions: dict[Any, tuple[int, int]]) -> list[tuple[Any, ...]]:
    paths = list(positions)
    return [
        *paths,
        *((*p, "missing") for p in paths),
        *((*p, 7) for p in paths),
        *((*p[:-1], str(p[-1])) for p in paths if p and isinstance(p[-1], int)),
        *((*p[:-1], 0) for p in paths if p and isinstance(p[-1], str)),
    ]


@settings(max_examples=300, deadline=None)
@given(
    json_values.filter(lambda v: isinstance(v, dict | list)),
    st.sampled_from([None, 0, 1, 2, "\t"]),
    st.booleans(),
    st.sampled_from([None, (",", ":"), (" , ", " : ")]),
)
def test_locating_one_field_equals_the_full_scan(value: Any, indent: Any, ascii_only: bool, separators: Any):
    """A path (or its deepest existing prefix) is where the full scan puts it."""
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only, separators=separators)
    positions, duplicates = json_positions(text)
    if duplicates:
        return  # such a file is rejected before anything is located
    for path in _probes(positions):
        assert json_locate(text, path) == locate_in(positions, path), path


def test_locating_one_field_in_the_corpus(corpus: list[str]) -> None:
    for text in corpus[:30]:
        positions, _ = json_positions(text)
        for path in _probes(positions):
            assert json_locate(text, path) == locate_in(positions, path), path


# -- the parsed data given or not, the same places ------------------------------------------------

# strings that need no escape (no quote, backslash or control character), with the keys repeated at
# every depth so that a member is often not the first key of its name after its object's start
_plain_keys = st.sampled_from(["a", "b", "中", "a b", ":", ",", ", ", ": ", "{", "[]", "1"])
plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="ab中:,{}[] ", max_size=4) | _plain_keys,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_plain_keys, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(
    plain_values.filter(lambda v: isinstance(v, dict | list)),
    st.sampled_from([None, 0, 1, 2, "\t"]),
    st.sampled_from([None, (",", ":"), (" , ", " : ")]),
    st.randoms(use_true_random=False),
)
def test_the_locator_with_the_data_equals_reading_the_text(
    value: Any, indent: Any, separators: Any, random: Any
) -> None:
    """Top-level members found by their keys (the data given) are where the full scan and the
    locator reading the text alone put them, in whatever order (and however often) fields are asked."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, separators=separators)
    assert "\\" not in text
    positions, _ = json_positions(text)
    probes = _probes(positions)
    random.shuffle(probes)
    given, reading = JsonLocator(text, json.loads(text)), JsonLocator(text)
    for path in probes + probes[::3]:
        expected = locate_in(positions, path)
        assert given.locate(path) == expected, path
        assert reading.locate(path) == expected, path
    for path in positions:  # True is no index (though equal to 1 as a key of the full scan's map)
        assert given.locate((*path, True)) == reading.locate((*path, True)) == locate_in(positions, path)


@pytest.mark.parametrize(
    "text",
    [
        # a key made of what may stand between two strings: `":"` is also the text from the
        # closing quote of "a" to the opening quote of ":", followed there by a colon
        '{"x": {"a":":",":":1}}',
        '{"a":":",":":1}',
        '{"x": {"p": "q", ", ": 1, "y": [", ", {", ": 2}], "z": {"k": ", "}}, ", ": 3}',
        '{"x": [1, {"k": ", 1, ", ", 1, ": 2}], ", 1, ": {", 1, ": 3}}',
        '{"x": {"k": "} ", "} ": 1}}',
    ],
)
def test_a_key_written_like_the_text_between_strings(text: str) -> None:
    positions, duplicates = json_positions(text)
    assert not duplicates
    given = JsonLocator(text, json.loads(text))
    for path in _probes(positions):
        assert given.locate(path) == locate_in(positions, path), path
