"""Load rule packs from `rules/`: YAML → pydantic → compiled rules, refusing broken packs.

A broken pack is refused at load with `file:line`, the rule code and a Chinese reason; the
engine never runs half a pack.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .cases import PackCaseRef, resolve_cases
from .compile import compile_rule
from .compiled import CompiledRule
from .expanders import Tables, load_tables
from .location import default_rules_dir
from .schema import DEFAULT_UNKNOWN_MESSAGE, Pack, Parameter, Rule, UnknownSpec


class PackError(Exception):
    """A pack that cannot be used; `problems` are `file:line 代码：原因` lines."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class RuleDef:
    """A pack rule as loaded, with where it came from."""

    rule: Rule
    pack_id: str
    file: str
    line: int
    variants: list[CompiledRule] = field(default_factory=list)
    unknown: UnknownSpec = field(default_factory=UnknownSpec)  # resolved: rule, else pack, else default


@dataclass
class RuleBook:
    """All loaded packs: rule definitions by code, compiled rules, and a content version."""

    rules: dict[str, RuleDef]
    compiled: list[CompiledRule]
    packs: dict[str, Pack]
    tables: Tables
    version: str
    root: Path
    parameters: dict[str, Parameter] = field(default_factory=dict)  # shared by every pack
    example_cases: list[PackCaseRef] = field(default_factory=list)  # `pack.example_cases`, resolved

    def by_rule_id(self) -> dict[str, CompiledRule]:
        index = self.__dict__.get("_by_rule_id")
        if index is None or len(index) != len(self.compiled):  # built once per book, not per case
            index = self.__dict__["_by_rule_id"] = {c.rule_id: c for c in self.compiled}
        return index


class PackYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """Safe loader with YAML 1.2 booleans: `on`/`off`/`yes`/`no` stay strings (`on:` is a field),
    that refuses a key repeated in one mapping (YAML's loaders keep the last one silently: a
    second `note:` or `value:` would replace the first unseen)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if key.tag == "tag:yaml.org,2002:merge" or not isinstance(key, yaml.ScalarNode):
                continue
            if key.value in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"键「{key.value}」重复（第 {seen[key.value]} 行已有），请只保留一个",
                    key.start_mark,
                )
            seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)


PackYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    PackYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list(_first)
    )


def parse_with_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse once: the data, and the line (1-based) of each node path for error messages."""
    loader = PackYamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, _index_nodes(node)


def _index_nodes(root: Any) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of each node path below `root`."""
    index: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                index[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return index


def _line_for(index: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in index:
            return index[loc[:cut]]
    return 1


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


MAX_PACK_BYTES = 2 * 1024 * 1024
MAX_PACK_NODES = 200_000  # after alias expansion: a "billion laughs" pack is refused before loading
MAX_PACK_DEPTH = 100
_PACK_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
) | {"!"}
_TEMPLATE_BRACE = re.compile(r"\{[^{}]*\}|[{}]")
_TEMPLATE_NAME = re.compile(r"\{[A-Za-z][A-Za-z0-9_]*\}")


def _guard_pack_text(path: Path, text: str) -> None:
    """Refuse a hostile pack before PyYAML builds objects: size, nesting, alias expansion, tags.

    Driven by the (non-recursive) event parser, so a deep or alias-heavy pack costs time
    proportional to its text, never to its expansion."""

    def refuse(event: Any, reason: str) -> PackError:
        line = event.start_mark.line + 1 if event is not None and event.start_mark else 1
        return PackError([f"{path}:{line} {reason}"])

    if len(text) > MAX_PACK_BYTES:
        raise PackError([f"{path}:1 规则包文件过大（{len(text)} 字符，上限 {MAX_PACK_BYTES}）"])
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[0, None]]
    for event in yaml.parse(text, Loader=PackYamlLoader):
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PACK_TAGS:
            raise refuse(event, f"不允许的 YAML 标签 {tag}：规则包只能包含普通数据（不能构造对象或执行代码）")
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                raise refuse(event, f"别名 *{event.anchor} 没有对应的锚点")
            stack[-1][0] += sizes[event.anchor]
        elif isinstance(event, yaml.ScalarEvent):
            stack[-1][0] += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) > MAX_PACK_DEPTH:
                raise refuse(event, f"嵌套超过 {MAX_PACK_DEPTH} 层，拒绝加载")
            stack.append([1, event.anchor])
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            if anchor:
                sizes[anchor] = count
            stack[-1][0] += count
        else:
            continue
        if sum(entry[0] for entry in stack) > MAX_PACK_NODES:
            raise refuse(
                event, f"展开后节点超过 {MAX_PACK_NODES} 个（锚点/别名过多，疑似“十亿笑”攻击），拒绝加载"
            )


def _guard_templates(path: Path, pack: Pack, index: dict[tuple[Any, ...], int]) -> None:
    """Messages are data: only `{字段名}` placeholders; no attribute access, index, format spec."""
    problems = []
    templates: list[tuple[str, str, tuple[Any, ...]]] = []
    if pack.pack.unknown and pack.pack.unknown.message:
        templates.append(("pack.unknown", pack.pack.unknown.message, ("pack", "unknown", "message")))
    for i, rule in enumerate(pack.rules):
        templates.append((rule.code, rule.message, ("rules", i, "message")))
        if rule.unknown and rule.unknown.message:
            templates.append((rule.code, rule.unknown.message, ("rules", i, "unknown", "message")))
    for code, template, where in templates:
        for token in _TEMPLATE_BRACE.findall(template):
            if not _TEMPLATE_NAME.fullmatch(token):
                line = _line_for(index, where)
                problems.append(
                    f"{path}:{line} {code} 提示模板中的 {token} 不允许：只能使用 {{字段名}} 形式的占位符"
                    "（字母开头，不能访问属性、下标或格式说明）"
                )
    if problems:
        raise PackError(problems)


def read_pack(path: Path) -> tuple[Pack, dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PackError([f"{path}:1 规则包必须是 UTF-8 编码的文本"]) from None
    try:
        _guard_pack_text(path, text)
        data, index = parse_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = str(getattr(exc, "problem", exc))
        if "nesting depth" in problem:  # libyaml's own limit
            problem = f"嵌套层级过深（{problem}）"
        raise PackError([f"{path}:{line} YAML 语法错误：{problem}"]) from None
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            code = _rule_code(data, loc)
            problems.append(f"{path}:{_line_for(index, loc)} {code}{_loc_text(loc)}：{err['msg']}")
        raise PackError(problems) from None
    _guard_templates(path, pack, index)
    return pack, index


def _rule_code(data: Any, loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            return f"{data['rules'][loc[1]]['code']} "
        except (KeyError, IndexError, TypeError):
            return ""
    return ""


def pack_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.yaml") if "examples" not in p.parts and _is_pack(p))


def _is_pack(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("pack:"):
                return True
    return False


def _check_sources(root: Path, extra: list[Path]) -> None:
    """A missing rules folder or --pack file is an error (an empty one is found while loading):
    reviewing with no rules would grade every file 优秀 (a silent pass)."""
    if not root.is_dir():
        raise PackError([f"{root}: 规则目录不存在或不是文件夹"])
    missing = [f"{path}: 规则包文件不存在或不是普通文件" for path in extra if not Path(path).is_file()]
    if missing:
        raise PackError(missing)


def load_rulebook(root: Path | None = None, extra: list[Path] | None = None) -> RuleBook:
    """Load every pack under `root` (default: the shipped `rules/`) plus `extra` pack files."""
    root = root or default_rules_dir()
    _check_sources(root, list(extra or []))
    files = pack_files(root) + list(extra or [])
    problems: list[str] = []
    tables = load_tables(root, problems)
    rules: dict[str, RuleDef] = {}
    packs: dict[str, Pack] = {}
    digest = hashlib.sha256()
    read: list[tuple[Path, Pack, dict[tuple[Any, ...], int]]] = []
    for path in files:
        digest.update(path.read_bytes())
        try:
            pack, index = read_pack(path)
        except PackError as exc:
            problems.extend(exc.problems)
            continue
        packs[pack.pack.id] = pack
        read.append((path, pack, index))
    parameters = _shared_parameters(read, problems)
    example_cases: list[PackCaseRef] = []
    for path, pack, index in read:
        # a pack outside `root` (--pack) has its own folder as its rules folder
        home = root if path.resolve().is_relative_to(root.resolve()) else path.parent
        refs, case_problems = resolve_cases(path, pack, home, lambda loc, i=index: _line_for(i, loc))
        example_cases += refs
        problems += case_problems
    for path, pack, index in read:
        for i, rule in enumerate(pack.rules):
            line = _line_for(index, ("rules", i))
            where = f"{path}:{line} {rule.code}"
            if rule.code in rules:
                other = rules[rule.code]
                problems.append(f"{where}：规则代码重复（已在 {other.file}:{other.line} 定义）")
                continue
            try:
                variants = compile_rule(rule, parameters, tables)
                unknown = resolve_unknown(rule, pack)
            except ValueError as exc:
                problems.append(f"{where}：{exc}")
                continue
            rules[rule.code] = RuleDef(rule, pack.pack.id, str(path), line, variants, unknown)
    for table_file in tables.files:
        digest.update(table_file.read_bytes())
    if not files:
        problems.append(f"{root}: 规则目录中没有规则包（含 pack: 的 .yaml 文件），不能评查")
    elif not rules and not problems:
        problems.append(f"{root}: 规则包中没有任何规则，不能评查")
    if problems:
        raise PackError(problems)
    compiled = [variant for definition in rules.values() for variant in definition.variants]
    return RuleBook(rules, compiled, packs, tables, digest.hexdigest()[:16], root, parameters, example_cases)


def resolve_unknown(rule: Rule, pack: Pack) -> UnknownSpec:
    """The rule's unknown semantics: its own `unknown:` block, else the pack's, else review."""
    from ..derive.vocabulary import fields_of

    own, default = rule.unknown or UnknownSpec(), pack.pack.unknown or UnknownSpec()
    needs = own.needs if own.needs is not None else default.needs
    if needs is not None:
        fields = fields_of(rule.applies_to)
        wrong = [n for n in needs if n not in fields and not n.startswith("f_")]
        if wrong:
            raise ValueError(f"unknown.needs 中的 {'、'.join(wrong)} 不是 {rule.applies_to} 的字段")
    return UnknownSpec(
        mode=own.mode or default.mode or "review",
        message=own.message or default.message or DEFAULT_UNKNOWN_MESSAGE,
        needs=needs,
    )


def _shared_parameters(read: list[tuple[Path, Pack, Any]], problems: list[str]) -> dict[str, Parameter]:
    """Parameters are one namespace across packs: a legal number is defined once, used anywhere."""
    from .paramcheck import parameter_text_problems

    shared: dict[str, Parameter] = {}
    where: dict[str, Path] = {}
    for path, pack, index in read:
        for name, param in pack.parameters.items():
            for bad in parameter_text_problems(name, param):
                if not bad.waived:
                    line = _line_for(index, ("parameters", name))
                    problems.append(
                        f"{path}:{line} {bad.message}（确属解释或代用值的，在该取值写 text_waiver 说明理由）"
                    )
            if name in shared and shared[name] != param:
                line = _line_for(index, ("parameters", name))
                problems.append(f"{path}:{line} 参数 {name} 已在 {where[name]} 以不同取值定义")
                continue
            shared[name], where[name] = param, path
    return shared
