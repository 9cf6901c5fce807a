"""Command line: `casereview check|review|schema|rules|explain|completion|campaign|serve`.

Exit codes (exitcodes.py): 0 nothing at or above --fail-on, 1 findings at or above it, 2 some
input file could not be reviewed, 3 usage or configuration error (nothing was reviewed).
Options may also come from `[tool.casereview]` in pyproject.toml or `.casereview.toml`
(config.py); the command line wins.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__, codecache
from .cli_support import (
    CALENDAR_HELP,
    ChineseArgumentParser,
    Progress,
    collector_paused,
    colour_wanted,
    few_young_collections,
    install_chinese_argparse,
    skip_plugin_lookup,
    usage_error,
)
from .exitcodes import (
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_USAGE,
    FAIL_ON_CHOICES,
    ExitTally,
    fails,
)

# The review engine (pydantic models, rule packs, durable_rules) is imported by the commands
# that use it, after `main` has started building the durable ruleset in the background: a
# one-file check overlaps that build with these imports (see `_start_durable_build`).
if TYPE_CHECKING:
    import tempfile

    from .batch import BatchOptions
    from .packs.loader import RuleBook
    from .review import CaseResult

_REEXPORTED = {"iter_case_paths": "batch", "make_context": "batch", "review_one": "batch"}


def __getattr__(name: str) -> Any:
    """`from casereview.cli import make_context` (and the other batch helpers) still works."""
    if name in _REEXPORTED:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_REEXPORTED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXIT_FINDINGS", "EXIT_INPUT", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

DEFAULT_REVIEW_FORMATS = ("html", "xlsx", "json")


def _cache_dir(args: argparse.Namespace) -> Path | None:
    if getattr(args, "no_cache", True) or os.environ.get("CASEREVIEW_NO_CACHE"):
        return None
    return args.cache_dir or Path.cwd() / ".casereview-cache"


def review_batch(paths: list[Path], options: BatchOptions, more: Callable[[], bool] | None = None) -> Any:
    """`batch.review_batch`, imported when a check or review starts (see above); the rule
    book, profile and roster it loads live as long as the process (`collector_paused`)."""
    from .batch import review_batch as start

    with collector_paused():
        return start(paths, options, more)


def batch_options(args: argparse.Namespace) -> BatchOptions:
    """The library batch options from the check/review command line."""
    from .batch import BatchOptions

    return BatchOptions(
        rules=args.rules,
        packs=args.pack,
        profile=args.profile,
        roster=args.roster,
        calendar=args.calendar,
        engine=args.engine,
        workers=args.workers,
        cache_dir=_cache_dir(args),
    )


def run_reviews(args: argparse.Namespace, paths: list[Path]) -> tuple[list[CaseResult], RuleBook] | int:
    """Review every path and collect the results (no policy applied: the raw results)."""
    from .batch import BatchSetupError

    try:
        run = review_batch(paths, batch_options(args))
    except BatchSetupError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    return list(run), run.book


# ---------------------------------------------------------------- check / review


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def _reporters(args: argparse.Namespace, folder: Path | None) -> list[Any] | int:
    from .report import formats

    if folder is None:
        name = args.format or "text"
        if name not in formats.stream_names() and not (args.output_file and name in formats.names()):
            return usage_error(f"未知的输出格式 {name}，可选：{'、'.join(formats.stream_names())}")
        return [formats.get(name)]
    wanted = args.format or getattr(args, "formats", None) or list(DEFAULT_REVIEW_FORMATS)
    if isinstance(wanted, str):
        wanted = [f.strip() for f in wanted.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in formats.names()]
    if unknown or not wanted:
        return usage_error(f"未知的输出格式 {'、'.join(unknown)}，可选：{'、'.join(formats.names())}")
    return [formats.get(n) for n in dict.fromkeys(wanted)]


def _stdin_case(args: argparse.Namespace) -> tuple[Path, str, tempfile.TemporaryDirectory]:
    """`check -`: the case file read from stdin, written to a private temporary file."""
    data = sys.stdin.buffer.read()
    shown = args.stdin_filename or "-"
    suffix = Path(args.stdin_filename).suffix.lower() if args.stdin_filename else ""
    if suffix not in (".yaml", ".yml", ".json"):
        suffix = ".json" if data.lstrip()[:1] in (b"{", b"[") else ".yaml"
    import tempfile  # only for stdin (~4 ms to import: shutil, random, lzma …)

    tmp = tempfile.TemporaryDirectory(prefix="casereview-stdin-")
    path = Path(tmp.name) / f"stdin{suffix}"
    path.write_bytes(data)
    return path, shown, tmp


def _rename(result: CaseResult, real: str, shown: str) -> None:
    """Results of the stdin copy name the file as the user gave it."""
    if result.file == real:
        result.file = shown
    for f in result.findings:
        if f.location.file == real:
            f.location.file = shown
    for e in result.errors:
        if e.file == real:
            e.file = shown
        e.message = e.message.replace(real, shown)


def _build_policy(args: argparse.Namespace, run: Any) -> Any:
    from .baseline import Baseline, BaselineError
    from .policy import ResultPolicy
    from .selection import Selection, UnknownCodeError

    problems: tuple[type[Exception], ...] = (UnknownCodeError, BaselineError)
    if args.waivers:  # the waiver models are built only when a waivers file is given
        from .waivers import WaiverError, load_waivers

        problems += (WaiverError,)
    try:
        selection = Selection.build(
            args.select, args.ignore, run.book.rules.keys(), getattr(args, "extend_select", None)
        )
        waivers = load_waivers(args.waivers) if args.waivers else None
        baseline = Baseline.load(args.baseline) if args.baseline else None
    except problems as exc:
        return str(exc)
    if waivers is not None:
        try:
            Selection.build([w.waiver.code for w in waivers.entries], None, run.book.rules.keys())
        except UnknownCodeError as exc:
            return f"豁免文件 {args.waivers} 中的规则代码有误：\n{exc}"
    return ResultPolicy(run.profile, selection, waivers, baseline)


def _statistics(counter: Counter, titles: dict[str, tuple[str, str]], out: Any) -> None:
    """`--statistics`: one line per rule with findings, most frequent first (the ruff convention)."""
    if not counter:
        out.write("未发现问题。\n")
        return
    width = max(len(str(n)) for n in counter.values())
    for code, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        title, label = titles[code]
        out.write(f"{n:>{width}}\t{code}\t[{label}]\t{title}\n")


FIRST_FOUND = 1024  # files found before the review starts; the walk goes on meanwhile
WALK_STEP = 64  # files the walk looks at between two looks at the workers (~1.5 ms)


def _say_skipped(args: argparse.Namespace, skipped: list[Any]) -> None:
    if skipped:
        _say(args, f"跳过 {len(skipped)} 个不评查的文件（证件台账、输出文件夹、--exclude 或内容不是案卷）")


def _run(args: argparse.Namespace, folder: Path | None) -> int:
    from .report.formats import ReportContext, finish_all

    reporters = _reporters(args, folder)
    if isinstance(reporters, int):
        return reporters
    started = dt.datetime.now(dt.UTC)
    stdin = None
    targets = list(args.paths)
    if any(str(t) == "-" for t in targets):
        if len(targets) > 1:
            return usage_error("从标准输入读取（-）时不能再给出其他文件")
        real, shown, tmp = _stdin_case(args)
        stdin = (str(real), shown, tmp)
        targets = [real]
    from .discovery import Walk

    skip = [p for p in (args.roster, folder, _cache_dir(args), getattr(args, "output_file", None)) if p]
    # The folder walk (reading each file's head, ~20 µs a file) goes on while the workers review
    # the first files found: it was ~0.2 s of serial start at 10,000 files. A batch smaller than
    # FIRST_FOUND is found whole first, as before.
    walk = Walk(targets, args.exclude or [], skip)
    walk.until_found(FIRST_FOUND, WALK_STEP)
    found = walk.found
    paths = found.paths
    if walk.done:
        _say_skipped(args, found.skipped)
        if not paths:
            print("没有找到案卷文件（.yaml/.yml/.json）", file=sys.stderr)
            return EXIT_INPUT
    from .batch import BatchSetupError

    def end_walk() -> None:
        """An error before the review: the walk ends, and what it skipped is told first, as when
        the walk came first."""
        if not walk.done:
            walk.until_found(1 << 62, WALK_STEP)
            _say_skipped(args, found.skipped)

    try:
        with collector_paused():  # the rule book, profile and roster: long-lived start-up objects
            run = review_batch(
                paths, batch_options(args), None if walk.done else partial(walk.step, WALK_STEP)
            )
    except BatchSetupError as exc:
        end_walk()
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    policy = _build_policy(args, run)
    if isinstance(policy, str):
        end_walk()
        return usage_error(policy)
    mask = not args.no_mask
    ctx = ReportContext(
        rules_version=run.book.version,
        tool_version=__version__,
        fail_on=args.fail_on,
        mask=mask,
        campaign=getattr(args, "campaign", None) or "",
        generated=started.astimezone().strftime("%Y-%m-%d %H:%M"),
        profile=run.profile.title,
        root=_common_root(args.paths),
        full_paths=getattr(args, "full_paths", False),
        rulebook=run.book,
        invocation={
            "commandLine": " ".join(["casereview", *sys.argv[1:]]) if sys.argv else "casereview",
            "startTimeUtc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "workingDirectory": {"uri": Path.cwd().as_uri()},
        },
    )
    ctx.use_profile(run.profile)
    ctx.ui["color"] = folder is None and not args.output_file and colour_wanted(args.color, sys.stdout)
    ctx.ui["quiet"] = args.quiet
    statistics_only = folder is None and args.statistics and reporters[0].name == "text"
    sinks = []
    handle = None
    try:
        if folder is not None:
            problem = _prepare_output(folder)
            if problem:
                end_walk()
                print(f"casereview：错误：{problem}", file=sys.stderr)
                return EXIT_OUTPUT
            sinks = [(r, r.open_folder(folder, ctx)) for r in reporters]
        elif args.output_file:
            if reporters[0].binary or not reporters[0].stream:
                sinks = [(reporters[0], reporters[0].open_path(args.output_file, ctx))]
            else:
                handle = args.output_file.open("w", encoding="utf-8", newline="\n")
                sinks = [(reporters[0], reporters[0].open(handle, ctx))]
        elif not statistics_only:
            sinks = [(reporters[0], reporters[0].open(sys.stdout, ctx))]
    except OSError as exc:
        end_walk()
        print(
            f"casereview：错误：无法写入输出：{exc.strerror or exc}（{exc.filename or folder}）",
            file=sys.stderr,
        )
        return EXIT_OUTPUT
    tally = ExitTally(args.fail_on)
    progress = Progress(len(paths), enabled=None if not args.quiet else False)
    counter: Counter[str] = Counter()
    titles: dict[str, tuple[str, str]] = {}
    baseline_prints: dict[str, dict[str, str]] | None = {} if args.create_baseline else None
    batch_analysis = None
    if any(r.needs_analysis for r in reporters) or folder is not None:  # not for a text check
        from .analysis import BatchAnalysis, CaseSummary

        batch_analysis = BatchAnalysis()  # keeps no summary per file
    from . import interrupt
    from .report.sanitize import writable
    from .review import RejectedInput, rejected

    # Everything a result goes through before it is counted runs in the worker that reviewed the
    # file, in parallel (`prepare`): the policy, HTML pages and workbook rows, the JSON text, the
    # file's entry in the analysis (`BatchAnalysis.entry_of`). When no sink needs the result itself
    # (`needs_result`), only that comes back: the parent never receives, let alone rebuilds, the
    # result model.
    lean = not any(sink.needs_result for _, sink in sinks)
    statistics = bool(args.statistics)

    def prepare(result: CaseResult, index: int) -> tuple[Any, ...]:
        """One result made ready for the reports: file name made writable, baseline fingerprints
        taken, the policy applied, the sinks' per-file work done, what the parent counts taken
        out. Runs in a worker process (`BatchRun.each`), so it changes no state of the run: what
        the policy counted (waivers used, baseline findings hidden) is returned and counted by `add`."""
        result = writable(result)  # a non-UTF-8 or control-character file name must not crash a writer
        if stdin:
            _rename(result, stdin[0], stdin[1])
        prints = None
        if baseline_prints is not None:
            from .fingerprint import case_key, fingerprint

            prints = {
                fingerprint(result, f): {"case": case_key(result), "code": f.code, "field": f.location.field}
                for f in result.findings
            }
        before = _policy_counts(policy)
        policy.apply(result)
        uses = [a - b for a, b in zip(_policy_counts(policy), before, strict=True)]
        _set_policy_counts(policy, before)  # as it was: `add` counts the difference
        ready = [sink.prepare(result, index) for _, sink in sinks]
        rejected_file = result.status == "rejected"
        failing = not rejected_file and any(fails(f, tally.fail_on) for f in result.findings)
        ungraded = result.score is not None and not result.score.graded
        entry = batch_analysis.entry_of(result) if batch_analysis is not None else None
        active = (
            [(f.code, f.title, f.severity_label) for f in result.findings if f.waiver is None]
            if statistics
            else None
        )
        kept = None if lean else result
        return kept, result.file, (rejected_file, failing, ungraded), entry, active, prints, uses, ready

    # A result-cache hit that nothing would change before it is written (no policy, baseline or
    # stdin name, a clean file name) is prepared from its stored JSON: the sinks take the text
    # as stored (`prepare_stored`), the parent's share comes from the decoded JSON, and the
    # result model is never rebuilt.
    from_store = lean and not policy.active and baseline_prints is None and not stdin

    def prepare_stored(payload: bytes, index: int) -> tuple[Any, ...] | None:
        from . import fastjson
        from .packs.schema import SEVERITY_RANK
        from .report.sanitize import display_name

        stored_brief = getattr(payload, "brief", None)  # a cache entry's (cache.StoredResult)
        data = stored_brief if stored_brief is not None else fastjson.loads(payload)
        file = data["file"]
        if display_name(file) != file:
            return None
        ready = [sink.prepare_stored(payload, index) for _, sink in sinks]
        if any(item is None for item in ready):
            return None
        findings = [f for f in data["findings"] if f.get("waiver") is None]
        threshold = SEVERITY_RANK[tally.fail_on]
        rejected_file = data["status"] == "rejected"
        failing = not rejected_file and any(
            SEVERITY_RANK.get(f["severity"], -1) >= threshold for f in findings
        )
        score = data.get("score")
        ungraded = score is not None and not score["graded"]
        entry = batch_analysis.entry(CaseSummary.of_json(data, index)) if batch_analysis is not None else None
        active = [(f["code"], f["title"], f["severity_label"]) for f in findings] if statistics else None
        no_uses = [0] * len(_policy_counts(policy))
        return None, file, (rejected_file, failing, ungraded), entry, active, None, no_uses, ready

    said = walk.done  # the skipped files were told already

    def walked() -> None:
        """Every path is known (the walk ends before the first result comes): what it skipped is
        told, and listed in the reports (the JSON head is written with the first result)."""
        nonlocal said
        if not said:
            said = True
            _say_skipped(args, found.skipped)
        if found.skipped:
            ctx.extra["skipped"] = [{"file": str(p), "reason": why} for p, why in found.skipped]
        progress.total = len(paths)

    def add(index: int, prepared: tuple[Any, ...]) -> None:
        if not index:
            walked()
        result, file, outcome, entry, active, prints, uses, ready = prepared
        if prints is not None and baseline_prints is not None:
            baseline_prints.update(prints)
        if any(uses):
            _set_policy_counts(policy, [a + b for a, b in zip(_policy_counts(policy), uses, strict=True)])
        tally.count(*outcome)
        for code, title, label in active or ():
            counter[code] += 1
            titles[code] = (title, label)
        progress.update(os.path.basename(file))
        if batch_analysis is not None:
            batch_analysis.add_entry(entry)
        for (_, sink), item in zip(sinks, ready, strict=True):
            if item is None:  # nothing prepared (and a format's sink may take no third argument)
                sink.add(result, index)
            else:
                sink.add(result, index, item)

    count, interrupted = 0, False
    stream = run.each(prepare, prepare_stored if from_store else None)

    try:
        with interrupt.interruptible(), few_young_collections():
            for item in stream:
                with interrupt.critical():  # a result is in every report or in none
                    add(count, item)
                    count += 1
    except KeyboardInterrupt:
        interrupted = True
    except OSError as exc:  # a report page or the workbook could not be written (disk full …)
        return _output_failed(exc, folder)
    finally:
        progress.close()
    import gc

    # what the loop kept (summaries, ranking rows, peer-group entries) lives to the end: frozen, the
    # collections of the tail (the analysis, the reports) do not walk it again (default formats,
    # 10,000 files: the analysis 0.11 -> 0.075 s); `main` unfreezes it
    gc.freeze()
    shield = interrupt.shielded()
    shield.__enter__()  # the reports are finished (complete documents) whatever arrives now
    if interrupted:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stops the batch and kills its worker processes
        done = count
        message = "评查被中断，本文件未评查；重新运行同一命令将从缓存继续"
        for path in paths[count:]:
            add(count, prepare(rejected(path, [RejectedInput(file=str(path), message=message)]), count))
            count += 1
        print(
            f"评查被中断：{len(paths)} 个文件中已处理 {done} 个，其余列为未评查；"
            "报告已标为不完整（partial）；重新运行同一命令将从缓存继续",
            file=sys.stderr,
        )
    ctx.extra["partial"] = interrupted
    analysis = batch_analysis.result() if batch_analysis is not None else None
    notices = policy.waivers.problems() if policy.waivers else []
    ctx.invocation["endTimeUtc"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx.invocation["notifications"] = notices
    if policy.waivers:
        ctx.extra["waivers"] = policy.waivers.summary()
    runner = sys.modules.get(f"{__package__}.evaluate.runner")  # not imported: no worker was started
    if runner is not None:
        # the workers have been idle and exiting since the last result: the pool's threads end with
        # them, so the summary pages may be rendered in a forked child (formats.finish_all forks
        # only a process with no other thread: one could hold a lock the child would wait for)
        runner.wait_for_workers()
    try:
        finish_all([sink for _, sink in sinks], analysis)  # the workbook compressed beside the pages
    except OSError as exc:  # disk full, folder removed or made read-only during the run
        return _output_failed(exc, folder)
    finally:
        if handle is not None:
            handle.close()
        shield.__exit__(None, None, None)
    if _held_to_exit is not None:
        _held_to_exit.append((sinks, analysis, batch_analysis, paths, found))
    if stdin:
        stdin[2].cleanup()
    for notice in notices:
        _say(args, f"注意：{notice}")
    if baseline_prints is not None:
        from .baseline import SCHEMA, VERSION

        doc = {
            "schema": SCHEMA,
            "version": VERSION,
            "rules_version": run.book.version,
            "findings": baseline_prints,
        }
        args.create_baseline.write_text(
            json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        _say(args, f"已写入基线 {args.create_baseline}：{len(baseline_prints)} 个问题")
    if args.statistics:
        _statistics(counter, titles, sys.stdout if statistics_only or folder is not None else sys.stderr)
    if folder is not None and not args.quiet:
        c = analysis["campaign"]
        rate = f"{c['pass_rate']:.1%}" if c["pass_rate"] is not None else "—"
        written = "、".join(r.filename for r in reporters)
        print(
            f"评查完成：共 {c['files']} 个文件，已评查 {c['reviewed']} 个，无法评查 {c['rejected']} 个；"
            f"合格率 {rate}；疑似同案异罚 {len(analysis['like_cases']['outliers'])} 件；"
            f"报告：{folder}/（{written}）"
        )
    if interrupted:
        return interrupt.exit_code()
    return tally.code


# What a review holds at its end (each file's summary, the analysis, the paths found) when `run`
# ends the process without teardown (`exit_process`): freed object by object as `_run` returned,
# it was ~0.03 s of CPU after the reports were written (10,000 files), with both cores idle.
_held_to_exit: list[Any] | None = None


def _policy_counts(policy: Any) -> list[int]:
    """What the policy counts as it is applied: each waiver's uses, the baseline's hidden findings."""
    counts = [e.used for e in policy.waivers.entries] if policy.waivers is not None else []
    if policy.baseline is not None:
        counts.append(policy.baseline.hidden)
    return counts


def _set_policy_counts(policy: Any, counts: list[int]) -> None:
    entries = policy.waivers.entries if policy.waivers is not None else []
    for entry, n in zip(entries, counts, strict=False):
        entry.used = n
    if policy.baseline is not None:
        policy.baseline.hidden = counts[-1]


def _output_failed(exc: OSError, folder: Path | None) -> int:
    if isinstance(exc, BrokenPipeError):
        raise exc  # `check … | head`: the reader left, not a failed report (main exits 141 quietly)
    print(
        f"casereview：错误：无法写入报告：{exc.strerror or exc}（{exc.filename or folder}）", file=sys.stderr
    )
    # the half-written writers are dropped with this frame: their own close errors are noise
    sys.unraisablehook = lambda unraisable: None
    return EXIT_OUTPUT


def _prepare_output(out: Path) -> str | None:
    """Create the report folder and mark it as ours (discovery skips it); a reason if unusable."""
    from .discovery import REPORT_MARKER

    if out.exists() and not out.is_dir():
        return f"输出位置 {out} 已存在且不是文件夹"
    try:
        out.mkdir(parents=True, exist_ok=True)
        from .report.outfile import write_text

        write_text(out / REPORT_MARKER, "casereview 评查报告文件夹（评查时跳过本文件夹）\n")
    except OSError as exc:
        return f"无法创建或写入报告文件夹 {out}：{exc.strerror or exc}"
    return None


def _common_root(targets: list[Path]) -> Path | None:
    folders = [t for t in targets if str(t) != "-" and t.is_dir()]
    if len(folders) == 1:
        return folders[0]
    try:
        return Path(
            os.path.commonpath([str(t.resolve().parent if t.is_file() else t.resolve()) for t in targets])
        )
    except (ValueError, OSError):
        return None


def cmd_check(args: argparse.Namespace) -> int:
    return _run(args, None)


def cmd_review(args: argparse.Namespace) -> int:
    """Review a folder into a report folder: HTML pages, Excel workbook, JSON (and JUnit/SARIF)."""
    return _run(args, args.output)


def cmd_completion(args: argparse.Namespace) -> int:
    from .cli_support import completion_script

    sys.stdout.write(completion_script(build_parser(), args.shell))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .model.case import CaseFile
    from .model.roster import Roster
    from .model.unknown import with_unknown_defs

    model = Roster if args.roster else CaseFile
    print(json.dumps(with_unknown_defs(model.model_json_schema()), ensure_ascii=False, indent=2))
    return EXIT_OK


def _load_book(args: argparse.Namespace) -> RuleBook | None:
    from .packs.loader import PackError, load_rulebook

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
        return cmd_lint(book, getattr(args, "statutes", None))
    from .packs.schema import SEVERITY_LABELS

    for code, definition in sorted(book.rules.items()):
        rule = definition.rule
        n = len(definition.variants)
        variants = f"（{n} 个变体）" if n > 1 else ""
        print(f"{code}\t{SEVERITY_LABELS[rule.severity]}\t{rule.category}\t{rule.title}{variants}")
    print(f"共 {len(book.rules)} 条规则，{len(book.compiled)} 个编译规则；规则版本 {book.version}")
    return EXIT_OK


def cmd_lint(book: RuleBook, statutes: Path | None = None) -> int:
    """`casereview rules lint`: statutory ranges, tier order, gaps/overlaps, citations, units,
    statutory amounts against their quoted text, official quotes against the statute texts."""
    from .packs.lint import errors, lint_tables, notices

    found = lint_tables(book, statutes)
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
    tiers = [p for p in pending if p.code == "review_tier"]
    if tiers:
        print(f"另有 {len(tiers)} 个阶次的适用条件待编写（待人工评查，不影响检查结果）")
    if len(pending) > len(tiers):
        print(f"另有 {len(pending) - len(tiers)} 项提示（如未能与原文核对的引文），不影响检查结果")
    return EXIT_FINDINGS if bad else EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    book = _load_book(args)
    if book is None:
        return EXIT_INPUT
    definition = book.rules.get(args.code) or book.rules.get(args.code.upper())
    if definition is None:
        from .selection import suggest

        close = suggest(args.code, book.rules)
        hint = f"；是否要找 {'、'.join(close)}？" if close else ""
        return usage_error(f"没有规则 {args.code}（也不是案卷文件）{hint}")
    from .packs.conditions import describe
    from .packs.schema import SEVERITY_LABELS, VERIFICATION_LABELS

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
    print("示例（基于 rules/examples/ 的基准案卷修改个别字段；rules test 在两个引擎上运行）：")
    for label, examples in (
        ("不合格（应触发）", rule.examples.fail),
        ("合格（不应触发）", rule.examples.passing),
    ):
        print(f"  {label}：")
        for n, example in enumerate(examples, start=1):
            print(f"    {n}. {example.note or '（无说明）'}")
            print(
                f"       基准案卷 {example.base}.yaml"
                + (f"，证件台账 {example.roster}" if example.roster else "")
            )
            for path, value in example.set.items():
                print(f"       设 {path} = {_flow(value)}")
            for path in example.remove:
                print(f"       删除 {path}")
            for path, values in example.append.items():
                print(f"       在 {path} 追加 {_flow(values)}")
    return EXIT_OK


def _flow(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _add_review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="目录",
        help="结果缓存目录（默认 ./.casereview-cache）",
    )
    parser.add_argument("--no-cache", action="store_true", help="不使用结果缓存")
    parser.add_argument("--roster", type=Path, metavar="文件", help="证件台账（YAML 或 CSV）")
    parser.add_argument("--calendar", type=Path, metavar="目录", help=CALENDAR_HELP)
    parser.add_argument("--profile", type=Path, metavar="文件", help="评查标准文件（默认：示例评查标准）")
    parser.add_argument(
        "--engine", choices=["durable", "oracle"], default=None, help="规则引擎（默认 durable）"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="数量",
        help="工作进程数（默认：CPU 核数；0 = 不用子进程）",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default=None,
        help="达到此严重程度的问题使退出码为 1（默认 deduct）；JUnit、SARIF 同样按此判定",
    )
    parser.add_argument(
        "--select", action="append", metavar="代码", help="只报告这些规则代码或前缀（逗号分隔，可重复）"
    )
    parser.add_argument(
        "--extend-select", action="append", metavar="代码", help="在已选规则之外再加这些代码或前缀"
    )
    parser.add_argument("--ignore", action="append", metavar="代码", help="不报告这些规则代码或前缀")
    parser.add_argument(
        "--exclude", action="append", metavar="模式", help="文件夹中不评查的文件（通配符，可重复）"
    )
    parser.add_argument(
        "--waivers", type=Path, metavar="文件", help="豁免文件（YAML：规则、案卷、理由、批准人、有效期）"
    )
    parser.add_argument("--baseline", type=Path, metavar="文件", help="只报告基线文件中没有的问题")
    parser.add_argument("--create-baseline", type=Path, metavar="文件", help="把本次全部问题写入基线文件")
    parser.add_argument("--no-mask", action="store_true", help="不对身份证号、手机号脱敏")
    parser.add_argument("-q", "--quiet", action="store_true", help="只输出未通过的问题，不显示进度和汇总")
    parser.add_argument("--statistics", action="store_true", help="按规则统计问题数")
    parser.add_argument(
        "--color", choices=["auto", "always", "never"], default="auto", help="彩色输出（默认：仅在终端上）"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="文件",
        help="配置文件（默认：向上查找 .casereview.toml 或 pyproject.toml）",
    )
    parser.add_argument("--isolated", action="store_true", help="不读取任何配置文件")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", type=Path, default=None, metavar="目录", help="规则目录（默认：内置 rules/）"
    )
    parser.add_argument(
        "--pack", type=Path, action="append", default=None, metavar="文件", help="追加规则包文件"
    )


REVIEW_COMMANDS = ("check", "review", "schema", "completion")
RUN_COMMANDS = ("check", "review")
# Commands that review files in worker processes too, whose durable ruleset is built beforehand.
RUN_SUBCOMMANDS = (("campaign", "create"), ("campaign", "rescore"))


def _runs_rules(command: str | None, subcommand: str | None) -> bool:
    return command in RUN_COMMANDS or (command, subcommand) in RUN_SUBCOMMANDS


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser; for `check`/`review`/`schema` the maintainer commands (jinja2, openpyxl
    and their modules) are not loaded: a one-file check is started on every save."""
    from .report import formats

    install_chinese_argparse()
    parser = ChineseArgumentParser(
        prog="casereview",
        description="应急管理行政处罚案卷评查",
        epilog=(
            "退出码：0 未发现达到 --fail-on 的问题；1 发现达到 --fail-on 的问题；"
            "2 有无法评查的输入文件；3 用法或配置错误"
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"casereview {__version__}", help="显示版本号并退出"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令", title="命令")

    check = sub.add_parser("check", help="评查案卷文件或文件夹，逐案输出得分、等次和问题")
    check.add_argument(
        "paths", type=Path, nargs="+", metavar="路径", help="案卷文件或文件夹；- 从标准输入读取"
    )
    check.add_argument("--format", default=None, choices=formats.stream_names(), help="输出格式（默认 text）")
    check.add_argument(
        "-o", "--output-file", type=Path, metavar="文件", help="把报告写入文件（默认：标准输出）"
    )
    check.add_argument("--stdin-filename", metavar="名称", help="从标准输入读取时，报告中使用的文件名")
    _add_review_options(check)
    _add_rule_options(check)
    check.set_defaults(func=cmd_check, output_file=None)

    review = sub.add_parser("review", help="评查一个文件夹，生成 HTML 报告、Excel 评查结果和 JSON 结果")
    review.add_argument("paths", type=Path, nargs="+", metavar="文件夹")
    review.add_argument("-o", "--output", type=Path, required=True, metavar="文件夹", help="报告输出文件夹")
    review.add_argument(
        "--format",
        default=None,
        help=f"输出格式，逗号分隔：{','.join(formats.names())}（默认 html,xlsx,json）",
    )
    review.add_argument("--campaign", metavar="名称", help="评查活动名称（报告标题行）")
    review.add_argument(
        "--full-paths", action="store_true", help="报告中显示案卷的本地完整路径（默认相对路径）"
    )
    _add_review_options(review)
    _add_rule_options(review)
    review.set_defaults(func=cmd_review, output_file=None, stdin_filename=None)

    schema = sub.add_parser("schema", help="输出案卷（或 --roster 证件台账）的 JSON Schema")
    schema.add_argument("--roster", action="store_true")
    schema.set_defaults(func=cmd_schema)

    rules = sub.add_parser("rules", help="列出已加载的规则；rules lint 检查法条表、裁量基准表和清单")
    rules.add_argument("action", nargs="?", choices=["list", "lint"], default="list")
    rules.add_argument(
        "--statutes",
        type=Path,
        default=None,
        help="法规原文文件夹（rules lint 用于核对 official 引文；默认为规则目录旁的 docs/statutes/）",
    )
    _add_rule_options(rules)
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser("explain", help="显示一条规则的条文依据、条件和示例；或案卷中某条规则的判定过程")
    explain.add_argument("code", metavar="代码或案卷")
    _add_rule_options(explain)
    explain.set_defaults(func=cmd_explain)

    completion = sub.add_parser("completion", help="输出 shell 补全脚本（bash 或 zsh）")
    completion.add_argument("shell", choices=["bash", "zsh"])
    completion.set_defaults(func=cmd_completion)
    if command not in REVIEW_COMMANDS or command == "completion":
        from . import maintain
        from .campaign import commands as campaign_commands

        maintain.register(sub)
        campaign_commands.register(sub)  # `campaign …` and `serve`
    return parser


# options a project config may set, with their built-in defaults
_DEFAULTS = {"fail_on": "deduct", "engine": "durable", "pack": []}


def apply_config(args: argparse.Namespace, find: Callable[[], Path | None] | None = None) -> str | None:
    """Fill options the command line left unset from the project config; an error message or None.
    `find` finds the config file (default `config.find_config`)."""
    from .config import ConfigError, find_config, load_config

    if getattr(args, "command", None) in ("check", "review") or hasattr(args, "rules"):
        path = (
            None
            if getattr(args, "isolated", False)
            else (getattr(args, "config", None) or (find or find_config)())
        )
        if path is not None:
            try:
                config = load_config(path)
            except ConfigError as exc:
                return str(exc)
            for attr, value in config.values.items():
                if attr == "formats" and getattr(args, "command", None) == "review":
                    if args.format is None:
                        args.format = value
                    continue
                if attr == "format" and getattr(args, "command", None) != "check":
                    continue
                if hasattr(args, attr) and getattr(args, attr) in (None, []):
                    setattr(args, attr, value)
    for attr, default in _DEFAULTS.items():
        if hasattr(args, attr) and getattr(args, attr) is None:
            setattr(args, attr, default)
    return None


def _durable_options(args: argparse.Namespace | None) -> tuple[Any, ...] | None:
    """What decides which durable ruleset a check/review builds (None: it builds none)."""
    if args is None or args.engine != "durable" or args.workers == 0:
        return None
    return args.rules, tuple(args.pack or ())


def _start_durable_build(options: tuple[Any, ...] | None) -> None:
    """Build the durable_rules ruleset in the background from here on, while the engine is
    imported and the rule book, profile and reports load, instead of in the worker afterwards
    (evaluate/durable_prebuild.py)."""
    if options is not None:
        from .packs.bookcache import start_durable_build

        start_durable_build(options[0], list(options[1]))


def _find_config_once() -> Callable[[], Path | None]:
    """`config.find_config` for one command: the early options and the full parse read the same
    file (the walk up the folders and the TOML parse are done once)."""
    found: list[Path | None] = []

    def find() -> Path | None:
        if not found:
            from .config import find_config

            found.append(find_config())
        return found[0]

    return find


class _EarlyParser(ChineseArgumentParser):
    def error(self, message: str) -> NoReturn:  # the real parser reports it
        raise ValueError(message)


def _early_options(
    command: str, argv: list[str], find: Callable[[], Path | None]
) -> argparse.Namespace | None:
    """The options that choose the rules and the engine, read (with the project config) before
    the full parser is built, since building it imports the engine. A wrong guess costs a
    background build that is not used, never a result: the engine only takes a ruleset
    prepared for the very rule book it loads."""
    install_chinese_argparse()  # else argparse looks for a translation of each message (gettext)
    early = _EarlyParser(add_help=False)
    early.add_argument("--rules", type=Path)
    early.add_argument("--pack", type=Path, action="append")
    early.add_argument("--engine")
    early.add_argument("--workers", type=int)
    early.add_argument("--config", type=Path)
    early.add_argument("--isolated", action="store_true")
    try:
        args, _ = early.parse_known_args(argv)
        args.command, args.format = command, None
        return None if apply_config(args, find) else args
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    hook = sys.unraisablehook
    try:
        return _main(argv)
    finally:
        import gc

        gc.unfreeze()  # start-up objects (see collector_paused) are collectable again once unused
        if sys.unraisablehook is not hook:  # set by _output_failed while dropping broken writers
            gc.collect()
            sys.unraisablehook = hook


def _main(argv: list[str]) -> int:
    try:
        command = argv[0] if argv else None
        find = _find_config_once()
        with collector_paused():
            runs = _runs_rules(command, argv[1] if len(argv) > 1 else None)
            guessed = _durable_options(_early_options(command, argv[1:], find)) if runs else None
            _start_durable_build(guessed)
            try:
                args = build_parser(command).parse_args(argv)
            except SystemExit as exc:  # --help, --version, usage errors: a code, not an exception
                return exc.code if isinstance(exc.code, int) else EXIT_USAGE
            problem = apply_config(args, find)
            if problem:
                return usage_error(problem)
            if _runs_rules(args.command, getattr(args, "campaign_command", None)):
                options = _durable_options(args)
                if options != guessed:
                    _start_durable_build(options)
                from . import batch  # noqa: F401  (imported here with the collector paused)
        return args.func(args)
    except BrokenPipeError:
        # `casereview check … | head`: the reader left; say nothing more, no traceback
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # 128 + SIGPIPE, what a shell reports for a writer killed by a closed pipe
    except KeyboardInterrupt:
        from . import interrupt

        print("\n已中断", file=sys.stderr)
        return interrupt.exit_code()
    except Exception as exc:  # a bug: say so, and never exit 1 (which means "findings")
        import traceback

        print(f"casereview 内部错误（请报告此问题）：{type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("CASEREVIEW_DEBUG"):
            traceback.print_exc()
        return EXIT_INTERNAL


# Commands that end without the interpreter's teardown (`exit_process`): a one-file check (~85 ms
# of its CPU), and a review, whose parent holds the batch's analysis and, once `main` unfreezes the
# start-up objects, had the final collection walk them all: 0.06-0.1 s at 10,000 files, after the
# reports were written (the wall clock of `review` ends when the process does).
# `campaign create` too: its command closes the store first (every transaction is committed by then).
FAST_EXIT_COMMANDS = ("check", "review")
FAST_EXIT_SUBCOMMANDS = (("campaign", "create"),)


def run() -> NoReturn:
    """The `casereview` command (console script, `python -m casereview.cli`): `main` on the
    process's arguments, then the process exits (see `exit_process`)."""
    codecache.install()  # the methods dataclasses write, compiled once per user (codecache.py)
    skip_plugin_lookup()  # a process of ours: pydantic's plugin lookup only when a plugin is installed
    if sys.argv[1:2] == ["check"] and "-" not in sys.argv[2:]:  # stdin could not be read twice
        from .evaluate import solo

        with collector_paused():
            solo.supervise()  # returns in a child that runs the check (see solo.py)
        try:
            code = main()
        finally:
            solo.release()  # what the child held (a check that ended before its review)
        exit_process(code, solo.exiting)
    global _held_to_exit
    fast = len(sys.argv) > 1 and sys.argv[1] in FAST_EXIT_COMMANDS
    fast = fast or tuple(sys.argv[1:3]) in FAST_EXIT_SUBCOMMANDS
    if fast:
        _held_to_exit = []  # the process ends without teardown: what a review held need not be freed
    code = main()
    if fast:
        exit_process(code)
    sys.exit(code)


def exit_process(code: int, last: Callable[[int], None] | None = None) -> NoReturn:
    """End the process as a normal exit would, without the interpreter's teardown: the standard
    streams are flushed, running (non-daemon) threads are waited for and the exit handlers run
    (worker processes, temporary folders), then the process ends. Teardown only frees memory —
    every module, the rule book, the durable ruleset, with collections of the cyclic collector
    over ~10^5 objects — and cost ~85 ms of CPU, a fifth of a one-file check. A stream that
    cannot be flushed or a thread still running after a second takes the normal exit instead
    (which reports or waits as it always did). `last(code)` is called just before the end (a
    supervised check tells its supervisor, evaluate/solo.py)."""
    import atexit
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    for thread in threading.enumerate():  # e.g. the worker pool's, ending as its workers exit
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(timeout=1.0)
            if thread.is_alive():  # the normal exit wakes what it must and waits
                sys.exit(code)
    run_exit_handlers()
    with contextlib.suppress(OSError, ValueError):  # what a handler printed
        sys.stdout.flush()
        sys.stderr.flush()
    if last is not None:
        last(code)
    os._exit(code)


if __name__ == "__main__":
    run()
