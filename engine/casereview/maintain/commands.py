"""Argparse wiring for the maintainer commands.

`register(sub)` takes the top-level subparsers action of `casereview`:
- adds `test`, `import`, `export`, `diff`, `docs` under the existing `rules` command (creating
  its sub-command slot if nobody did; `casereview rules` alone still lists the rules);
- adds `--rule/--all/--format/--roster` to the existing `explain` command and makes it accept a
  case file path as well as a rule code.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2
S = argparse.SUPPRESS


def _sub_action(parser: argparse.ArgumentParser, dest: str) -> Any:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    action = parser.add_subparsers(dest=dest, metavar="子命令")
    action.required = False
    return action


def _inherit_options(parent: argparse.ArgumentParser, child: argparse.ArgumentParser) -> None:
    """Give a sub-command the parent's options (default SUPPRESS, so a value given before the
    sub-command name is kept): `casereview rules lint --rules X` keeps working."""
    for action in parent._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        if any(o in child._option_string_actions for o in action.option_strings):
            continue
        clone = copy.copy(action)
        clone.default = S
        child._add_action(clone)


def _adopt_positional_choices(rules: argparse.ArgumentParser) -> Any:
    """`rules [list|lint]` is a positional with choices; argparse cannot combine it with
    sub-commands, so each choice becomes a sub-command setting the same attribute."""
    positional = next(
        (
            a
            for a in rules._actions
            if not a.option_strings and a.choices and not isinstance(a, argparse._SubParsersAction)
        ),
        None,
    )
    if positional is None:
        return None
    rules._remove_action(positional)
    for group in rules._action_groups:
        if positional in group._group_actions:
            group._group_actions.remove(positional)
    rules.set_defaults(**{positional.dest: positional.default})
    rsub = _adopt_positional_choices(rules) or _sub_action(rules, "rules_command")
    for choice in positional.choices:
        child = rsub.add_parser(
            choice,
            help={"list": "列出已加载的规则（默认）", "lint": "检查法条表、裁量基准表和清单"}.get(choice),
        )
        _inherit_options(rules, child)
        child.set_defaults(**{positional.dest: choice})
    return rsub


def _rules_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: `casereview rules --rules X test` keeps the parent's value
    parser.add_argument("--rules", type=Path, default=S, help="规则目录（默认：内置 rules/）")


def _load(args: argparse.Namespace, rules: Path | None = None) -> Any:
    from ..packs.loader import PackError, load_rulebook

    try:
        return load_rulebook(
            rules if rules is not None else getattr(args, "rules", None),
            extra=getattr(args, "pack", None) or [],
        )
    except PackError as exc:
        print(f"规则包无法加载：\n{exc}", file=sys.stderr)
        return None


def register(sub: Any) -> None:
    rules = sub.choices.get("rules")
    if rules is None:
        rules = sub.add_parser("rules", help="规则维护")
    rsub = _adopt_positional_choices(rules) or _sub_action(rules, "rules_command")

    test = rsub.add_parser(
        "test", help="运行每条规则的示例及规则包指向的示例案卷（像测试一样），可选统计覆盖情况"
    )
    _rules_option(test)
    test.add_argument("--engine", choices=["durable", "oracle", "both"], default="both")
    test.add_argument("--cases", type=Path, default=None, help="覆盖统计所用案卷文件夹（默认 casefiles/）")
    test.add_argument("--coverage", action="store_true", help="列出从未被示例或案卷触发的规则、变体和阶次")
    test.add_argument("--code", action="append", default=None, help="只测试这些规则代码")
    test.add_argument("--profile", type=Path, default=None, help="评查标准（示例案卷期望的等次据此计算）")
    test.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="百分比",
        help="与 --coverage 同用：合计覆盖率低于此值时退出码为 1",
    )
    test.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
    test.set_defaults(func=cmd_test)

    suggest = rsub.add_parser(
        "suggest-unknown",
        help="为缺少「事实未载明」示例（examples.unknown）的规则给出候选示例（两个引擎都验证过）",
    )
    _rules_option(suggest)
    suggest.add_argument("code", nargs="*", help="规则代码（默认：所有缺少该示例的规则）")
    suggest.set_defaults(func=cmd_suggest_unknown)

    from . import docs as _docs
    from . import tables_io as _tables

    _tables.add_commands(rsub, _rules_option)
    from . import diff as _diff

    _diff.add_command(rsub)
    _docs.add_command(rsub, _rules_option)

    explain = sub.choices.get("explain")
    if explain is not None:
        add_explain_options(explain)


def add_explain_options(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("--rule", action="append", default=None, help="案卷模式：只解释这些规则（可重复）")
    explain.add_argument("--all", action="store_true", help="案卷模式：解释所有规则（默认只列触发的规则）")
    explain.add_argument("--format", choices=["text", "json"], default="text")
    explain.add_argument("--full", action="store_true", help="案卷模式：表格生成的规则也列出与本案无关的变体")
    if not any("--roster" in a.option_strings for a in explain._actions):
        explain.add_argument("--roster", type=Path, help="证件台账（YAML 或 CSV）")
    original = explain.get_default("func")

    def dispatch(args: argparse.Namespace) -> int:
        if Path(args.code).is_file():
            return cmd_explain_case(args)
        return original(args)

    explain.set_defaults(func=dispatch)


def cmd_suggest_unknown(args: argparse.Namespace) -> int:
    from ..evaluate.durable_engine import DurableEngine
    from ..evaluate.oracle import OracleEngine
    from .unknown_examples import example_yaml, suggest

    book = _load(args)
    if book is None:
        return 3
    codes = args.code or sorted(c for c, d in book.rules.items() if not d.rule.examples.unknown)
    unknown_codes = [c for c in codes if c not in book.rules]
    if unknown_codes:
        print(f"没有这些规则：{'、'.join(unknown_codes)}", file=sys.stderr)
        return 3
    engines = [OracleEngine(book.compiled), DurableEngine.for_book(book)]
    missing = 0
    for code in codes:
        example = suggest(book, code, engines)
        if example is None:
            missing += 1
            print(f"# {code}：没有找到单项事实未载明即给出待人工评查事项的示例，请手写")
            continue
        where = book.rules[code].file
        print(f"# {code}（{where}）在 examples: 下加入：\n      unknown:\n{example_yaml(example)}")
    return 1 if missing else 0


def cmd_test(args: argparse.Namespace) -> int:
    from ..score.profile import load_profile
    from .pack_cases import pack_case_fact_sets
    from .testing import (
        ENGINE_LABELS,
        case_fact_sets,
        coverage,
        durable_available,
        example_fact_sets,
        render_coverage,
        run_tests,
    )

    book = _load(args)
    if book is None:
        return EXIT_INPUT
    try:
        profile = load_profile(args.profile)
    except ValueError as exc:
        print(f"评查标准无法加载：\n{exc}", file=sys.stderr)
        return EXIT_INPUT
    engines = ["oracle", "durable"] if args.engine == "both" else [args.engine]
    if "durable" in engines and not durable_available():
        print("durable_rules 不可用，只用参照引擎（oracle）运行", file=sys.stderr)
        engines = ["oracle"]
    failed = 0
    as_json = getattr(args, "format", "text") == "json"
    doc: dict[str, Any] = {"rules_version": book.version, "tests": []}
    for report in run_tests(book, engines, args.code, profile=profile):
        if as_json:
            doc["tests"].append(
                {
                    "engine": report.engine,
                    "passed": report.passed,
                    "failed": report.n_failed,
                    "lines": report.lines(),
                }
            )
        else:
            print(f"[{ENGINE_LABELS[report.engine]}]")
            for line in report.lines():
                print(f"  {line}")
        failed += report.n_failed
    below = False
    if args.coverage:
        cases = args.cases or Path("casefiles")
        fact_sets = example_fact_sets(book)
        more, errors = pack_case_fact_sets(book)
        fact_sets += more
        if cases.is_dir():
            more, folder_errors = case_fact_sets(cases)
            fact_sets += more
            errors += folder_errors
        else:
            errors.append(f"案卷文件夹 {cases} 不存在，只统计规则示例")
        cov = coverage(book, fact_sets, errors)
        total = cov.percent()["total"]
        below = args.fail_under is not None and (total or 0) < args.fail_under
        if as_json:
            doc["coverage"] = cov.as_dict()
        else:
            for line in render_coverage(cov):
                print(line)
        if below:
            print(f"合计覆盖率 {total}% 低于要求的 {args.fail_under:g}%", file=sys.stderr)
    elif args.fail_under is not None:
        print("--fail-under 需要与 --coverage 同用", file=sys.stderr)
        return EXIT_INPUT
    if as_json:
        doc["failed"] = failed
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    return EXIT_FAIL if failed or below else EXIT_OK


def cmd_explain_case(args: argparse.Namespace) -> int:
    from ..load import InputRejected, load_roster
    from .explain import explain_case, render_text

    book = _load(args)
    if book is None:
        return EXIT_INPUT
    roster = None
    if getattr(args, "roster", None):
        try:
            roster = load_roster(args.roster)
        except InputRejected as exc:
            print(f"证件台账无法读取：\n{exc.format()}", file=sys.stderr)
            return EXIT_INPUT
    codes = args.rule if args.rule else None
    try:
        data = explain_case(Path(args.code), codes, book, roster, full=args.full)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return EXIT_INPUT
    except InputRejected as exc:
        print(f"案卷无法读取：\n{exc.format()}", file=sys.stderr)
        return EXIT_INPUT
    if not codes and not args.all:
        data["rules"] = [r for r in data["rules"] if r["fired"]]
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        sys.stdout.write(render_text(data))
        if not codes and not args.all:
            print("（只列出触发的规则；用 --rule 代码 或 --all 查看其他规则为何未触发）")
    return EXIT_OK
