"""Command line: `casereview check|review|schema|rules|explain`.

Exit codes of check/review: 0 nothing at or above --fail-on, 1 findings at or above it,
2 some input could not be reviewed (or the rules/profile could not be loaded).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from . import __version__
from .load import CASE_SUFFIXES, InputRejected, load_roster
from .model.case import CaseFile
from .model.roster import Roster
from .packs.conditions import describe
from .packs.loader import PackError, RuleBook, load_rulebook
from .packs.schema import SEVERITY_LABELS, SEVERITY_RANK, VERIFICATION_LABELS
from .review import CaseResult, ReviewContext
from .score.profile import Profile, load_profile

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def iter_case_paths(targets: list[Path]) -> Iterator[Path]:
    """Files as given; folders walked for case files (rosters and hidden files skipped)."""
    for target in targets:
        if target.is_dir():
            for path in sorted(target.rglob("*")):
                if (
                    path.is_file()
                    and path.suffix.lower() in CASE_SUFFIXES
                    and not path.name.startswith(".")
                    and not path.stem.lower().startswith("roster")
                ):
                    yield path
        else:
            yield target


def make_context(book: RuleBook, profile: Profile, roster: Roster | None, engine: str) -> ReviewContext:
    if engine == "durable":
        from .evaluate.durable_engine import DurableEngine

        return ReviewContext(book, profile, DurableEngine(book.compiled), roster)
    from .evaluate.oracle import OracleEngine

    return ReviewContext(book, profile, OracleEngine(book.compiled), roster)


def _durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:
        return False
    return True


def run_reviews(args: argparse.Namespace, paths: list[Path]) -> tuple[list[CaseResult], RuleBook] | int:
    try:
        book = load_rulebook(args.rules, extra=args.pack)
        profile = load_profile(args.profile)
    except (PackError, ValueError) as exc:
        print(f"规则包或评查标准无法加载：\n{exc}", file=sys.stderr)
        return EXIT_INPUT
    roster = None
    if args.roster:
        try:
            roster = load_roster(args.roster)
        except InputRejected as exc:
            print(f"证件台账无法读取：\n{exc.format()}", file=sys.stderr)
            return EXIT_INPUT
    engine = args.engine
    notes = []
    if engine == "durable" and not _durable_available():
        engine = "oracle"
        notes.append("durable_rules 不可用，已改用参照引擎（oracle）")
    fallback = make_context(book, profile, roster, "oracle")
    if engine == "oracle" or args.workers == 0:
        from .review import review_file

        ctx = make_context(book, profile, roster, engine) if engine == "oracle" else fallback
        results = [review_file(p, ctx) for p in paths]
    else:
        from .evaluate.runner import review_paths

        factory = partial(make_context, book, profile, roster, engine)
        results = list(review_paths(paths, factory, fallback, workers=args.workers))
    for r in results:
        r.notes.extend(notes)
    return results, book


def _exit_code(results: list[CaseResult], fail_on: str) -> int:
    if any(r.status == "rejected" for r in results):
        return EXIT_INPUT
    threshold = SEVERITY_RANK[fail_on]
    worst = max((SEVERITY_RANK[f.severity] for r in results for f in r.findings), default=-1)
    return EXIT_FINDINGS if worst >= threshold else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    paths = list(iter_case_paths(args.paths))
    if not paths:
        print("没有找到案卷文件（.yaml/.yml/.json）", file=sys.stderr)
        return EXIT_INPUT
    outcome = run_reviews(args, paths)
    if isinstance(outcome, int):
        return outcome
    results, book = outcome
    from .report import formats

    out = sys.stdout
    formats.write(
        args.format, results, out, meta={"rules_version": book.version, "tool_version": __version__}
    )
    return _exit_code(results, args.fail_on)


def cmd_schema(args: argparse.Namespace) -> int:
    model = Roster if args.roster else CaseFile
    print(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))
    return EXIT_OK


def _load_book(args: argparse.Namespace) -> RuleBook | None:
    try:
        return load_rulebook(args.rules, extra=args.pack)
    except PackError as exc:
        print(f"规则包无法加载：\n{exc}", file=sys.stderr)
        return None


def cmd_rules(args: argparse.Namespace) -> int:
    book = _load_book(args)
    if book is None:
        return EXIT_INPUT
    for code, definition in sorted(book.rules.items()):
        rule = definition.rule
        n = len(definition.variants)
        variants = f"（{n} 个变体）" if n > 1 else ""
        print(f"{code}\t{SEVERITY_LABELS[rule.severity]}\t{rule.category}\t{rule.title}{variants}")
    print(f"共 {len(book.rules)} 条规则，{len(book.compiled)} 个编译规则；规则版本 {book.version}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    book = _load_book(args)
    if book is None:
        return EXIT_INPUT
    definition = book.rules.get(args.code)
    if definition is None:
        print(f"没有规则 {args.code}", file=sys.stderr)
        return EXIT_INPUT
    rule = definition.rule
    print(f"{rule.code} {rule.title}")
    print(f"严重程度：{SEVERITY_LABELS[rule.severity]}　类别：{rule.category}　适用对象：{rule.applies_to}")
    print(f"适用程序：{'、'.join(p.label for p in rule.procedures)}")
    if rule.effective.since or rule.effective.until:
        print(f"有效期：{rule.effective.since or '—'} 至 {rule.effective.until or '—'}")
    print("法律依据：")
    for basis in rule.basis:
        print(f"  {basis.cite()}（{VERIFICATION_LABELS[basis.verification]}）")
        if basis.quote:
            print(f"    「{basis.quote}」")
        if basis.note:
            print(f"    注：{basis.note}")
    if rule.explain:
        print(f"说明：{rule.explain.strip()}")
    print(f"条件：{describe(definition.variants[0].when)}")
    if len(definition.variants) > 1:
        print(f"（由表格生成 {len(definition.variants)} 个变体，上为第一个）")
    print(f"提示模板：{rule.message}")
    print(f"定义位置：{definition.file}:{definition.line}")
    print(f"示例：不合格 {len(rule.examples.fail)} 个，合格 {len(rule.examples.passing)} 个")
    return EXIT_OK


def _add_review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--roster", type=Path, help="证件台账（YAML 或 CSV）")
    parser.add_argument("--profile", type=Path, help="评查标准文件（默认：示例评查标准）")
    parser.add_argument("--engine", choices=["durable", "oracle"], default="durable", help="规则引擎")
    parser.add_argument(
        "--workers", type=int, default=None, help="工作进程数（默认：CPU 核数；0 = 不用子进程）"
    )


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, default=None, help="规则目录（默认：内置 rules/）")
    parser.add_argument("--pack", type=Path, action="append", default=[], help="追加规则包文件")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casereview", description="应急管理行政处罚案卷评查")
    parser.add_argument("--version", action="version", version=f"casereview {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="评查案卷文件或文件夹，逐案输出得分、等次和问题")
    check.add_argument("paths", type=Path, nargs="+")
    check.add_argument("--format", default="text", help="输出格式：text|json（及 junit|sarif）")
    check.add_argument("--fail-on", choices=["veto", "deduct", "warn", "review"], default="deduct")
    _add_review_options(check)
    _add_rule_options(check)
    check.set_defaults(func=cmd_check)

    schema = sub.add_parser("schema", help="输出案卷（或 --roster 证件台账）的 JSON Schema")
    schema.add_argument("--roster", action="store_true")
    schema.set_defaults(func=cmd_schema)

    rules = sub.add_parser("rules", help="列出已加载的规则")
    _add_rule_options(rules)
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser("explain", help="显示一条规则的条文依据、条件和示例")
    explain.add_argument("code")
    _add_rule_options(explain)
    explain.set_defaults(func=cmd_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
