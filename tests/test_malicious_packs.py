"""Hostile rule packs are refused at load with Chinese errors; nothing in a pack executes code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from casereview.evaluate.findings import render
from casereview.packs.conditions import MAX_CONDITION_DEPTH, ConditionError, parse_condition
from casereview.packs.loader import PackError, load_rulebook, read_pack

BASE = """\
pack:
  id: evil
  title: 测试包
  version: "1"
rules:
  - code: EV-001
    title: 测试规则
    category: procedure
    severity: warn
    applies_to: case
    basis:
      - instrument: 中华人民共和国行政处罚法
        version: "2021"
        article: 58
        verification: official
    when:
      all:
        - procedure == general
    message: "罚款合计 {fine_total} 元"
    examples:
      fail: [{note: x}]
      pass: [{note: y}]
"""

_CJK = ("\u4e00", "\u9fff")


def _has_chinese(text: str) -> bool:
    return any(_CJK[0] <= ch <= _CJK[1] for ch in text)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(tmp_path: Path, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(PackError) as info:
        load_rulebook(extra=[path])
    message = str(info.value)
    assert _has_chinese(message), message
    assert "evil.yaml" in message
    return message


def test_base_pack_loads(tmp_path):
    book = load_rulebook(extra=[_write(tmp_path, BASE)])
    assert "EV-001" in book.rules


@pytest.mark.parametrize(
    "template",
    [
        "{__class__}",
        "{0.__globals__}",
        "{fine_total.__class__.__mro__}",
        "{fine_total!r}",
        "{fine_total:>99999}",
        "{}",
        "{_secret}",
        "{fine_total[0]}",
    ],
)
def test_template_injection_is_refused(tmp_path, template):
    message = _refused(tmp_path, BASE.replace("{fine_total} 元", f"{template} 元"))
    assert "提示模板" in message


def test_render_never_formats_attributes():
    # even a template that got past the loader is substituted by name only
    values = {"x": 1, "__class__": "no"}
    assert render("{0.__globals__} {x.__class__} {x}", values) == "{0.__globals__} {x.__class__} 1"


def test_deeply_nested_condition_is_refused_not_recursion_error(tmp_path):
    node: object = "procedure == general"
    for _ in range(5000):
        node = {"not": node}
    with pytest.raises(ConditionError) as info:
        parse_condition(node)
    assert "嵌套" in str(info.value)
    node = "procedure == general"
    for i in range(MAX_CONDITION_DEPTH):
        node = {"all": [node]} if i % 2 else {"any": [node]}
    parse_condition(node)  # the limit itself is fine


def test_deeply_nested_condition_in_a_pack_is_refused(tmp_path):
    depth = 3000
    nested = "{all: [" * depth + "'procedure == general'" + "]}" * depth
    text = BASE.replace("      all:\n        - procedure == general\n", "").replace(
        "    when:\n", f"    when: {nested}\n"
    )
    limit = sys.getrecursionlimit()
    message = _refused(tmp_path, text)
    assert "嵌套" in message
    assert sys.getrecursionlimit() == limit


def test_flow_style_deep_nesting_is_refused(tmp_path):
    deep = "[" * 5000 + "]" * 5000
    message = _refused(tmp_path, BASE + f"extra: {deep}\n")
    assert "嵌套" in message


def test_gigantic_in_list_is_refused(tmp_path):
    values = ", ".join(f"v{i}" for i in range(20_000))
    message = _refused(tmp_path, BASE.replace("procedure == general", f"party_kind in [{values}]"))
    assert "in 列表" in message


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        bomb.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    text = BASE + "bomb:\n" + "".join(f"  {line}\n" for line in bomb)
    message = _refused(tmp_path, text)
    assert "别名" in message or "节点" in message


def test_few_aliases_are_fine(tmp_path):
    text = BASE.replace("    basis:\n", "    basis: &basis\n", 1)
    read_pack(_write(tmp_path, text))


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch /tmp/casereview-pwned']",
        "!!python/name:os.system",
        "!!python/object/new:subprocess.Popen [['touch', '/tmp/casereview-pwned']]",
        "!!binary aGVsbG8=",
        "!custom x",
        "!!set {a: null}",
    ],
)
def test_python_and_unknown_tags_are_refused(tmp_path, tag):
    marker = Path("/tmp/casereview-pwned")
    marker.unlink(missing_ok=True)
    message = _refused(tmp_path, BASE.replace("title: 测试规则", f"title: {tag}"))
    assert "标签" in message
    assert not marker.exists()


def test_oversized_pack_is_refused(tmp_path):
    message = _refused(tmp_path, BASE + "# " + "x" * (3 * 1024 * 1024) + "\n")
    assert "过大" in message


def test_non_utf8_pack_is_refused(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_bytes(BASE.encode("gbk"))
    with pytest.raises(PackError) as info:
        load_rulebook(extra=[path])
    assert "UTF-8" in str(info.value)
