"""The load → validate stage: decoding, parsing with positions, Chinese errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import pickle
import stat
import threading
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from casereview.load import (
    CASE_SUFFIXES,
    InputError,
    InputRejected,
    SourceDoc,
    format_path,
    load_case,
    load_roster,
    parse_path,
    read_document,
    reader,
    source,
    yamlpos,
)
from casereview.load.reader import GB18030_NOTE, decode_bytes, read_bytes, read_text
from casereview.model import CaseFile

DATA = Path(__file__).parent / "data" / "load"
VALID = DATA / "valid_case.yaml"
VALID_TEXT = VALID.read_text(encoding="utf-8")

MINIMAL = """\
case:
  number: 应急罚〔2024〕1号
  title: 未按规定进行安全培训案
  agency:
    name: 某县应急管理局
  procedure: general
party:
  kind: organisation
  name: 某公司
violations:
  - id: v1
    description: 未按规定对从业人员进行安全生产教育和培训
    penalty_basis:
      law: 安全生产法
      article: 97
    committed_on: 2024-02-20
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def rejected(path: Path, loader=load_case) -> list[InputError]:
    with pytest.raises(InputRejected) as info:
        loader(path)
    assert info.value.errors
    return info.value.errors


def only(errors: list[InputError], field: str | None) -> InputError:
    found = [e for e in errors if e.field == field]
    assert len(found) == 1, [e.format() for e in errors]
    return found[0]


# -- valid input --------------------------------------------------------------------------------


def test_valid_case_loads_with_positions() -> None:
    case, doc = load_case(VALID)
    assert isinstance(case, CaseFile)
    assert isinstance(doc, SourceDoc)
    assert doc.path == str(VALID)
    assert doc.encoding == "utf-8"
    assert doc.notes == []
    assert case.decision is not None
    assert case.decision.penalties[0].amount == 30000
    assert case.violations[0].committed_on == dt.date(2024, 2, 20)
    assert case.case.agency.level is not None and case.case.agency.level.value == "municipal"
    line = line_of(VALID_TEXT, "amount: 30000")
    assert doc.locate("decision.penalties[0].amount") == (line, 7)
    assert doc.locate(("decision", "penalties", 0, "amount")) == (line, 7)
    # list items are located at the item, missing fields at their nearest ancestor
    assert doc.locate("decision.penalties[1]") == (line_of(VALID_TEXT, "type: 警告") - 1, 7)
    assert doc.locate("decision.penalties[0].basis") == (line_of(VALID_TEXT, "- target: unit"), 7)
    assert doc.locate("no.such.field") == (2, 1)
    assert doc.locate("") == (2, 1)


def test_values_resolve_like_safe_load_except_non_string_keys() -> None:
    doc = read_document(VALID)
    # PyYAML turns the key `on` into True; here keys keep their source text.
    reference = yaml.safe_load(VALID_TEXT.replace(" on:", ' "on":'))
    assert doc.data == reference
    assert doc.data["acts"][0]["on"] == dt.date(2024, 3, 1)


def test_non_string_keys_become_their_source_text(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "k.yaml", "on: 1\n1: a\n2024-01-01: b\nyes: c\nnull: d\n1.5: e\n"))
    assert doc.data == {"on": 1, "1": "a", "2024-01-01": "b", "yes": "c", "null": "d", "1.5": "e"}


def test_merge_keys_and_aliases(tmp_path: Path) -> None:
    text = "base: &b\n  x: 1\n  y: [a, b]\nm:\n  <<: *b\n  x: 2\nl: *b\nn:\n  <<: [{p: 1}, {p: 2, q: 3}]\n"
    doc = read_document(write(tmp_path, "m.yaml", text))
    assert doc.data == yaml.safe_load(text)
    assert doc.locate("m.x") == (6, 3)
    assert doc.locate("m.y[1]") == (3, 10)  # where the merged value is written
    assert doc.locate("l.x") == (2, 3)
    assert doc.locate("n.q") == (9, 23)


def test_yaml_positions_match_json_positions() -> None:
    doc = read_document(VALID)
    text = json.dumps(doc.data, ensure_ascii=False, indent=2, default=str)
    from casereview.load.jsonpos import json_positions

    json_map, duplicates = json_positions(text)
    _, yaml_map = yamlpos.parse_yaml(text, "x.json")
    assert duplicates == []
    assert json_map == yaml_map
    assert set(json_map) == set(doc.positions)


def test_pure_python_loader_gives_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = yamlpos.parse_yaml(VALID_TEXT, "a.yaml")
    monkeypatch.setattr(yamlpos, "Loader", yaml.SafeLoader)
    assert yamlpos.parse_yaml(VALID_TEXT, "a.yaml") == fast


def test_field_paths_round_trip() -> None:
    path = ("decision", "penalties", 0, "amount")
    assert format_path(path) == "decision.penalties[0].amount"
    assert parse_path("decision.penalties[0].amount") == path
    assert parse_path(path) == path
    assert format_path(()) == ""
    assert parse_path("violations[0].facts.x[2][3]") == ("violations", 0, "facts", "x", 2, 3)
    assert ".json" in CASE_SUFFIXES and ".yaml" in CASE_SUFFIXES and ".yml" in CASE_SUFFIXES


# -- error format -------------------------------------------------------------------------------


def test_input_error_format() -> None:
    error = InputError("casefiles/a.yaml", 12, 9, "decision.penalties[0].amount", "应为整数（元）", "'2.5万'")
    expected = "casefiles/a.yaml:12:9 decision.penalties[0].amount：应为整数（元），实际为 '2.5万'"
    assert error.format() == expected
    assert InputError("a.yaml", None, None, None, "文件不存在").format() == "a.yaml 文件不存在"
    assert InputError("a.csv", 4, None, "有效期起", "应为日期").format() == "a.csv:4 有效期起：应为日期"
    rejection = InputRejected([error, InputError("a.yaml", 1, 1, None, "x")])
    assert str(rejection) == error.format() + "\na.yaml:1:1 x"
    assert rejection.file == "casefiles/a.yaml"


def test_bad_value_is_truncated_to_80_chars(tmp_path: Path) -> None:
    text = MINIMAL.replace("procedure: general", "procedure: " + "很长" * 100)
    error = only(rejected(write(tmp_path, "a.yaml", text)), "case.procedure")
    assert error.value is not None
    assert len(error.value) == 80
    assert error.value.endswith("…")


# -- syntax errors ------------------------------------------------------------------------------


def test_yaml_syntax_error_has_exact_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "case:\n  number: 1\n  title: 案由: 未培训\n")
    (error,) = rejected(path)
    assert (error.line, error.column) == (3, 12)
    assert error.message.startswith("YAML 语法错误")
    assert "冒号" in error.message
    assert error.format().startswith(f"{path}:3:12 YAML 语法错误")


def test_tab_indentation_is_explained(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", "case:\n  number: 1\n\ttitle: x\n"))
    assert (error.line, error.column) == (3, 1)
    assert "制表符" in error.message


def test_json_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.json", '{"case": {\n  "number": "1",\n  "title": "x",}\n}'))
    assert (error.line, error.column) == (3, 16)
    assert error.message.startswith("JSON 语法错误")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "文件为空"),
        ("- a\n- b\n", "顶层必须是映射"),
        ("just text\n", "顶层必须是映射"),
        ("a: 1\n---\nb: 2\n", "多个 YAML 文档"),
    ],
)
def test_top_level_must_be_one_mapping(tmp_path: Path, text: str, expected: str) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", text), read_document)
    assert expected in error.message


def test_json_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.json", "[1, 2]"), read_document)
    assert "顶层必须是映射" in error.message


# -- validation errors --------------------------------------------------------------------------


def test_wrong_type_names_field_path_and_line(tmp_path: Path) -> None:
    text = VALID_TEXT.replace("amount: 30000", 'amount: "2.5万"')
    path = write(tmp_path, "a.yaml", text)
    error = only(rejected(path), "decision.penalties[0].amount")
    assert error.line == line_of(text, "amount:")
    assert error.column == 7
    assert error.message.startswith("应为整数（元）")
    assert error.value == "'2.5万'"
    assert error.format().startswith(f"{path}:{error.line}:7 decision.penalties[0].amount：应为整数（元）")
    assert error.format().endswith("实际为 '2.5万'")


def test_unknown_enum_lists_allowed_values_with_labels(tmp_path: Path) -> None:
    text = MINIMAL.replace("procedure: general", "procedure: 普通程序")
    error = only(rejected(write(tmp_path, "a.yaml", text)), "case.procedure")
    assert error.message == "取值无效，可选：general（一般程序）、simple（简易程序）"
    assert error.value == "'普通程序'"
    assert error.line == line_of(text, "procedure:")


def test_chinese_enum_labels_are_accepted(tmp_path: Path) -> None:
    text = MINIMAL.replace("procedure: general", "procedure: 简易程序").replace("organisation", "公民")
    case, _ = load_case(write(tmp_path, "a.yaml", text))
    assert case.case.procedure.value == "simple"
    assert case.party.kind.value == "individual"


def test_missing_required_field_points_at_parent(tmp_path: Path) -> None:
    # only what identifies a file is required (case number or id, agency): facts may be absent or 未载明
    text = MINIMAL.replace("    name: 某县应急管理局\n", "    region: '360111'\n")
    error = only(rejected(write(tmp_path, "a.yaml", text)), "case.agency.name")
    assert error.message == "缺少必填字段（执法机关名称（必填））"
    assert error.value is None
    assert (error.line, error.column) == (line_of(text, "agency:"), 3)


def test_a_violation_without_date_is_accepted_as_unknown(tmp_path: Path) -> None:
    case, _ = load_case(write(tmp_path, "a.yaml", MINIMAL.replace("    committed_on: 2024-02-20\n", "")))
    assert case.violations[0].committed_on is None  # derive treats it as 未记载 (a review item, never a veto)


def test_unknown_field_suggests_the_right_name(tmp_path: Path) -> None:
    text = MINIMAL.replace("  name: 某公司\n", "  name: 某公司\n  nmae: 某某\n")
    error = only(rejected(write(tmp_path, "a.yaml", text)), "party.nmae")
    assert error.message.startswith("未知字段（可能拼写错误）")
    assert "name" in error.message
    assert (error.line, error.column) == (line_of(text, "nmae"), 3)


def test_all_errors_are_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("procedure: general", "procedure: x")
        .replace("  name: 某公司\n", "  name: 某公司\n  age: 二十\n  headcount: 1.5\n")
        .replace("committed_on: 2024-02-20", "committed_on: 2024/2/30")
        .replace("article: 97", "article: 0")
    )
    errors = rejected(write(tmp_path, "a.yaml", text))
    by_field = {e.field: e for e in errors}
    assert set(by_field) == {
        "case.procedure",
        "party.age",
        "party.headcount",
        "violations[0].penalty_basis.article",
        "violations[0].committed_on",
    }
    assert by_field["party.age"].message == "应为整数"
    assert "小数" in by_field["party.headcount"].message
    assert by_field["violations[0].committed_on"].message == "日期 2024/2/30 无效"
    assert by_field["violations[0].committed_on"].value == "'2024/2/30'"
    assert by_field["violations[0].penalty_basis.article"].message == "应大于或等于 1"
    lines = [e.line or 0 for e in errors]
    assert lines == sorted(lines)


def test_more_error_kinds(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("    name: 某县应急管理局\n", "    name: 某县应急管理局\n    region: 32050\n")
        .replace(
            "  name: 某公司\n",
            "  name: 某公司\n  phone: 13800000000\n  flags:\n    major_hazard_source: 也许\n",
        )
        .replace("  title: 未按规定进行安全培训案\n", "  title: 未按规定进行安全培训案\n  handlers: 张三\n")
        + "schema_version: 2\n"
        + "decision:\n  outcome: penalty\n  decided_on: 2024-05-06 10:00:00\n"
        + "  penalties:\n    - {target: unit, type: fine}\n"
    )
    errors = rejected(write(tmp_path, "a.yaml", text))
    by_field = {e.field: e for e in errors}
    assert "加引号" in by_field["case.agency.region"].message
    assert "加引号" in by_field["party.phone"].message
    assert by_field["party.flags.major_hazard_source"].message == "应为布尔值 true 或 false"
    assert by_field["case.handlers"].message.startswith("应为列表")
    assert by_field["schema_version"].message == "取值无效，应为 '1'"
    assert by_field["decision.decided_on"].message == "应为日期（YYYY-MM-DD），不能包含时间"
    assert by_field["decision.decided_on"].value == "2024-05-06 10:00:00"
    # a fine without its amount is accepted: the amount is 未记载 (review items, never a veto)
    assert "decision.penalties[0]" not in by_field


def test_empty_value_for_required_field(tmp_path: Path) -> None:
    text = MINIMAL.replace("    name: 某县应急管理局", "    name:")
    error = only(rejected(write(tmp_path, "a.yaml", text)), "case.agency.name")
    assert error.message.startswith("不能为空")


def test_union_field_gives_one_message(tmp_path: Path) -> None:
    text = MINIMAL + "    facts:\n      locations: [1, 2]\n"
    error = only(rejected(write(tmp_path, "a.yaml", text)), "violations[0].facts.locations")
    assert error.message.startswith("值的类型无效")
    assert error.line == line_of(text, "locations:")


def test_document_level_validator_error_has_no_field(tmp_path: Path) -> None:
    text = MINIMAL + "acts:\n  - kind: inspection\n    on: 2024-03-01\n    violation_ids: [v9]\n"
    (error,) = rejected(write(tmp_path, "a.yaml", text))
    assert error.field is None
    assert "v9" in error.message and "不存在的违法行为" in error.message


# -- JSON ---------------------------------------------------------------------------------------


def test_json_input_is_equivalent_to_yaml(tmp_path: Path) -> None:
    case_yaml, doc_yaml = load_case(VALID)
    text = json.dumps(doc_yaml.data, ensure_ascii=False, indent=2, default=str)
    case_json, doc_json = load_case(write(tmp_path, "a.json", text))
    assert case_json == case_yaml
    assert doc_json.format == "json"
    assert doc_json.locate("decision.penalties[0].amount") == (line_of(text, '"amount"'), 9)


def test_json_validation_errors_have_positions(tmp_path: Path) -> None:
    data = yaml.safe_load(MINIMAL)
    data["violations"][0]["committed_on"] = "2024年2月30日"
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    error = only(rejected(write(tmp_path, "a.json", text)), "violations[0].committed_on")
    assert (error.line, error.column) == (line_of(text, "committed_on"), 7)


def test_json_duplicate_keys_report_both_lines(tmp_path: Path) -> None:
    text = '{\n  "case": {},\n  "party": {\n    "name": "a",\n    "name": "b"\n  }\n}'
    (error,) = rejected(write(tmp_path, "a.json", text), read_document)
    assert error.field == "party.name"
    assert (error.line, error.column) == (5, 5)
    assert "第 4 行和第 5 行" in error.message


# -- encodings ----------------------------------------------------------------------------------


def test_gbk_file_is_decoded_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", VALID_TEXT.encode("gbk"))
    case, doc = load_case(path)
    assert doc.encoding == "gb18030"
    assert doc.notes == [GB18030_NOTE]
    assert case.party.name == "某化工有限公司"


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", b"\xef\xbb\xbf" + VALID_TEXT.replace("\n", "\r\n").encode("utf-8"))
    case, doc = load_case(path)
    assert doc.encoding == "utf-8-sig"
    assert case.party.name == "某化工有限公司"
    assert doc.locate("decision.penalties[0].amount") == (line_of(VALID_TEXT, "amount: 30000"), 7)
    # errors keep their line numbers too
    bad = VALID_TEXT.replace("amount: 30000", "amount: 三万").replace("\n", "\r\n")
    error = only(
        rejected(write(tmp_path, "b.yaml", b"\xef\xbb\xbf" + bad.encode())), "decision.penalties[0].amount"
    )
    assert error.line == line_of(VALID_TEXT, "amount: 30000")


def test_utf16_with_bom(tmp_path: Path) -> None:
    case, doc = load_case(write(tmp_path, "a.yaml", MINIMAL.encode("utf-16")))
    assert doc.encoding == "utf-16"
    assert case.party.name == "某公司"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfa: \xff\n", "文件以 UTF-8 标记开头，但第 6 字节处无法解码"),
        (b"\xff\xfea\x00:", "文件以 UTF-16 标记开头，但第 4 字节处无法解码"),
        (b"\xff\xfe\x00\x00a\x00\x00", "文件以 UTF-32 标记开头，但第 4 字节处无法解码"),
    ],
)
def test_bom_then_undecodable_bytes(data: bytes, expected: str) -> None:
    with pytest.raises(InputRejected) as info:
        decode_bytes(data, "a.yaml")
    assert expected in info.value.errors[0].message


def test_binary_junk_is_rejected(tmp_path: Path) -> None:
    junk = bytes(range(1, 256)) * 3 + b"\x00" + os.urandom(64)
    (error,) = rejected(write(tmp_path, "a.yaml", junk))
    assert error.message.startswith("无法识别的文件编码")


def test_xlsx_saved_as_yaml_is_explained(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", b"PK\x03\x04\x14\x00\x06\x00" + os.urandom(100)))
    assert "Excel" in error.message


def test_undecodable_bytes_give_line_and_column(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", b"case:\n  title: ab\xff\xff\x80cd\n"))
    assert error.message.startswith("无法识别的文件编码")
    assert (error.line, error.column) == (2, 12)


def test_control_characters_are_rejected() -> None:
    with pytest.raises(InputRejected) as info:
        decode_bytes(b"a: 1\nb: x\x01y\n", "a.yaml")
    (error,) = info.value.errors
    assert (error.line, error.column) == (2, 5)


# -- safety -------------------------------------------------------------------------------------


def test_duplicate_yaml_keys_report_both_lines(tmp_path: Path) -> None:
    text = MINIMAL.replace("  name: 某公司\n", "  name: 某公司\n  kind: individual\n")
    (error,) = rejected(write(tmp_path, "a.yaml", text))
    first, second = line_of(text, "kind: organisation"), line_of(text, "kind: individual")
    assert error.field == "party.kind"
    assert (error.line, error.column) == (second, 3)
    assert f"第 {first} 行和第 {second} 行" in error.message


class _CappedEntries(list):
    """The builder's position entries, failing the test as soon as they outgrow the node limit:
    work and memory stay bounded by `max_nodes` (not by the alias expansion) or the test fails
    at once instead of exhausting memory."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def append(self, item) -> None:
        super().append(item)
        assert len(self) <= self.cap, f"{len(self)} position entries, limit {self.cap}"

    def extend(self, items) -> None:
        super().extend(items)
        assert len(self) <= self.cap, f"{len(self)} position entries, limit {self.cap}"


class _CappedBuilder(yamlpos._Builder):
    def __init__(self, file: str, max_nodes: int, max_depth: int) -> None:
        super().__init__(file, max_nodes, max_depth)
        self.entries = _CappedEntries(max_nodes + 1)


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlpos, "_Builder", _CappedBuilder)


def _laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_rejected(tmp_path: Path, capped: None) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", _laughs()), read_document)
    assert "节点过多" in error.message


def test_billion_laughs_work_is_bounded_by_the_node_limit(capped: None) -> None:
    with pytest.raises(InputRejected) as info:
        yamlpos.parse_yaml(_laughs(), "a.yaml", max_nodes=1000)
    assert "节点过多" in info.value.errors[0].message


def test_node_limit_also_bounds_plain_large_documents(tmp_path: Path, capped: None) -> None:
    path = write(tmp_path, "a.yaml", "a: [" + "1, " * 300_000 + "1]\n")
    (error,) = rejected(path, read_document)
    assert "节点过多" in error.message


def test_an_alias_copy_counts_towards_the_node_limit(capped: None) -> None:
    # the alias is the document's last node: only the copy itself goes over the limit
    text = "a: &a [" + ", ".join(map(str, range(60))) + "]\nb: *a\n"
    assert yamlpos.parse_yaml(text, "a.yaml", max_nodes=200)[0]["b"] == list(range(60))
    with pytest.raises(InputRejected) as info:
        yamlpos.parse_yaml(text, "a.yaml", max_nodes=100)
    (error,) = info.value.errors
    assert "节点过多" in error.message
    assert (error.line, error.field) == (2, "b")


def test_merged_keys_count_towards_the_node_limit(capped: None) -> None:
    text = "a: &a {" + ", ".join(f"k{i}: {i}" for i in range(40)) + "}\nb:\n  <<: *a\n"
    assert yamlpos.parse_yaml(text, "a.yaml", max_nodes=200)[0]["b"]["k39"] == 39
    with pytest.raises(InputRejected) as info:
        yamlpos.parse_yaml(text, "a.yaml", max_nodes=100)
    assert "节点过多" in info.value.errors[0].message


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ("a: &x [1]\n*x : 2\n", (2, 1), "映射的键只能是简单值"),
        ("*nope : 1\n", (1, 1), "映射的键只能是简单值"),
        ("? [a, b]\n: 1\n", (1, 3), "映射的键只能是简单值"),
        ("a: *nope\n", (1, 4), "别名 *nope 引用了未定义的锚点 &nope"),
        ("a:\n  <<: 1\n", (2, 3), "合并键 << 的值必须是映射或映射的列表"),
        ("a: 2024-02-30\n", (1, 4), "无法解析的值（!!timestamp）"),
    ],
)
def test_malformed_structures_are_explained(text: str, where: tuple[int, int], expected: str) -> None:
    with pytest.raises(InputRejected) as info:
        yamlpos.parse_yaml(text, "a.yaml")
    (error,) = info.value.errors
    assert (error.line, error.column) == where
    assert expected in error.message


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", "a: &x\n  b: *x\n"), read_document)
    assert "递归" in error.message


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'case: !!python/object/apply:os.system ["touch {marker}"]\nparty: !custom {{}}\n'
    errors = rejected(write(tmp_path, "a.yaml", text), read_document)
    assert not marker.exists()
    assert [e.field for e in errors] == ["case", "party"]
    assert all(e.message.startswith("不允许的 YAML 标签") for e in errors)
    assert "!!python/object/apply:os.system" in errors[0].message


@pytest.mark.parametrize(
    ("text", "field", "tag"),
    [
        ("a: !!python/name:os.system\n", "a", "!!python/name:os.system"),
        ("a: [1, !!python/object/apply:os.getcwd x]\n", "a[1]", "!!python/object/apply:os.getcwd"),
        ("a: !!binary aGVsbG8=\n", "a", "!!binary"),
        ("a: !custom x\n", "a", "!custom"),
        ("!!python/name:os.system x: 1\n", "x", "!!python/name:os.system"),
        ("? !!binary aGVsbG8=\n: 1\n", "aGVsbG8=", "!!binary"),
    ],
)
def test_scalar_and_key_tags_are_refused(tmp_path: Path, text: str, field: str, tag: str) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", text), read_document)
    assert error.field == field
    assert error.message.startswith(f"不允许的 YAML 标签 {tag}：")


def test_plain_data_tags_are_accepted(tmp_path: Path) -> None:
    text = "a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: !!map {x: !!seq [!!null '', !!bool true]}\n"
    assert read_document(write(tmp_path, "a.yaml", text)).data == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "".join(" " * i + "a:\n" for i in range(150)) + " " * 150 + "a: 1\n",
        "a: " + "[" * 150 + "]" * 150 + "\n",
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
    ],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", text), read_document)
    assert "嵌套层级过深" in error.message


def test_file_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL)
    with pytest.raises(InputRejected) as info:
        load_case(path, max_bytes=100)
    assert "文件过大" in info.value.errors[0].message


def _peak_bytes(call) -> tuple[int, BaseException | None]:
    """Peak Python memory while running `call()`, and what it raised."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except BaseException as exc:
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(50 * 1024 * 1024)
    peak, raised = _peak_bytes(lambda: load_case(path))
    assert isinstance(raised, InputRejected), raised
    assert "文件过大（50.0 MB），超过上限 20 MB" in raised.errors[0].message
    assert peak < 1024 * 1024, peak  # the file was not read


def test_reading_is_bounded_even_when_the_size_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc files report size 0, a file may grow after fstat(): the read itself is capped
    path = write(tmp_path, "grows.yaml", "a: 1\n" * 400_000)
    _fake_size(monkeypatch, 0)
    peak, raised = _peak_bytes(lambda: read_text(path, max_bytes=1000))
    assert isinstance(raised, InputRejected), raised
    assert "文件过大" in raised.errors[0].message
    assert peak < 200_000, peak  # at most max_bytes + 1 of the 2 MB were read


def _fake_size(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Make the reader's fstat() report `size` for regular files, as if the file changed after it."""
    real_fstat = reader.os.fstat

    def fstat(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        if not stat.S_ISREG(result.st_mode):
            return result
        fields = list(result)
        fields[6] = size  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(reader.os, "fstat", fstat)


@pytest.mark.parametrize("size_at_open", [None, 0, 1, 4999, 5000, 5001, 1 << 20])
def test_a_file_is_read_whole_whatever_size_fstat_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size_at_open: int | None
) -> None:
    # None: the true size (one read that comes back short is the end); smaller: the file grew
    # after fstat(), larger: it shrank; both are read to the end
    data = bytes(range(250)) * 20  # 5000 bytes
    path = write(tmp_path, "a.json", data)
    if size_at_open is not None:
        _fake_size(monkeypatch, size_at_open)
    assert read_bytes(path) == data
    if (size_at_open or 0) <= 5000:  # else refused by its size at open, as below
        assert read_bytes(path, max_bytes=5000) == data
    (error,) = rejected(path, lambda p: read_bytes(p, max_bytes=4999))
    assert "文件过大" in error.message and error.file == str(path)


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_a_proc_file_reporting_size_0_is_read_whole() -> None:
    data = read_bytes("/proc/self/status")
    assert data.startswith(b"Name:") and data.endswith(b"\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking read would wait forever
    outcome: list[list[InputError]] = []
    worker = threading.Thread(target=lambda: outcome.append(rejected(fifo, read_bytes)))
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "blocked on a FIFO"
    (error,) = outcome[0]
    assert error.message == "不是普通文件（命名管道 FIFO），未读取" and error.file == str(fifo)


def test_utf16_without_bom_is_named_as_binary_not_as_a_control_character(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", "a: 1\n".encode("utf-16-le")))
    assert error.message.startswith("无法识别的文件编码：文件含有 NUL 字节")
    assert (error.line, error.column) == (1, 2)
    (error,) = rejected(write(tmp_path, "b.yaml", b"%PDF-1.7\n%\x00\x01\x02\n"))
    assert "PDF" in error.message


def test_characters_only_in_gb18030_decode(tmp_path: Path) -> None:
    text = MINIMAL.replace("name: 某公司", "name: 某㐀公司€")  # CJK Ext. A and € are 4-byte / not in GBK
    case, doc = load_case(write(tmp_path, "a.yaml", text.encode("gb18030")))
    assert doc.encoding == "gb18030" and case.party.name == "某㐀公司€"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_doubled_bom_is_removed(tmp_path: Path, suffix: str) -> None:
    # a BOM-marked file re-saved by a tool that took the first BOM for text
    text = (
        MINIMAL if suffix == ".yaml" else json.dumps(yaml.safe_load(MINIMAL), ensure_ascii=False, default=str)
    )
    case, doc = load_case(write(tmp_path, "a" + suffix, b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode("utf-8")))
    assert case.party.name == "某公司" and doc.encoding == "utf-8-sig"


def test_line_endings_are_normalised() -> None:
    assert decode_bytes(b"a: 1\r\nb: 2\rc: 3\n", "a.yaml").text == "a: 1\nb: 2\nc: 3\n"


def test_old_mac_line_endings_keep_json_line_numbers(tmp_path: Path) -> None:
    data = yaml.safe_load(MINIMAL)
    data["violations"][0]["committed_on"] = "2024年2月30日"
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    path = write(tmp_path, "a.json", text.replace("\n", "\r").encode("utf-8"))
    error = only(rejected(path), "violations[0].committed_on")
    assert (error.line, error.column) == (line_of(text, "committed_on"), 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, "嵌套层级过深"),
        ('{"a": NaN}', "JSON 数值无效"),
        ('{"a": -Infinity}', "JSON 数值无效"),
        ('{"a": ' + "9" * 5000 + "}", "JSON 数值无效"),
    ],
)
def test_hostile_json_is_refused_with_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    (error,) = rejected(write(tmp_path, "a.json", text), read_document)
    assert error.message.startswith(expected), error.message


@pytest.mark.parametrize(
    ("raised", "expected"),
    [(KeyError("x"), "无法解析文件（内部错误 KeyError"), (MemoryError(), "内存不足")],
)
def test_a_parser_bug_is_a_rejection_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: BaseException, expected: str
) -> None:
    def broken(*args, **kwargs):
        raise raised

    monkeypatch.setattr(source, "parse_yaml_fast", lambda *args, **kwargs: None)  # the full parser
    monkeypatch.setattr(source, "parse_yaml", broken)
    (error,) = rejected(write(tmp_path, "a.yaml", MINIMAL), read_document)
    assert expected in error.message


def test_a_recursing_parser_gives_the_nesting_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Recursing(yaml.SafeLoader):
        def get_event(self):
            raise RecursionError

    monkeypatch.setattr(yamlpos, "Loader", Recursing)
    with pytest.raises(InputRejected) as info:
        yamlpos.parse_yaml("a: 1\n", "a.yaml")
    assert "嵌套层级过深" in info.value.errors[0].message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert rejected(tmp_path / "nope.yaml")[0].message == "文件不存在"
    assert "目录" in rejected(tmp_path)[0].message


# -- roster -------------------------------------------------------------------------------------


def test_roster_yaml() -> None:
    roster = load_roster(DATA / "roster.yaml")
    certs = roster.by_number()
    assert certs["32050012345"].legal_qualification is True
    assert certs["32050012346"].status.value == "suspended"


def test_roster_yaml_errors_have_positions(tmp_path: Path) -> None:
    text = (
        (DATA / "roster.yaml")
        .read_text(encoding="utf-8")
        .replace("valid_from: 2022-01-31", "valid_from: 去年")
    )
    error = only(rejected(write(tmp_path, "r.yaml", text), load_roster), "certificates[1].valid_from")
    assert error.line == line_of(text, "valid_from: 去年")


def test_roster_csv_with_chinese_headers(tmp_path: Path) -> None:
    good = (DATA / "roster.csv").read_text(encoding="utf-8").replace("2022/13/45", "2022/3/5")
    roster = load_roster(write(tmp_path, "r.csv", good.encode("gbk")))
    certs = roster.by_number()
    assert len(certs) == 4
    zhang = certs["32050012345"]
    assert (zhang.valid_from, zhang.valid_to) == (dt.date(2022, 1, 1), dt.date(2026, 12, 31))
    assert zhang.legal_qualification is True
    li = certs["32050012346"]
    assert li.valid_to is None  # 长期
    assert li.kind.value == "enforcement" and li.status.value == "valid"  # empty cells: defaults
    assert certs["32050012347"].role.value == "legal_reviewer"
    assert certs["32050012348"].kind.value == "supervision"
    assert certs["32050012348"].valid_from == dt.date(2023, 3, 1)


def test_roster_csv_bad_row_names_line_and_column(tmp_path: Path) -> None:
    text = (DATA / "roster.csv").read_text(encoding="utf-8")
    text = text.replace("长期,,,否", "长期,,,也许")
    path = write(tmp_path, "r.csv", text.replace("\n", "\r\n"))
    errors = rejected(path, load_roster)
    by_field = {e.field: e for e in errors}
    assert by_field["有效期起"].line == line_of(text, "2022/13/45")
    assert by_field["有效期起"].value == "'2022/13/45'"
    assert by_field["法律职业资格"].line == line_of(text, "也许")
    assert by_field["法律职业资格"].message == "应为 是 或 否"
    assert len(errors) == 2
    assert by_field["有效期起"].format().startswith(f"{path}:4 有效期起：")


def test_roster_csv_reports_bad_enum_missing_cell_and_header(tmp_path: Path) -> None:
    text = "证件号,姓名,有效期起,状态\n1,张三,2024-01-01,作废\n2,,2024-01-01,\n"
    errors = rejected(write(tmp_path, "r.csv", text), load_roster)
    assert [(e.line, e.field) for e in errors] == [(2, "状态"), (3, "姓名")]
    assert "valid（有效）" in errors[0].message
    assert "不能为空" in errors[1].message

    (error,) = rejected(
        write(tmp_path, "h.csv", "证件号,姓名,有效期起,职称\n1,张三,2024-01-01,x\n"), load_roster
    )
    assert (error.line, error.field) == (1, "职称")

    (error,) = rejected(write(tmp_path, "m.csv", "证件号,有效期起\n1,2024-01-01\n"), load_roster)
    assert "持证人" in error.message


def test_disallowed_unicode_characters_are_located(tmp_path: Path) -> None:
    (error,) = rejected(write(tmp_path, "a.yaml", "名称: 张三\nb: x\x80\n"), read_document)
    assert (error.line, error.column) == (2, 5)
    assert "U+0080" in error.message


def test_rejections_and_documents_pickle(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as info:
        load_case(tmp_path / "missing.yaml")
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.errors == info.value.errors
    _, doc = load_case(write(tmp_path, "a.json", json.dumps(yaml.safe_load(MINIMAL), default=str)))
    assert pickle.loads(pickle.dumps(doc)).locate("party.name") == doc.locate("party.name")


def test_the_texts_read_last_are_kept_for_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The case pages quote excerpts of the texts just reviewed (`recent_text`) instead of reading
    the files again: the decoded text with its line endings normalised, for each of the last
    files read (a worker makes a whole chunk's pages after reviewing all of it), within bounds."""
    from casereview.load import source
    from casereview.load.source import recent_text

    yaml_path = write(tmp_path, "a.yaml", b"\xef\xbb\xbf" + MINIMAL.replace("\n", "\r\n").encode())
    load_case(yaml_path)
    assert recent_text(str(yaml_path)) == MINIMAL
    json_text = json.dumps(yaml.safe_load(MINIMAL), ensure_ascii=False, indent=1, default=str)
    json_path = write(tmp_path, "b.json", json_text.encode("gb18030"))
    load_case(json_path, data=json_path.read_bytes())
    assert recent_text(str(json_path)) == json_text
    assert recent_text(str(yaml_path)) == MINIMAL  # still kept: read a file before
    with pytest.raises(InputRejected):
        load_case(write(tmp_path, "c.yaml", b"\x00\x01"))
    assert recent_text(str(tmp_path / "c.yaml")) is None  # never decoded
    changed = MINIMAL.replace("case:", "case:  ")
    load_case(write(tmp_path, "a.yaml", changed.encode()))
    assert recent_text(str(yaml_path)) == changed  # read again: its new text
    for i in range(source._RECENT_FILES - 1):
        load_case(write(tmp_path, f"more{i}.yaml", MINIMAL.encode()))
    assert recent_text(str(yaml_path)) == changed and recent_text(str(json_path)) is None  # the oldest gone
    monkeypatch.setattr(source, "_RECENT_CHARS", 3 * len(MINIMAL))
    load_case(write(tmp_path, "d.yaml", MINIMAL.encode()))
    kept = [p for p in tmp_path.iterdir() if recent_text(str(p)) is not None]
    assert len(kept) == 3 and recent_text(str(tmp_path / "d.yaml")) == MINIMAL  # bounded in characters


_LINE_PIECES = ["case:", "  number: 甲-1", "a: 1", "b: 文本", "# 注", "", "  - x", "k: |", "  块", "c: 'q'"]
_BREAKS = ["\n", "\n", "\r\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_LINE_PIECES), st.sampled_from(_BREAKS)), max_size=12), st.booleans()
)
def test_the_lines_kept_for_excerpts_are_the_texts_lines(tmp_path_factory, pieces, last_break):
    """`recent_lines` is `recent_text(...).splitlines()` whether the YAML fast path split the text
    (its lines are taken) or not (other line breaks, a parse refused: the text is split)."""
    from casereview.load import source

    text = "".join(line + brk for line, brk in pieces)
    if not last_break:
        text = text.rstrip("\n")
    path = tmp_path_factory.mktemp("lines") / "a.yaml"
    path.write_bytes(text.encode())
    with contextlib.suppress(InputRejected):
        read_document(path)
    kept = source.recent_text(str(path))
    if kept is not None:
        assert source.recent_lines(str(path)) == kept.splitlines()


def test_the_lines_the_yaml_fast_path_split_are_kept_for_excerpts(tmp_path: Path) -> None:
    from casereview.load import source

    for text in (MINIMAL, MINIMAL.rstrip("\n"), MINIMAL + "\n\n"):
        path = write(tmp_path, "a.yaml", text.encode())
        read_document(path)
        assert source._recent[str(path)][1] is not None  # the fast path's, not split again
        lines = source.recent_lines(str(path))
        assert lines == text.splitlines()
        lines.append("changed by a caller")
        assert source.recent_lines(str(path)) == text.splitlines()  # its own copy
