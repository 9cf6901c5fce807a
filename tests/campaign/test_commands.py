"""`casereview campaign …` as a campaign lead uses it, on a SQLite store in a campaign folder."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from openpyxl import load_workbook

from casereview.cli import main

from .helpers import CASEFILES, PASSWORD, SAMPLE

ENGINE = ["--engine", "oracle", "--workers", "0", "--roster", str(CASEFILES / "roster.yaml")]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path, capsys, monkeypatch):
    files = tmp_path / "files"
    files.mkdir()
    for name in SAMPLE:
        shutil.copy(CASEFILES / name, files / name)
    monkeypatch.setenv("CASEREVIEW_PASSWORD", PASSWORD)
    d = ["--dir", str(tmp_path)]
    code, out, _ = run(capsys, "campaign", "create", "第一批", str(files), *ENGINE, *d)
    assert code == 0 and "3 个文件" in out and (tmp_path / "campaign.db").exists()
    for user, role, unit in (
        ("lead", "lead", "省厅"),
        ("li", "reviewer", "赣州市南康区应急管理局"),
        ("zhao", "reviewer", "九江市濂溪区应急管理局"),
    ):
        assert run(capsys, "campaign", "user", "add", user, "--role", role, "--unit", unit, *d)[0] == 0
    return tmp_path


def test_create_refuses_a_duplicate_name_and_a_short_password(folder, capsys, monkeypatch):
    d = ["--dir", str(folder)]
    code, _, err = run(capsys, "campaign", "create", "第一批", str(folder / "files"), *ENGINE, *d)
    assert code == 3 and "评查活动 第一批 已存在" in err
    monkeypatch.setenv("CASEREVIEW_PASSWORD", "short")
    code, _, err = run(capsys, "campaign", "user", "add", "wang", *d)
    assert code == 3 and "密码至少 8 位" in err


def test_offline_decisions_round_trip_with_bad_rows_reported(folder, capsys):
    d = ["--dir", str(folder)]
    code, out, _ = run(capsys, "campaign", "assign", *d)
    assert code == 0 and "已分配 3 个评查席位" in out
    sheet = folder / "decisions.csv"
    assert run(capsys, "campaign", "export-decisions", "-o", str(sheet), *d)[0] == 0
    rows = list(csv.reader(sheet.open(encoding="utf-8-sig")))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    qsh = [r for r in body if r[col["案号"]].startswith("（洪青）")]
    findings = [
        next(r for r in qsh if r[col["类型"]] == "机器问题" and r[col["标题"]].startswith(code))
        for code in ("BM-003", "DEAD-002")
    ]
    findings[0][col["操作"]] = "推翻"
    findings[0][col["理由"]] = "裁量说明见集体讨论记录"
    findings[1][col["操作"]] = "确认"
    item = next(r for r in qsh if r[col["对象"]] == "F-02")
    item[col["操作"]], item[col["扣分"]], item[col["理由"]] = "扣分", "2", "两处漏填"
    bad_points = next(r for r in qsh if r[col["对象"]] == "F-01")
    bad_points[col["操作"]], bad_points[col["扣分"]] = "扣分", "五"
    no_reason = next(
        r for r in body if r[col["类型"]] == "机器问题" and not r[col["案号"]].startswith("（洪青）")
    )
    no_reason[col["操作"]] = "推翻"
    unknown = list(qsh[0])
    unknown[col["案号"]] = "不存在的案号"
    unknown[col["操作"]] = "确认"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *body, unknown])
    code, out, err = run(capsys, "campaign", "import-decisions", str(sheet), *d)
    assert code == 2 and "已导入 3 条评查决定" in out
    assert "扣分应为整数" in err and "须填写理由" in err and "没有案卷 '不存在的案号'" in err
    assert f"{sheet}:" in err  # every problem names the file and line
    rest = folder / "decisions.未导入.csv"
    kept = list(csv.reader(rest.open(encoding="utf-8-sig")))
    assert len(kept) == 4 and kept[0][-1] == "未导入原因"  # the three bad rows, nothing lost
    # the reviewer's sheet now holds the imported decisions
    again = folder / "again.csv"
    run(capsys, "campaign", "export-decisions", "-o", str(again), "--reviewer", "li", *d)
    text = again.read_text(encoding="utf-8-sig")
    assert "裁量说明见集体讨论记录" in text and "两处漏填" in text
    # importing the same file again: the reviewer's own decisions are simply restated,
    # the bad rows are reported again
    code, out, err = run(capsys, "campaign", "import-decisions", str(sheet), *d)
    assert code == 2 and "已导入 3 条评查决定" in out and "扣分应为整数" in err


def test_manual_assignment_keeps_cross_review(folder, capsys):
    d = ["--dir", str(folder)]
    case = "（赣康）应急罚〔2024〕37号"  # not in this campaign
    code, _, err = run(capsys, "campaign", "assign", "--case", case, "--reviewer", "li", *d)
    assert code == 3 and "没有案卷" in err
    code, out, _ = run(
        capsys, "campaign", "assign", "--case", "（宜袁）应急罚〔2024〕29号", "--reviewer", "li", *d
    )
    assert code == 0 and "第 1 席分配给 li" in out
    run(capsys, "campaign", "user", "add", "yuan", "--unit", "宜春市袁州区应急管理局", *d)
    code, _, err = run(
        capsys, "campaign", "assign", "--case", "（宜袁）应急罚〔2024〕29号", "--reviewer", "yuan", *d
    )
    assert code == 3 and "不能评查本单位案卷" in err


def test_results_rescore_rereview_and_trends(folder, capsys, tmp_path):
    d = ["--dir", str(folder)]
    out_dir = tmp_path / "results"
    code, out, _ = run(capsys, "campaign", "results", "-o", str(out_dir), *d)
    assert code == 0
    doc = json.loads((out_dir / "评查结果.json").read_text(encoding="utf-8"))
    assert len(doc["files"]) == 3 and not doc["complete"] and doc["units"]
    assert load_workbook(out_dir / "评查结果.xlsx").sheetnames == ["评查结果", "各单位情况"]
    assert "各单位情况" in (out_dir / "评查结果.html").read_text(encoding="utf-8")
    code, out, _ = run(capsys, "campaign", "rescore", *ENGINE, *d)
    assert code == 0 and "3 个案卷" in out
    fixed = tmp_path / "整改后.yaml"
    fixed.write_text(
        (CASEFILES / SAMPLE[0]).read_text(encoding="utf-8") + "\n# 已整改\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "campaign", "rereview", str(fixed), "--note", "补正", *ENGINE, *d)
    assert code == 0 and "第 2 版" in out and "仍存在：BM-003" in out and "机器预评得分：85 → 85" in out
    code, out, _ = run(capsys, "campaign", "trends", "--format", "json", *d)
    rows = json.loads(out)
    assert {r["campaign"] for r in rows} == {"第一批"} and len(rows) == 3
    code, out, _ = run(capsys, "campaign", "status", *d)
    assert "共 3 个案卷" in out
    code, out, _ = run(capsys, "campaign", "audit", "--case", "（洪青）应急罚〔2024〕27号", *d)
    lines = out.splitlines()
    assert code == 0 and "整改后重新评查" in lines[0] and "理由：补正" in lines[0]


def test_an_unreachable_database_is_a_chinese_error(capsys, tmp_path):
    code, _, err = run(capsys, "campaign", "status", "--db", "postgresql://nobody:secret@127.0.0.1:1/none")
    assert code == 3 and "无法打开评查数据库" in err and "secret" not in err


@pytest.mark.parametrize(
    ("argv", "builds"),
    [
        (["campaign", "create", "第一批", "files"], True),
        (["campaign", "rescore"], True),
        (["campaign", "create", "第一批", "files", "--engine", "oracle"], False),
        (["campaign", "status"], False),
    ],
)
def test_commands_that_review_in_worker_processes_build_the_durable_ruleset_first(monkeypatch, argv, builds):
    """`campaign create` and `rescore` review in worker processes as `review` does: the durable
    ruleset is built once in the background while the command starts (the workers inherit it)."""
    from casereview import cli
    from casereview.campaign import commands

    started = []
    monkeypatch.setattr(cli, "_start_durable_build", started.append)
    monkeypatch.setattr(commands, "_run", lambda fn, args: 0)
    assert main(argv) == 0
    assert any(options is not None for options in started) == builds


def test_create_with_an_unreachable_database_stops_its_review_with_a_chinese_error(capsys, tmp_path):
    """The review starts before the store is opened (beside it, in the import thread): a store that
    cannot be opened still ends the command with its Chinese error and no worker left running."""
    import threading

    files = [str(CASEFILES / name) for name in SAMPLE]
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    roster = ["--roster", str(CASEFILES / "roster.yaml"), "--workers", "2"]
    code, out, err = run(capsys, "campaign", "create", "第一批", *files, *roster, "--db", url)
    assert code == 3 and "无法打开评查数据库" in err and "secret" not in err and not out
    assert not [t for t in threading.enumerate() if t.name.startswith("casereview-import")]


WORKERS_FORKED_BEFORE_THE_STORE = """
import os, sys
sys.argv = ["casereview", *sys.argv[1:]]
loaded = []
os.register_at_fork(before=lambda: loaded.append("sqlalchemy" in sys.modules))
from casereview import cli
code = cli.main()
print(code, loaded[0] if loaded else None)
"""


def test_create_forks_its_workers_before_loading_the_store(tmp_path):
    """The store's modules (SQLAlchemy, the models, the migrations: ~0.4 s at start) are loaded
    while the workers review, not before they are forked."""
    import os
    import subprocess
    import sys

    from .helpers import ROOT

    argv = ["campaign", "create", "第一批", *(str(CASEFILES / name) for name in SAMPLE)]
    argv += ["--roster", str(CASEFILES / "roster.yaml"), "--workers", "2", "--dir", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    command = [sys.executable, "-c", WORKERS_FORKED_BEFORE_THE_STORE, *argv]
    proc = subprocess.run(command, capture_output=True, env=env, timeout=300)
    assert proc.stdout.decode().split()[-2:] == ["0", "False"], proc.stderr.decode()[-2000:]


def test_create_collects_young_objects_seldom_while_importing_and_restores_the_collector(
    capsys, tmp_path, monkeypatch
):
    """As in `review` (test_review_parent.py): while results arrive and chunks are written the
    parent's young collections wait for REVIEW_GC_YOUNG new objects; the caller's collector is as
    it was afterwards."""
    import gc

    from casereview import cli_support
    from casereview.campaign import create

    seen: list[int] = []
    put = create.ChunkWriter.put
    monkeypatch.setattr(
        create.ChunkWriter, "put", lambda self, chunk: (seen.append(gc.get_threshold()[0]), put(self, chunk))
    )
    before = gc.get_threshold()
    gc.set_threshold(555, *before[1:])
    try:
        files = [str(CASEFILES / name) for name in SAMPLE]
        code, out, _ = run(capsys, "campaign", "create", "第一批", *files, *ENGINE, "--dir", str(tmp_path))
        assert code == 0 and "3 个文件" in out
        assert seen == [cli_support.REVIEW_GC_YOUNG] and gc.get_threshold() == (555, *before[1:])
    finally:
        gc.set_threshold(*before)
