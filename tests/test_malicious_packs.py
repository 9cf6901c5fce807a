"""Hostile rule packs are refused at load with Chinese errors; nothing in a pack executes code."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError

from casereview.evaluate.findings import render
from casereview.packs import loader
from casereview.packs.conditions import MAX_CONDITION_DEPTH, ConditionError, parse_condition
from casereview.packs.loader import PackError, load_rulebook, read_pack
from casereview.report.html import make_environment
from casereview.score import profile as profile_module

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


def _bomb(levels: int = 10) -> list[str]:
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        prev = f"*a{i - 1}"
        bomb.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    return bomb


@pytest.fixture
def no_construction(monkeypatch):
    """Fail at once if a hostile file reaches PyYAML's object construction (where a bomb would
    expand without bound) instead of being refused by the event-level guard."""

    real = loader.parse_with_lines

    def parse_with_lines(text):
        assert "id: evil" not in text, "the hostile YAML reached PyYAML's constructor"
        return real(text)

    monkeypatch.setattr(loader, "parse_with_lines", parse_with_lines)


def test_alias_bomb_is_refused_quickly(tmp_path, no_construction):
    text = BASE + "bomb:\n" + "".join(f"  {line}\n" for line in _bomb())
    message = _refused(tmp_path, text)
    assert "展开后节点超过" in message


def test_alias_expansion_counts_towards_the_node_limit(tmp_path, monkeypatch):
    # 9**4 nodes once expanded, from a few hundred bytes
    monkeypatch.setattr(loader, "MAX_PACK_NODES", 1000)
    text = BASE + "bomb:\n" + "".join(f"  {line}\n" for line in _bomb(4))
    message = _refused(tmp_path, text)
    assert "展开后节点超过 1000 个" in message


def test_nesting_beyond_the_pack_limit_is_refused_before_parsing(tmp_path, no_construction):
    # deeper than the pack limit (100) yet far below libyaml's own limit: the pack guard refuses it
    deep = "[" * 150 + "]" * 150
    message = _refused(tmp_path, BASE + f"extra: {deep}\n")
    assert "嵌套超过 100 层" in message


@pytest.mark.parametrize("condition", ["party_name =~ '(a+)+$'", "party_name matches '(a|aa)*b'"])
def test_there_are_no_regular_expressions_in_conditions(tmp_path, condition):
    with pytest.raises(ConditionError) as info:
        parse_condition(condition)
    assert "无法解析条件" in str(info.value)
    message = _refused(tmp_path, BASE.replace("procedure == general", condition))
    assert "EV-001" in message


@contextmanager
def _watchdog(seconds: int):
    """Turn a hang into a failure (not a timing assertion: the work takes milliseconds)."""

    def hung(*args):
        raise AssertionError(f"still running after {seconds} s: super-linear work")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
@pytest.mark.parametrize(
    "condition",
    [
        "amount == 1" + " " * 1_000_000 + "x",  # a lazy `.+?` before `\\s*$` was quadratic here
        "amount in [1" + " " * 1_000_000 + "x",
        "amount" + " " * 1_000_000 + "x",
    ],
)
def test_a_megabyte_condition_is_parsed_in_linear_time(condition):
    with _watchdog(20), pytest.raises(ConditionError):
        parse_condition(condition)


def test_report_templates_run_sandboxed_with_autoescape(tmp_path):
    env = make_environment(tmp_path, mask=False)
    assert env.from_string("{{ x }}").render(x="<script>1</script>") == "&lt;script&gt;1&lt;/script&gt;"
    for template in (
        "{{ x.__class__.__mro__ }}",
        "{{ x.__init__.__globals__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ labels.__class__.__base__.__subclasses__() }}",
    ):
        with pytest.raises(SecurityError):
            env.from_string(template).render(x=render)


def test_a_hostile_table_file_is_refused(tmp_path):
    root = tmp_path / "rules"
    (root / "tables").mkdir(parents=True)
    bomb = root / "tables" / "bomb.yaml"
    bomb.write_text("table: {type: bomb, id: X}\n" + "\n".join(_bomb()) + "\n", encoding="utf-8")
    tagged = root / "tables" / "tagged.yaml"
    tagged.write_text(
        "table: {type: statute, id: X}\nx: !!python/object/apply:os.getcwd []\n", encoding="utf-8"
    )
    with pytest.raises(PackError) as info:
        load_rulebook(root)
    problems = info.value.problems
    assert any(str(bomb) in p and "展开后节点超过" in p for p in problems), problems
    assert any(str(tagged) in p and "不允许的 YAML 标签" in p for p in problems), problems


def test_a_hostile_profile_is_refused(tmp_path, monkeypatch):
    def validated(*args, **kwargs):
        raise AssertionError("the hostile profile reached validation")

    monkeypatch.setattr(profile_module.Profile, "model_validate", validated)
    path = tmp_path / "profile.yaml"
    path.write_text("id: x\n" + "\n".join(_bomb()) + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        profile_module.load_profile(path)
    assert "展开后节点超过" in str(info.value)


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
