"""`casereview campaign …` and `casereview serve`: the command line of a review campaign.

Exit codes: 0 done; 1 `assign` left seats unfilled; 2 `import-decisions` found bad rows (the
good rows are saved); 3 the operation was refused or the store/rules could not be opened.

Every command finds its store by `--dir` (the campaign folder holding campaign.db; default the
current folder) or `--db URL` (e.g. postgresql://user@host/db; also $CASEREVIEW_DB), and its
campaign by `--campaign NAME` (default: the latest one in the store).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..cli_support import CALENDAR_HELP
from ..exitcodes import EXIT_INPUT, EXIT_OK, EXIT_USAGE

EXIT_PROBLEMS = 1  # assign: some seats could not be filled
PASSWORD_ENV = "CASEREVIEW_PASSWORD"


def _store_options(parser: argparse.ArgumentParser, campaign: bool = True) -> None:
    parser.add_argument(
        "--dir", type=Path, default=None, help="评查活动文件夹（存放 campaign.db；默认当前文件夹）"
    )
    parser.add_argument(
        "--db", default=None, help="数据库地址（如 postgresql://用户@主机/库名；默认 SQLite）"
    )
    if campaign:
        parser.add_argument("--campaign", default=None, help="评查活动名称（默认：最近创建的）")


def _review_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--roster", type=Path, help="证件台账（YAML 或 CSV）")
    parser.add_argument("--calendar", type=Path, default=None, metavar="目录", help=CALENDAR_HELP)
    parser.add_argument("--rules", type=Path, default=None, help="规则目录（默认：内置 rules/）")
    parser.add_argument("--pack", type=Path, action="append", default=[], help="追加规则包文件")
    parser.add_argument("--engine", choices=["durable", "oracle"], default="durable", help="规则引擎")
    parser.add_argument(
        "--workers", type=int, default=None, help="工作进程数（默认：CPU 核数；0 = 不用子进程）"
    )


def register(sub: Any) -> None:
    campaign = sub.add_parser(
        "campaign", help="评查活动：建立、分配、导入导出评查决定、重新评分、最终结果、整改复查、趋势"
    )
    csub = campaign.add_subparsers(dest="campaign_command", required=True)

    create = csub.add_parser("create", help="由案卷文件夹和评查标准建立评查活动（机器预评）")
    create.add_argument("name", help="评查活动名称，如「2026年第一批」")
    create.add_argument("files", type=Path, nargs="+", help="案卷文件或文件夹")
    create.add_argument("--profile", type=Path, default=None, help="评查标准文件（默认：示例评查标准）")
    create.add_argument("--two-reviewers", action="store_true", help="每个案卷由两名评查人员各自评查")
    _review_options(create)
    _store_options(create, campaign=False)
    create.set_defaults(func=cmd_create)

    user = csub.add_parser("user", help="添加评查人员或组长（密码以 argon2 散列保存）")
    user.add_argument("action", choices=["add", "list"])
    user.add_argument("username", nargs="?")
    user.add_argument("--name", help="姓名（显示用）")
    user.add_argument("--role", choices=["reviewer", "lead"], default="reviewer")
    user.add_argument("--unit", help="所在单位（不分配本单位的案卷）")
    user.add_argument(
        "--password-file", type=Path, help=f"从文件读取密码（默认读取环境变量 {PASSWORD_ENV}，否则提示输入）"
    )
    _store_options(user, campaign=False)
    user.set_defaults(func=cmd_user)

    assign = csub.add_parser("assign", help="分配案卷（交叉评查：不分配本单位案卷，按工作量均衡）")
    assign.add_argument("--reviewers", default=None, help="只分配给这些评查人员（用户名，逗号分隔）")
    assign.add_argument("--case", default=None, help="指定一个案卷（案号）改派给 --reviewer")
    assign.add_argument("--reviewer", default=None, help="与 --case 一起用：评查人员用户名")
    assign.add_argument("--slot", type=int, default=1, help="与 --case 一起用：第几席（1 或 2）")
    _store_options(assign)
    assign.set_defaults(func=cmd_assign)

    status = csub.add_parser("status", help="评查进度")
    _store_options(status)
    status.set_defaults(func=cmd_status)

    export = csub.add_parser("export-decisions", help="导出评查决定表（CSV，离线填写后导入）")
    export.add_argument("-o", "--output", type=Path, required=True)
    export.add_argument("--reviewer", default=None, help="只导出该评查人员的案卷")
    _store_options(export)
    export.set_defaults(func=cmd_export_decisions)

    imp = csub.add_parser("import-decisions", help="导入离线填写的评查决定表；有误的行逐行说明并另存")
    imp.add_argument("file", type=Path)
    _store_options(imp)
    imp.set_defaults(func=cmd_import_decisions)

    rescore = csub.add_parser("rescore", help="用当前规则重新机器评查全部案卷（保留历次结果和评查决定）")
    _review_options(rescore)
    _store_options(rescore)
    rescore.set_defaults(func=cmd_rescore)

    results = csub.add_parser("results", help="导出最终评查结果（Excel、HTML、JSON）和各单位情况")
    results.add_argument("-o", "--output", type=Path, required=True)
    results.add_argument("--no-mask", action="store_true", help="不对身份证号、手机号脱敏")
    _store_options(results)
    results.set_defaults(func=cmd_results)

    rereview = csub.add_parser("rereview", help="整改后的案卷（同一案号、新内容）重新评查，列出变化")
    rereview.add_argument("file", type=Path)
    rereview.add_argument("--note", default=None, help="整改说明")
    _review_options(rereview)
    _store_options(rereview)
    rereview.set_defaults(func=cmd_rereview)

    trends = csub.add_parser("trends", help="各单位历次评查活动的得分与合格率趋势")
    trends.add_argument("--format", choices=["text", "json"], default="text")
    _store_options(trends, campaign=False)
    trends.set_defaults(func=cmd_trends)

    trail = csub.add_parser("audit", help="操作记录：谁、何时、做了什么、理由（最新的在前）")
    trail.add_argument("--case", default=None, help="只看一个案卷（案号）")
    trail.add_argument("--limit", type=int, default=200)
    _store_options(trail)
    trail.set_defaults(func=cmd_audit)

    serve = sub.add_parser("serve", help="启动评查网页（默认只在本机 127.0.0.1 上提供）")
    serve.add_argument(
        "--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；内网使用时设为本机内网地址）"
    )
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-mask", action="store_true", help="页面上不对身份证号、手机号脱敏")
    _store_options(serve, campaign=False)
    serve.set_defaults(func=cmd_serve)


def _open(args: argparse.Namespace):
    from .store import open_store

    return open_store(args.dir, args.db)


def _options(args: argparse.Namespace, profile: Path | None = None):
    from ..batch import BatchOptions

    return BatchOptions(
        rules=args.rules,
        packs=args.pack,
        profile=profile,
        roster=args.roster,
        calendar=args.calendar,
        engine=args.engine,
        workers=args.workers,
    )


def _run(fn, args: argparse.Namespace) -> int:
    try:
        return fn(args)
    except Exception as exc:
        # imported here: `campaign create` starts its review before loading the store's modules
        from ..batch import BatchSetupError
        from .service import CampaignError
        from .store import StoreError

        if not isinstance(exc, (CampaignError, StoreError, BatchSetupError)):
            raise
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE


def cmd_create(args: argparse.Namespace) -> int:
    from ..cli_support import few_young_collections

    with few_young_collections():  # from the folder walk (10,000 paths kept) to the last chunk
        return _run(_create, args)


def _create(args: argparse.Namespace) -> int:
    from ..batch import iter_case_paths
    from .create import create_campaign

    paths = list(iter_case_paths(args.files))
    if not paths:
        print("没有找到案卷文件（.yaml/.yml/.json）", file=sys.stderr)
        return EXIT_USAGE
    folder = args.files[0] if args.files[0].is_dir() else args.files[0].parent
    opened = []

    def open_store():  # by the import thread, once the review has started
        opened.append(_open(args))
        return opened[0]

    try:
        summary = create_campaign(
            open_store,
            args.name,
            folder,
            paths,
            _options(args, args.profile),
            2 if args.two_reviewers else 1,
            actor=getpass.getuser(),
        )
    finally:
        for store in opened:
            store.close()  # the process ends without the interpreter's teardown (cli.exit_process)
    for note in summary.notes:
        print(note, file=sys.stderr)
    print(
        f"已建立评查活动「{summary.campaign}」：{summary.files} 个文件，机器预评 {summary.reviewed} 个，"
        f"无法评查 {summary.rejected} 个（已登记，列入结果）；数据库：{_where(args)}"
    )
    return EXIT_OK


def _where(args: argparse.Namespace) -> str:
    from sqlalchemy.engine import make_url

    from .store import store_url

    return make_url(store_url(args.dir, args.db)).render_as_string(hide_password=True)


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return args.password_file.read_text(encoding="utf-8").strip()
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        from .service import CampaignError

        raise CampaignError("两次输入的密码不一致")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from sqlalchemy import select

        from .models import User
        from .service import CampaignError, add_user

        store = _open(args)
        if args.action == "list":
            with store.session() as session:
                for u in session.scalars(select(User).order_by(User.username)):
                    role = "组长" if u.role == "lead" else "评查人员"
                    print(f"{u.username}\t{u.display_name}\t{role}\t{u.unit or ''}")
            return EXIT_OK
        if not args.username:
            raise CampaignError("请给出用户名")
        with store.write() as session:
            add_user(
                session, args.username, args.name or args.username, args.role, _password(args), args.unit
            )
        print(f"已添加用户 {args.username}")
        return EXIT_OK

    return _run(run, args)


def cmd_assign(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .service import CampaignError, assign_all, assign_one, get_campaign, get_case, get_user

        if args.case or args.reviewer:
            if not (args.case and args.reviewer):
                raise CampaignError("改派须同时给出 --case 和 --reviewer")
            with _open(args).write() as session:
                case = get_case(session, get_campaign(session, args.campaign), args.case)
                assign_one(session, case, get_user(session, args.reviewer), args.slot, getpass.getuser())
            print(f"已将案卷 {args.case} 第 {args.slot} 席分配给 {args.reviewer}")
            return EXIT_OK
        names = [n.strip() for n in args.reviewers.split(",")] if args.reviewers else None
        count, problems = assign_all(_open(args), args.campaign, names, actor=getpass.getuser())
        for p in problems:
            print(p, file=sys.stderr)
        print(f"已分配 {count} 个评查席位" + (f"；{len(problems)} 个席位无法分配" if problems else ""))
        return EXIT_PROBLEMS if problems else EXIT_OK

    return _run(run, args)


def cmd_status(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .service import STATUS_LABELS, get_campaign, progress

        store = _open(args)
        with store.session() as session:
            campaign = get_campaign(session, args.campaign)
            counts = progress(session, campaign)
        total = sum(counts.values())
        print(f"评查活动「{campaign.name}」共 {total} 个案卷")
        for status, n in counts.items():
            if n:
                print(f"  {STATUS_LABELS[status]}：{n}")
        return EXIT_OK

    return _run(run, args)


def cmd_export_decisions(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .exports import export_decisions

        text = export_decisions(_open(args), args.campaign, args.reviewer)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8", newline="")
        print(f"已导出评查决定表：{args.output}（填写「操作」「扣分」「理由」列后用 import-decisions 导入）")
        return EXIT_OK

    return _run(run, args)


def cmd_import_decisions(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .exports import import_decisions

        saved, problems = import_decisions(_open(args), args.campaign, args.file)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"已导入 {saved} 条评查决定" + ("；部分行未导入，见上" if problems else ""))
        return EXIT_INPUT if problems else EXIT_OK

    return _run(run, args)


def cmd_rescore(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .service import rescore

        count = rescore(_open(args), args.campaign, _options(args), actor=getpass.getuser())
        print(f"已重新机器评查 {count} 个案卷（历次结果均保留，评查决定不变）")
        return EXIT_OK

    return _run(run, args)


def cmd_results(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .exports import write_results

        written = write_results(_open(args), args.campaign, args.output, masked=not args.no_mask)
        print(f"已导出评查结果：{'、'.join(str(p) for p in written)}")
        return EXIT_OK

    return _run(run, args)


def cmd_rereview(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .service import rereview

        summary = rereview(
            _open(args), args.campaign, args.file, _options(args), getpass.getuser(), args.note
        )
        print(f"案卷 {summary.case_key} 已登记第 {summary.version} 版并重新机器评查：")
        for line in summary.changes:
            print(f"  {line}")
        return EXIT_OK

    return _run(run, args)


def cmd_trends(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from .service import trends

        store = _open(args)
        with store.session() as session:
            rows = trends(session)
        if args.format == "json":
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return EXIT_OK
        print("评查活动\t办案单位\t案卷数\t已出结果\t平均分\t合格率")
        for r in rows:
            rate = f"{r['pass_rate']:.0%}" if r["pass_rate"] is not None else "—"
            average = r["average"] if r["average"] is not None else "—"
            print(f"{r['campaign']}\t{r['unit']}\t{r['files']}\t{r['final']}\t{average}\t{rate}")
        return EXIT_OK

    return _run(run, args)


def cmd_audit(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from ..report.masking import mask
        from .service import audit_trail, get_campaign, get_case

        store = _open(args)
        with store.session() as session:
            campaign = get_campaign(session, args.campaign)
            case = get_case(session, campaign, args.case) if args.case else None
            rows = audit_trail(session, campaign, case, args.limit)
        for r in rows:
            detail = "，".join(f"{k}={v}" for k, v in r["detail"].items() if v not in (None, ""))
            reason = f"；理由：{r['reason']}" if r["reason"] else ""
            print(mask(f"{r['at']}\t{r['actor']}\t{r['label']}\t{detail}{reason}"))
        return EXIT_OK

    return _run(run, args)


def cmd_serve(args: argparse.Namespace) -> int:
    def run(args: argparse.Namespace) -> int:
        from ..server.app import create_app, secret_key_for

        store = _open(args)
        app = create_app(store, secret_key=secret_key_for(args.dir), mask=not args.no_mask)
        from waitress import serve

        print(f"评查网页：http://{args.host}:{args.port}/ （Ctrl+C 停止）", flush=True)
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="casereview")
        return EXIT_OK

    return _run(run, args)
