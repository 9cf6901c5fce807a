"""The fast YAML path gives exactly `parse_yaml`'s (data, positions), or None (use the slow path)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casereview.load import InputRejected, fastyaml, parse_text, read_document
from casereview.load.fastyaml import parse_yaml_fast
from casereview.load.source import locate_in
from casereview.load.yamlpos import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted([*(ROOT / "casefiles").glob("*.yaml"), *(ROOT / "rules" / "examples").glob("*.yaml")])


def slow(text: str) -> Any:
    """parse_yaml's result, or "rejected"."""
    try:
        return parse_yaml(text, "x.yaml")
    except InputRejected:
        return "rejected"


def probes(positions: dict[Any, tuple[int, int]]) -> list[tuple[Any, ...]]:
    """Every field, and paths that go past one or miss (a finding may name a missing field)."""
    found: list[tuple[Any, ...]] = []
    for path in positions:
        found += [path, (*path, "missing"), (*path, 0), (*path, 10**6), (*path, -1), (*path, "0")]
        if path:
            found += [(*path[:-1], "nope", *path[-1:]), (*path, *path)]
    return found


def assert_same_positions(fast: Any, expected: dict[Any, tuple[int, int]]) -> None:
    """The fast path's positions are `parse_yaml`'s: the same mapping, in the same order, and
    every field, missing field and wrong path located where `locate_in` finds it in the dict."""
    assert dict(fast) == expected
    assert list(fast) == list(expected)
    for path in probes(expected):
        assert locate_in(fast, path) == locate_in(expected, path), path


def assert_fast_or_none(text: str) -> bool:
    """The fast path agrees with the slow one or declines; True if it was taken."""
    expected = slow(text)
    fast = parse_yaml_fast(text, "x.yaml")
    if fast is None:
        return False
    assert expected != "rejected", text
    assert fast == expected, text
    assert_same_positions(fast[1], expected[1])
    again = parse_yaml_fast(text, "x.yaml")  # now every line is in the cache: read another way
    assert again == expected, text
    assert_same_positions(again[1], expected[1])
    if padded(expected[0]):  # else validation may skip stripping: it must be told
        assert fast[1].padded and again[1].padded, text
    return True


def padded(value: Any) -> bool:
    """Whether a string in `value` (a key or a value) begins or ends with white space."""
    if isinstance(value, str):
        return value != value.strip()
    if isinstance(value, dict):
        return any(padded(k) or padded(v) for k, v in value.items())
    if isinstance(value, list):
        return any(padded(v) for v in value)
    return False


# -- real and generated files take the fast path and give identical results -----------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_take_the_fast_path_with_identical_results(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = parse_yaml_fast(text, str(path))
    assert fast is not None
    assert fast == parse_yaml(text, str(path))
    assert_same_positions(fast[1], parse_yaml(text, str(path))[1])


@pytest.fixture(scope="module")
def corpus(generated_texts) -> list[str]:
    return generated_texts(300, json_share=0.0)


def test_generated_corpus_takes_the_fast_path_with_identical_results(corpus: list[str]) -> None:
    assert len(corpus) == 300
    for text in corpus:
        fast = parse_yaml_fast(text, "x.yaml")
        assert fast is not None, text[:300]
        data, positions = fast
        expected_data, expected_positions = parse_yaml(text, "x.yaml")
        assert data == expected_data
        assert_same_positions(positions, expected_positions)


def test_files_whose_strings_need_no_stripping_are_told(corpus: list[str]) -> None:
    told = 0
    for text in corpus:
        data, positions = parse_yaml_fast(text, "x.yaml")
        assert positions.padded or not padded(data)
        told += not positions.padded
    assert told > len(corpus) // 2
    for text in ["a: |\n  x\n", "a: ' x'\n", "a: 'x '\n", "'k ': 1\n", "a: \u3000x\n", "a: [x\u3000]\n"]:
        data, positions = parse_yaml_fast(text, "x.yaml")
        assert padded(data) and positions.padded, text


def read_line(lex: Any, line: str) -> Any:
    try:
        return lex(line)
    except fastyaml._Refuse:
        return "refused"


LINE_PIECES = [" ", "  ", "- ", "-", "key", "键", ":", ": ", "#", " #", "'", '"', "a b", "2024-05-30", "yes"]
LINE_PIECES += ["1", "~", "\u3000", "[", "{", "&a", "*a", "|", "!", "%", "@", ",", "k" * 201]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=8))
def test_the_commonest_lines_are_read_as_any_line(pieces: list[str]) -> None:
    line = "".join(pieces)
    if fastyaml._SIMPLE_LINE.fullmatch(line) is not None:
        assert read_line(fastyaml._lex, line) == read_line(fastyaml._lex_any, line), line


def test_corpus_lines_are_read_as_any_line(corpus: list[str]) -> None:
    simple = 0
    for line in {line for text in corpus for line in text.split("\n")}:
        if fastyaml._SIMPLE_LINE.fullmatch(line) is not None:
            simple += 1
            assert read_line(fastyaml._lex, line) == read_line(fastyaml._lex_any, line), line
    assert simple > 1000


def test_results_do_not_depend_on_the_line_cache(corpus: list[str]) -> None:
    text = corpus[0]
    warm = parse_yaml_fast(text, "x.yaml")
    fastyaml._LINES.clear()
    fastyaml._resolve.cache_clear()
    assert parse_yaml_fast(text, "x.yaml") == warm


def test_positions_survive_the_line_cache_being_emptied(corpus: list[str]) -> None:
    """A file's positions read columns from the line cache when located; later files may have
    emptied it (it is bounded) by then."""
    parsed = [(parse_yaml_fast(text, "x.yaml"), parse_yaml(text, "x.yaml")) for text in corpus[:20]]
    fastyaml._LINES.clear()
    for (_, positions), (_, expected) in parsed:
        assert_same_positions(positions, expected)


def test_anchored_values_are_shared_as_in_parse_yaml() -> None:
    text = "a: &x\n  p: 2024-01-01\n  q: [1, 2]\nb: *x\nc: &d 2024-02-02\nd: *d\nl:\n- &i {k: v}\n- *i\n"
    fast = parse_yaml_fast(text, "x.yaml")
    assert fast is not None
    (data, positions), (expected, expected_positions) = fast, parse_yaml(text, "x.yaml")
    assert (data, positions) == (expected, expected_positions)
    assert_same_positions(positions, expected_positions)
    assert data["b"] is data["a"] and expected["b"] is expected["a"]
    assert data["l"][1] is data["l"][0]
    assert data["d"] == dt.date(2024, 2, 2)
    assert positions[("b", "p")] == (2, 3)  # an alias's fields are where the anchored ones are written


# -- YAML 1.1 values, keys as source text, positions ------------------------------------------------

CONSTRUCTS = """\
# 注释
case:
  number: （测）应急罚〔2024〕1号   # 行尾注释
  opened_on: 2024-05-30
  quoted_date: '2024-05-30'
  double: "2024-05-30"
  yes_word: yes
  on: off
  octal: 010
  under: 1_000
  sexagesimal: 1:20
  text: A&B有限公司 说明!
  empty:
  null_word: ~
  flow: {name: 张明, cert: '36011120200001', on: 2024-01-02, list: [1, 2024-01-03, 'x']}
  seq: [a b, c]
  description: >-
    当事人冲压车间
    未设置警示标志
  literal: |
    第一行
    第二行
  kept: |+
    保留末尾空行

  escaped: "第一行\\n\\u5f20明"
  trailing_comma: {a: [1, 2,], "b\\tc": x,}
1: one
2024-01-01: date key
yes: word key
'quoted key': 1
acts:
- kind: inspection
  'on': 2024-03-01
  by:
  - {name: 张明, cert: "3601"}
  - name: 李华
    cert: '3602'
- - nested
  - items
-
  late: mapping
-
- x
"""


def test_constructs_resolve_and_locate_like_parse_yaml() -> None:
    fast = parse_yaml_fast(CONSTRUCTS, "x.yaml")
    assert fast is not None
    assert fast == parse_yaml(CONSTRUCTS, "x.yaml")
    assert_same_positions(fast[1], parse_yaml(CONSTRUCTS, "x.yaml")[1])
    data, positions = fast
    case = data["case"]
    assert case["opened_on"] == dt.date(2024, 5, 30)
    assert case["quoted_date"] == case["double"] == "2024-05-30"
    assert (case["yes_word"], case["on"], case["octal"], case["under"], case["sexagesimal"]) == (
        True,
        False,
        8,
        1000,
        80,
    )
    assert case["flow"]["on"] == dt.date(2024, 1, 2)
    assert case["flow"]["list"] == [1, dt.date(2024, 1, 3), "x"]
    assert case["empty"] is None and case["null_word"] is None
    assert {"1", "2024-01-01", "yes"} <= set(data)
    assert data["acts"][3] is None
    assert case["kept"] == "保留末尾空行\n\n"
    assert case["escaped"] == "第一行\n张明"
    assert case["trailing_comma"] == {"a": [1, 2], "b\tc": "x"}
    assert positions[("case", "flow", "cert")] == (15, 20)
    assert positions[("acts", 1, 1)] == (40, 5)
    assert positions[("acts", 2)] == (42, 3)  # a bare "-" is located at its content
    assert positions[("acts", 3)] == (43, 2)  # ... or just after the dash if it is null


# -- property: whatever PyYAML writes, the fast path agrees or declines ------------------------------

TRICKY = [
    "\u3000全角",
    "尾\u00a0",
    "\u2003",
    " lead",
    "trail ",
    "\n",
    "2024-05-30",
    "2024-05-30 10:00:00",
    "2024-02-30",
    "yes",
    "no",
    "on",
    "Off",
    "y",
    "010",
    "00",
    "1_000",
    "1e3",
    "-.5",
    ".inf",
    ".nan",
    "~",
    "null",
    "",
    " ",
    "0o10",
    "0x1F",
    "1:20",
    "中文文本",
    "南昌市：青山湖区",
    "a: b",
    "a #b",
    "a#b",
    "#x",
    "it's",
    'say "hi"',
    "back\\slash",
    "line\nbreak",
    "- x",
    "[x]",
    "{x}",
    "&a",
    "*a",
    "!t",
    "%p",
    "@x",
    "|",
    "x:",
    "trailing ",
    "=",
    "<<",
    "\u3000全角\u3000",
    "12345678901234567890",
]
KEYS = ["name", "on", "yes", "1", "2024-01-01", "a b", "a:b", "中文", "null", "~", "1.5", "true", "-k", "k#"]

scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.booleans(),
    st.none(),
    st.text(alphabet="ab中 :#-'\"\u3000\u00a0", max_size=8),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(alphabet="abc中_ \u3000", min_size=1, max_size=6))
documents = st.dictionaries(
    keys,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    ),
    max_size=6,
)
dumps = st.sampled_from(
    [
        {},
        {"default_style": "'"},
        {"default_style": '"'},
        {"default_style": "|"},
        {"default_style": ">"},
        {"default_flow_style": None},
        {"indent": 4},
        {"width": 20},
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, dumps)
def test_fast_path_agrees_with_slow_path_on_dumped_documents(
    data: dict[str, Any], style: dict[str, Any]
) -> None:
    options = {"allow_unicode": True, "default_flow_style": False, "sort_keys": False, **style}
    assert_fast_or_none(yaml.safe_dump(data, **options))


def test_most_plainly_dumped_documents_take_the_fast_path() -> None:
    taken = 0
    for n, (key, value) in enumerate(itertools.product(KEYS, TRICKY)):
        data = {"a": {key: value, "l": [value, {"k": value}]}, "n": n}
        text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=False, sort_keys=False)
        taken += assert_fast_or_none(text)
    assert taken > len(KEYS) * len(TRICKY) // 2


LISTS_OF_MAPPINGS = [
    "l:\n- a: 1\n  b: 2\n- a: 3\n- c: 4\n  d: 5\nm: 6\n",
    "l:\n  - a: 1\n    b: 2\n  - a: 3\n",
    "l:\n-   a: 1\n    b: 2\n-   a: 3\n- a: 4\n  b: 5\n",  # the key at another column
    "l:\n- a: 1\n  n:\n  - x: 1\n  - x: 2\n- a: 2\n",  # after a nested list's items
    "l:\n- a:\n- a: 1\n- a: |\n    t\n- a: 2\n",  # after an item left pending or a block
    "l:\n- a: 1\n- - b: 2\n  - b: 3\n- a: 4\n",
    "l:\n- a: 1\n  b: &x 2\n- a: *x\n- a: [1, {b: 2}]\n- a: 3\n",
    "l:\n-\n  a: 1\n- a: 2\n",
    "l:\n- 1\n- a: 1\n- 2\n- a: 2\n  a: 3\n",  # a duplicate key in the next item
    "l:\n- a: 1\n - a: 2\n",
    "l:\n- a: 1\n   - a: 2\n",
    "l:\n- a: 1\nk:\n- a: 1\n  b: 1\n",
]


@pytest.mark.parametrize("text", LISTS_OF_MAPPINGS)
def test_lists_of_mappings(text: str) -> None:
    assert_fast_or_none(text)
    for indent in (2, 4):  # every such document nested in another mapping and in a list
        nested = "".join(" " * indent + line + "\n" for line in text.splitlines())
        assert_fast_or_none("top:\n" + nested)
        assert_fast_or_none("top:\n" + " " * indent + "-" + nested[indent + 1 :])


NESTED = [
    "a:\n  b:\n    c: 1\n  d:\n  - 1\n  -\n    e: 2\n  - - 3\n  f:\n    - g: 4\n      h:\n      i: 5\n",
    "a:\n- b:\n  - c:\n    - d: 1\n      e:\n        f: 2\n- g:\n  # a comment\n    h: 3\nk:\n",
    "l:\n-\n- b\n-\n- c: 1\n-\n-\n  - d\n",  # null items
    "a: &x\n  b: 1\nc:\n  d: *x\n  e:\n  - *x\n  - f: [1, 2]\n    g: |\n      t\nh:\n  - i\n",
]


def test_collections_opened_from_the_next_line_as_when_left_pending(corpus: list[str], monkeypatch) -> None:
    """The line after ``key:`` (or a bare ``-``) usually opens its collection from the cached
    reading of that line (`_Scanner.open_next`), which then takes `run`'s own path: the same
    data, positions and refusals (node and depth limits) as when the node is left pending for
    the general step, which reads that line in `_Scanner.line`."""
    assert all(assert_fast_or_none(text) for text in NESTED)
    texts = [*corpus[:20], *LISTS_OF_MAPPINGS, *NESTED]
    calls = [0]
    line = fastyaml._Scanner.line

    def counted(self: Any, *args: Any) -> Any:
        calls[0] += 1
        return line(self, *args)

    def read_all() -> list[Any]:
        found = []
        for text, limits in itertools.product(texts, [{}, *({"max_depth": d} for d in range(2, 9))]):
            found.append(parse_yaml_fast(text, "x.yaml", **limits))
        for text, nodes in itertools.product(texts[20:], range(1, 40)):
            found.append(parse_yaml_fast(text, "x.yaml", max_nodes=nodes))
        return [None if r is None else (r[0], list(r[1].items()), r[1].padded) for r in found]

    monkeypatch.setattr(fastyaml._Scanner, "line", counted)
    opened = read_all()
    opened_calls, calls[0] = calls[0], 0
    monkeypatch.setattr(fastyaml._Scanner, "open_next", lambda self, number, *now: (*now, -1, -1))
    assert read_all() == opened
    assert opened_calls < calls[0] * 0.7
    assert sum(r is None for r in opened) > len(texts)  # limits were reached


# -- what the fast path declines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str 1\n",
        "a: !custom {}\n",
        "case: !!python/object/apply:os.system ['ls']\n",
        "base: &b {x: 1}\nm:\n  <<: *b\n",
        "a: [1,\n  2]\n",
        "a: {x: 1,\n  y: 2}\n",
        'a: {"x":1}\n',
        "a: 1\n---\nb: 2\n",
        "--- \na: 1\n",
        "a: 1\n...\n",
        "%YAML 1.1\n---\na: 1\n",
        "? complex\n: key\n",
        "a: &x\n  b: *x\n",
        "a: *undefined\n",
        "a: 1\na: 2\n",
        "a: {x: 1, x: 2}\n",
        "1: a\n'1': b\n",
        "a: b\n  continued\n",
        "a:\n  scalar on the next line\n",
        "a: 'multi\n  line'\n",
        "a:\tb\n",
        "a: 1\r\nb: 2\r\n",
        "a: 2024-02-30\n",
        "- a\n- b\n",
        "just text\n",
        "",
        "# only a comment\n",
    ],
)
def test_declined(text: str) -> None:
    assert parse_yaml_fast(text, "x.yaml") is None


def test_node_and_depth_limits_are_the_slow_paths(tmp_path: Path) -> None:
    lines = ["a: &a\n- lol\n- lol\n"]
    for previous, name in itertools.pairwise("abcdefghij"):
        lines.append(f"{name}: &{name}\n" + f"- *{previous}\n" * 9)
    bomb = "".join(lines)
    assert parse_yaml_fast(bomb, "x.yaml") is None
    (tmp_path / "bomb.yaml").write_text(bomb, encoding="utf-8")
    with pytest.raises(InputRejected, match="节点过多"):
        read_document(tmp_path / "bomb.yaml")
    deep = "".join(" " * i + "a:\n" for i in range(150)) + " " * 150 + "a: 1\n"
    assert parse_yaml_fast(deep, "x.yaml") is None
    assert parse_yaml_fast("a: [1, 2, 3]\nb: 1\n", "x.yaml", max_nodes=4) is None
    assert parse_yaml_fast("a: [1, 2, 3]\nb: 1\n", "x.yaml", max_nodes=6) is not None
    for many in ["l:\n" + "- a: 1\n" * 60, "".join(f"k{i}: 1\n" for i in range(120)), "k: v\n" * 200]:
        assert parse_yaml_fast(many, "x.yaml", max_nodes=100) is None
        assert parse_yaml_fast(many * 2, "x.yaml", max_nodes=100) is None  # lines come from the cache
    flows = "".join(f"k{i}: [{', '.join(['1'] * 50)}]\n" for i in range(10))
    assert parse_yaml_fast(flows, "x.yaml", max_nodes=300) is None
    assert parse_yaml_fast(flows, "x.yaml", max_nodes=600) is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "重复出现"),
        ("a: !!python/object/apply:os.system ['ls']\n", "不允许的 YAML 标签"),
        ("a: &x\n  b: *x\n", "递归"),
        ("a: 2024-02-30\n", "无法解析的值"),
        ("a: b: c\n", "YAML 语法错误"),
        ("a: 1\n---\nb: 2\n", "多个 YAML 文档"),
    ],
)
def test_rejections_are_the_slow_paths(text: str, message: str) -> None:
    with pytest.raises(InputRejected) as fast_way:
        parse_text(text, "x.yaml", fmt="yaml")
    with pytest.raises(InputRejected) as slow_way:
        parse_yaml(text, "x.yaml")
    assert fast_way.value.errors == slow_way.value.errors
    assert message in fast_way.value.errors[0].message


# -- whatever the damage, the fast path agrees with parse_yaml or declines ------------------------

DAMAGE = [
    " ",
    "  ",
    "-",
    "- ",
    ":",
    ": ",
    "#",
    " #",
    "'",
    '"',
    ",",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "|",
    ">",
    "\\",
    "\n",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(DAMAGE), st.booleans()), min_size=1, max_size=4)
)
# an empty kept block scalar ended by a comment line: libyaml drops the kept line break
@example([(226599, "#", False)])
def test_fast_path_agrees_with_slow_path_on_damaged_files(edits: list[tuple[int, str, bool]]) -> None:
    text = CONSTRUCTS + "shared: &a {k: v}\nagain: *a\n"
    for at, piece, replace in edits:
        at %= len(text)
        text = text[:at] + piece + text[at + len(piece) * replace :]
    assert_fast_or_none(text)


@pytest.mark.parametrize("piece", ["\x85", "\u2028", "\u2029", "\r", "\ufeff", "\x00", "\x1f", "\ud800"])
@pytest.mark.parametrize("where", ["block", "comment", "key", "value"])
def test_line_breaks_and_characters_libyaml_treats_apart_are_the_slow_paths(piece: str, where: str) -> None:
    """Each line is checked when first read; a block scalar's lines are not read one by one,
    so its content is checked on its own."""
    lines = {
        "block": f"a: |\n  first\n  se{piece}cond\nb: 1\n",
        "comment": f"a: 1\n# no{piece}te\nb: 1\n",
        "key": f"a: 1\nk{piece}ey: 1\n",
        "value": f"a: 1\nb: x{piece}y\n",
    }
    assert parse_yaml_fast(lines[where], "x.yaml") is None


@pytest.mark.parametrize(
    "content",
    ["!tag x", "<<: *a", "%YAML 1.1", "--- x", "? x", "... x", "注意!", "a: b", "- x", "# not a comment"],
)
def test_block_scalars_hold_any_text(content: str) -> None:
    text = f"a: &a {{k: v}}\nb: |\n  {content}\n  ok\nc: >-\n  {content}\n  more\nd: *a\n"
    assert assert_fast_or_none(text)


def test_characters_libyaml_refuses_and_long_keys_are_the_slow_paths() -> None:
    for text in ["a: b\x90\n", "a: \ufffe\n", "k" * 1100 + ": 1\n", "a: {" + "k" * 1100 + ": 1}\n"]:
        assert parse_yaml_fast(text, "x.yaml") is None
        assert slow(text) == "rejected"
