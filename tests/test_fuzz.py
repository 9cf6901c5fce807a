"""Fuzz the loader with raw bytes and mutated valid YAML/JSON for a fixed budget: only
`InputRejected` may escape, and never through the loader's last-resort "internal error" net
(every hostile input has its own clear message)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casereview.load import InputRejected, load_case, read_document

EXAMPLE = Path(__file__).resolve().parents[1] / "rules" / "examples" / "general.yaml"
VALID = EXAMPLE.read_bytes()
VALID_JSON = json.dumps(read_document(EXAMPLE).data, ensure_ascii=False, indent=1, default=str).encode()
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(exc: InputRejected) -> None:
    assert exc.errors and all(e.message for e in exc.errors)
    internal = [e.format() for e in exc.errors if "内部错误" in e.message]
    assert not internal, internal  # the catch-all was needed: a parser error escaped its handler


def _load(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        load_case(path)
    except InputRejected as exc:
        _check(exc)


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from([".yaml", ".json"]))
def test_random_bytes(tmp_path, data, suffix):
    _load(tmp_path, data, suffix)


@SETTINGS
@given(st.integers(0, len(VALID) - 1), st.integers(1, 40), st.binary(max_size=40))
def test_mutated_valid_yaml(tmp_path, start, length, replacement):
    _load(tmp_path, VALID[:start] + replacement + VALID[start + length :], ".yaml")


@SETTINGS
@given(st.integers(0, len(VALID_JSON) - 1), st.integers(1, 40), st.binary(max_size=40))
def test_mutated_valid_json(tmp_path, start, length, replacement):
    _load(tmp_path, VALID_JSON[:start] + replacement + VALID_JSON[start + length :], ".json")


def _read(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"soup{suffix}"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        read_document(path)
    except InputRejected as exc:
        _check(exc)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@`\n\t ab1")), max_size=200))
def test_yaml_punctuation_soup(tmp_path, text):
    _read(tmp_path, text, ".yaml")


# Pieces of hostile YAML: tags, anchors and aliases (also as keys), merge keys, complex keys,
# values that resolve to an impossible date or number, directives, BOMs and odd line breaks.
# fmt: off
YAML_TOKENS = [
    *"{}[]:,'\"#|>?-\n", "  ", "\t", ": ", ", ", "- ", "? ",
    "&a ", "*a", "*b", "&b ", "*a : ", "*b : ", "<<: ", "<<: *a",
    "!!python/name:os.system ", "!!python/object/apply:os.getcwd [] ", "!!binary ", "!!set ", "!x ",
    "!!str ", "!!int ", "!!timestamp ", "!!float ",
    "2024-02-30", "2024-13-45", "2024-02-20", "0x1F", "0o17", "1_000", "1e400", ".nan", "-.inf",
    "true", "on", "~", "null", "---", "...", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n",
    "\ufeff", "\x85", "\u2028", "\r\n", "\r", "k", "v", "中文", "é", "\\x", "\\u12",
]
JSON_TOKENS = [
    *'{}[]:," \n', '"k"', '"v"', '"case"', '"k\\u0000"', '"\\ud800"', '"\\x"',
    "NaN", "Infinity", "-Infinity", "1e999", "-0", "9" * 5000, "1.5", "true", "null", "\ufeff", "\r",
]
# fmt: on


@SETTINGS
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join))
@example("a: 2024-02-30\n")  # seeds: inputs each of which once needed a handler of its own
@example("*a : 1\n")
@example("? [a]\n: 1\n")
@example("a: !!binary \\x\n")
def test_yaml_token_soup(tmp_path, text):
    _read(tmp_path, text, ".yaml")


@SETTINGS
@given(st.lists(st.sampled_from(JSON_TOKENS), max_size=60).map("".join))
@example('{"a": NaN}')
@example('{"a": ' + "9" * 5000 + "}")
@example("[" * 100_000)
def test_json_token_soup(tmp_path, text):
    _read(tmp_path, text, ".json")


def test_the_valid_json_seed_loads(tmp_path):
    _load(tmp_path, VALID_JSON, ".json")
    load_case(tmp_path / "fuzz.json")


def test_regression_tab_indentation_is_a_clear_error(tmp_path):
    path = tmp_path / "tab.yaml"
    path.write_text("case:\n\tnumber: x\n", encoding="utf-8")
    try:
        load_case(path)
    except InputRejected as exc:
        assert exc.errors[0].line == 2
    else:  # pragma: no cover
        raise AssertionError("a tab-indented file must be rejected")
