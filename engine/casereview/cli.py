"""Command line: `casereview check|review|schema|rules|explain`.

Exit codes of check/review: 0 nothing at or above --fail-on, 1 findings at or above it,
2 some input could not be reviewed (or the rules/profile could not be loaded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from . import __version__
from .load import CASE_SUFFIXES, InputRejected, load_roster
from .model.case import CaseFile
from .model.roster import Roster
from .packs.bookcache import load_rulebook_cached
from .packs.conditions import describe
from .packs.loader import PackError, RuleBook, load_rulebook
from .packs.schema import SEVERITY_LABELS, SEVERITY_RANK, VERIFICATION_LABELS
from .review import CaseResult, ReviewContext
from .score.profile import Profile, load_profile

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
EXIT_UNGRADED = 3  # no finding reached --fail-on, but a file is 未结案/无法评分 (not graded)


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


def make_context(
    book: RuleBook, profile: Profile, roster: Roster | None, engine: str, cache_dir: Path | None = None
) -> ReviewContext:
    if engine == "durable":
        from .evaluate.durable_engine import DurableEngine

        ctx = ReviewContext(book, profile, DurableEngine.for_book(book), roster)
    else:
        from .evaluate.oracle import OracleEngine

        ctx = ReviewContext(book, profile, OracleEngine(book.compiled), roster)
    if cache_dir is not None:
        from .cache import ResultCache

        ctx.cache = ResultCache(cache_dir)
    return ctx


def _cache_dir(args: argparse.Namespace) -> Path | None:
    if getattr(args, "no_cache", True) or os.environ.get("CASEREVIEW_NO_CACHE"):
        return None
    return args.cache_dir or Path.cwd() / ".casereview-cache"


def review_one(path: Path, ctx: ReviewContext) -> CaseResult:
    from .cache import cached_review

    return cached_review(path, ctx, ctx.cache)


def _durable_available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:
        return False
    return True


def run_reviews(args: argparse.Namespace, paths: list[Path]) -> tuple[list[CaseResult], RuleBook] | int:
    """Review every path (see _stream_reviews) and collect the results."""
    outcome = _stream_reviews(args, paths)
    if isinstance(outcome, int):
        return outcome
    stream, book = outcome
    return list(stream), book


def _exit_code(results: list[CaseResult], fail_on: str) -> int:
    if any(r.status == "rejected" for r in results):
        return EXIT_INPUT
    threshold = SEVERITY_RANK[fail_on]
    worst = max((SEVERITY_RANK[f.severity] for r in results for f in r.findings), default=-1)
    if worst >= threshold:
        return EXIT_FINDINGS
    if any(r.score is not None and not r.score.graded for r in results):
        return EXIT_UNGRADED
    return EXIT_OK


def _case_paths(args: argparse.Namespace) -> list[Path]:
    paths = list(iter_case_paths(args.paths))
    if not paths:
        print("没有找到案卷文件（.yaml/.yml/.json）", file=sys.stderr)
    return paths


def cmd_check(args: argparse.Namespace) -> int:
    paths = _case_paths(args)
    if not paths:
        return EXIT_INPUT
    outcome = run_reviews(args, paths)
    if isinstance(outcome, int):
        return outcome
    results, book = outcome
    from .report import formats

    out = sys.stdout
    formats.write(
        args.format,
        results,
        out,
        meta={"rules_version": book.version, "tool_version": __version__, "rulebook": book},
    )
    return _exit_code(results, args.fail_on)


REVIEW_FORMATS = ("html", "xlsx", "json", "junit", "sarif")


def _progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = width * done // total if total else width
    label = name if len(name) <= 40 else "…" + name[-39:]
    sys.stderr.write(f"\r评查中 [{'#' * filled}{'-' * (width - filled)}] {done}/{total} {label:<40}")
    sys.stderr.flush()


def _stream_reviews(args: argparse.Namespace, paths: list[Path]):
    """Like run_reviews, but yields results as they arrive (in input order)."""
    try:
        book = load_rulebook_cached(args.rules, extra=args.pack)
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

    def results() -> Iterator[CaseResult]:
        from .review import RejectedInput, rejected

        if args.workers == 0:
            ctx = (
                make_context(book, profile, roster, engine, _cache_dir(args))
                if engine == "oracle"
                else fallback
            )
            stream: Iterator[CaseResult] = (review_one(p, ctx) for p in paths)
        else:  # worker processes for either engine: a batch is CPU-bound
            from .evaluate.runner import review_paths

            factory = partial(make_context, book, profile, roster, engine, _cache_dir(args))
            stream = review_paths(paths, factory, fallback, workers=args.workers)
        count = 0
        for r in stream:
            r.notes.extend(notes)
            count += 1
            yield r
        for path in paths[count:]:  # safety net: every input file appears in the report
            yield rejected(path, [RejectedInput(file=str(path), message="评查未返回结果（内部错误）")])

    return results(), book


def cmd_review(args: argparse.Namespace) -> int:
    """Review a folder into a report folder: HTML pages, Excel workbook, JSON (and JUnit/SARIF)."""
    from . import fastjson
    from .analysis import analyse
    from .report.html import HtmlReport
    from .report.json_report import document as json_document
    from .report.json_report import write_value as write_json_value
    from .report.masking import mask_value
    from .report.xlsx import XlsxReport

    wanted = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in REVIEW_FORMATS]
    if unknown or not wanted:
        print(f"未知的输出格式 {'、'.join(unknown)}，可选：{'、'.join(REVIEW_FORMATS)}", file=sys.stderr)
        return EXIT_INPUT
    paths = _case_paths(args)
    if not paths:
        return EXIT_INPUT
    outcome = _stream_reviews(args, paths)
    if isinstance(outcome, int):
        return outcome
    stream, book = outcome
    mask = not args.no_mask
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    meta = {"rules_version": book.version, "tool_version": __version__, "masked": mask}
    html = HtmlReport(out, meta, mask) if "html" in wanted else None
    xlsx = XlsxReport(out / "评查结果.xlsx", mask) if "xlsx" in wanted else None
    json_file = (out / "results.json").open("w", encoding="utf-8") if "json" in wanted else None
    keep: list[CaseResult] | None = [] if {"junit", "sarif"} & set(wanted) else None
    if json_file:
        head = json.dumps(json_document([], meta), ensure_ascii=False, indent=2)
        json_file.write(head[: head.rindex('"results"')] + '"results": [\n')
    summaries = []
    worst, rejected = -1, 0
    tty = sys.stderr.isatty()
    from .analysis import CaseSummary

    try:
        for index, result in enumerate(stream):
            if tty:
                _progress(index + 1, len(paths), Path(result.file).name)
            if html:
                summaries.append(html.add(result, index))
            else:
                summaries.append(CaseSummary.of(result, index))
            if xlsx:
                xlsx.add(result, index)
            if json_file:
                if mask:
                    text = fastjson.dumps(mask_value(result.model_dump(mode="json")))
                else:
                    text = result.model_dump_json()
                json_file.write((",\n" if index else "") + text)
            if keep is not None:
                keep.append(result)
            rejected += result.status == "rejected"
            worst = max([worst, *(SEVERITY_RANK[f.severity] for f in result.findings)])
    finally:
        if tty:
            sys.stderr.write("\n")
    analysis = analyse(summaries)
    written = []
    if json_file:
        json_file.write("\n],\n")
        json_file.write('"analysis": ')
        write_json_value(json_file, analysis, mask)  # streamed: bounded memory at any N
        json_file.write("\n}\n")
        json_file.close()
        written.append("results.json")
    if html:
        html.finish(summaries, analysis)
        written.append("index.html")
    if xlsx:
        xlsx.finish()
        written.append("评查结果.xlsx")
    if keep is not None:
        machine_meta = {**meta, "rulebook": book}
        if "junit" in wanted:
            from .report.junit import dumps as junit_dumps

            (out / "junit.xml").write_text(junit_dumps(keep, machine_meta) + "\n", encoding="utf-8")
            written.append("junit.xml")
        if "sarif" in wanted:
            from .report.sarif import dumps as sarif_dumps

            (out / "results.sarif").write_text(sarif_dumps(keep, machine_meta) + "\n", encoding="utf-8")
            written.append("results.sarif")
    c = analysis["campaign"]
    rate = f"{c['pass_rate']:.1%}" if c["pass_rate"] is not None else "—"
    print(
        f"评查完成：共 {c['files']} 个文件，已评查 {c['reviewed']} 个，无法评查 {c['rejected']} 个；"
        f"合格率 {rate}；疑似同案异罚 {len(analysis['like_cases']['outliers'])} 件；"
        f"报告：{out}/（{'、'.join(written)}）"
    )
    if rejected:
        return EXIT_INPUT
    return EXIT_FINDINGS if worst >= SEVERITY_RANK[args.fail_on] else EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .model.unknown import with_unknown_defs

    model = Roster if args.roster else CaseFile
    print(json.dumps(with_unknown_defs(model.model_json_schema()), ensure_ascii=False, indent=2))
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
    if getattr(args, "action", None) == "lint":
        return cmd_lint(book)
    for code, definition in sorted(book.rules.items()):
        rule = definition.rule
        n = len(definition.variants)
        variants = f"（{n} 个变体）" if n > 1 else ""
        print(f"{code}\t{SEVERITY_LABELS[rule.severity]}\t{rule.category}\t{rule.title}{variants}")
    print(f"共 {len(book.rules)} 条规则，{len(book.compiled)} 个编译规则；规则版本 {book.version}")
    return EXIT_OK


def cmd_lint(book: RuleBook) -> int:
    """`casereview rules lint`: statutory ranges, tier order, gaps/overlaps, citations, units."""
    from .packs.lint import errors, lint_tables, notices

    found = lint_tables(book)
    for problem in found:
        print(problem)
    pending = notices(found)
    problems = [p for p in found if not p.notice]
    bad = errors(problems)
    waived = len(problems) - len(bad)
    print(
        f"表格检查：{len(problems)} 个问题，其中 {waived} 个已在表格 waivers 中豁免（原文缺陷），"
        f"{len(bad)} 个待处理"
    )
    if pending:
        print(f"另有 {len(pending)} 个阶次的适用条件待编写（待人工评查，不影响检查结果）")
    return EXIT_FINDINGS if bad else EXIT_OK


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
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="结果缓存目录（默认 ./.casereview-cache）"
    )
    parser.add_argument("--no-cache", action="store_true", help="不使用结果缓存")
    parser.add_argument("--roster", type=Path, help="证件台账（YAML 或 CSV）")
    parser.add_argument("--profile", type=Path, help="评查标准文件（默认：示例评查标准）")
    parser.add_argument("--engine", choices=["durable", "oracle"], default="durable", help="规则引擎")
    parser.add_argument(
        "--workers", type=int, default=None, help="工作进程数（默认：CPU 核数；0 = 不用子进程）"
    )


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", type=Path, default=None, help="规则目录（默认：内置 rules/）")
    parser.add_argument("--pack", type=Path, action="append", default=[], help="追加规则包文件")


REVIEW_COMMANDS = ("check", "review", "schema")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; for `check`/`review`/`schema` the maintainer commands (jinja2, openpyxl
    and their modules) are not loaded: a one-file check is started on every save."""
    parser = argparse.ArgumentParser(prog="casereview", description="应急管理行政处罚案卷评查")
    parser.add_argument("--version", action="version", version=f"casereview {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="评查案卷文件或文件夹，逐案输出得分、等次和问题")
    check.add_argument("paths", type=Path, nargs="+")
    check.add_argument(
        "--format", default="text", choices=["text", "json", "junit", "sarif"], help="输出格式"
    )
    check.add_argument("--fail-on", choices=["veto", "deduct", "warn", "review"], default="deduct")
    _add_review_options(check)
    _add_rule_options(check)
    check.set_defaults(func=cmd_check)

    review = sub.add_parser("review", help="评查一个文件夹，生成 HTML 报告、Excel 汇总表和 JSON 结果")
    review.add_argument("paths", type=Path, nargs="+", metavar="DIR")
    review.add_argument("-o", "--output", type=Path, required=True, help="报告输出文件夹")
    review.add_argument(
        "--format", default="html,xlsx,json", help="输出格式，逗号分隔：html,xlsx,json,junit,sarif"
    )
    review.add_argument("--no-mask", action="store_true", help="不对身份证号、手机号脱敏")
    review.add_argument("--fail-on", choices=["veto", "deduct", "warn", "review"], default="deduct")
    _add_review_options(review)
    _add_rule_options(review)
    review.set_defaults(func=cmd_review)

    schema = sub.add_parser("schema", help="输出案卷（或 --roster 证件台账）的 JSON Schema")
    schema.add_argument("--roster", action="store_true")
    schema.set_defaults(func=cmd_schema)

    rules = sub.add_parser("rules", help="列出已加载的规则；rules lint 检查法条表、裁量基准表和清单")
    rules.add_argument("action", nargs="?", choices=["list", "lint"], default="list")
    _add_rule_options(rules)
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser("explain", help="显示一条规则的条文依据、条件和示例")
    explain.add_argument("code")
    _add_rule_options(explain)
    explain.set_defaults(func=cmd_explain)
    if command not in REVIEW_COMMANDS:
        from . import maintain

        maintain.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
