"""Fuzz the loader with raw bytes and mutated valid YAML: only `InputRejected` may escape."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casereview.load import InputRejected, load_case, read_document

VALID = (Path(__file__).resolve().parents[1] / "rules" / "examples" / "general.yaml").read_bytes()
SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _load(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        load_case(path)
    except InputRejected as exc:
        assert exc.errors and all(e.message for e in exc.errors)


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from([".yaml", ".json"]))
def test_random_bytes(tmp_path, data, suffix):
    _load(tmp_path, data, suffix)


@SETTINGS
@given(st.integers(0, len(VALID) - 1), st.integers(1, 40), st.binary(max_size=40))
def test_mutated_valid_yaml(tmp_path, start, length, replacement):
    _load(tmp_path, VALID[:start] + replacement + VALID[start + length :], ".yaml")


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#%@`\n\t ab1")), max_size=200))
def test_yaml_punctuation_soup(tmp_path, text):
    path = tmp_path / "soup.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(InputRejected):
        read_document(path)


def test_regression_tab_indentation_is_a_clear_error(tmp_path):
    path = tmp_path / "tab.yaml"
    path.write_text("case:\n\tnumber: x\n", encoding="utf-8")
    try:
        load_case(path)
    except InputRejected as exc:
        assert exc.errors[0].line == 2
    else:  # pragma: no cover
        raise AssertionError("a tab-indented file must be rejected")
