"""CLI conventions a linter user expects (ruff, conftest, checkov): select/ignore, project config,
waivers, baseline, exit codes, output file, quiet, statistics, colour, stdin, completion, Chinese
argparse, closed pipes, SARIF/JUnit honouring --fail-on, discovery by content."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from casereview.cli import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_USAGE, build_parser, main
from casereview.cli_support import Progress

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"
FAST = ["--engine", "oracle", "--workers", "0", "--no-cache", "--isolated"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


ROSTER = ["--roster", str(EXAMPLES / "roster.yaml")]


# ------------------------------------------------------------------ exit codes


def test_exit_codes_are_distinct(capsys, tmp_path, veto_case):
    assert run(capsys, "check", EXAMPLES / "general.yaml", *ROSTER, *FAST)[0] == EXIT_OK
    assert run(capsys, "check", veto_case, *ROSTER, *FAST)[0] == EXIT_FINDINGS
    broken = tmp_path / "broken.yaml"
    broken.write_text("case: [unclosed\n", encoding="utf-8")
    assert run(capsys, "check", broken, *FAST)[0] == EXIT_INPUT
    code, _, err = run(capsys, "check", EXAMPLES / "general.yaml", "--fail-on", "sometimes")
    assert code == EXIT_USAGE and "无效的选项值" in err
    code, _, err = run(capsys, "check", EXAMPLES / "general.yaml", "--roster", tmp_path / "none.csv", *FAST)
    assert code == EXIT_USAGE and "证件台账" in err
    assert {EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_USAGE} == {0, 1, 2, 3}


def test_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "3 用法或配置错误" in readme and "2 有无法评查的输入文件" in readme
    ci = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for row in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert row in ci
    assert "usage or configuration error" in ci


# ------------------------------------------------------------------ select / ignore


def test_select_and_ignore_codes_and_prefixes_case_insensitive(capsys, veto_case):
    code, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "json")
    codes = {f["code"] for f in json.loads(out)["results"][0]["findings"]}
    assert {"CERT-001", "CERT-003"} <= codes
    code, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "json", "--ignore", "cert-001")
    result = json.loads(out)["results"][0]
    assert "CERT-001" not in {f["code"] for f in result["findings"]}
    assert result["score"]["grade"] != "不合格" and code == EXIT_OK  # rescored without the ignored rule
    code, out, _ = run(
        capsys, "check", veto_case, *FAST, "--format", "json", "--select", "cert", "--ignore", "CERT-003"
    )
    assert {f["code"] for f in json.loads(out)["results"][0]["findings"]} == {"CERT-001"}


def test_unknown_code_is_a_usage_error_with_suggestions(capsys, veto_case):
    code, _, err = run(capsys, "check", veto_case, *FAST, "--select", "CERT-01")
    assert code == EXIT_USAGE
    assert "CERT-01" in err and "是否要找" in err and "CERT-001" in err


# ------------------------------------------------------------------ project config


def test_pyproject_config_sets_select_and_fail_on(capsys, tmp_path, veto_case, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.casereview]\nignore = ["CERT-001"]\nfail-on = "review"\n'
        f'roster = "{(EXAMPLES / "roster.yaml").as_posix()}"\nengine = "oracle"\n',
        encoding="utf-8",
    )
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    args = ["check", veto_case, "--workers", "0", "--no-cache", "--format", "json"]
    code, out, _ = run(capsys, *args)
    assert "CERT-001" not in {f["code"] for f in json.loads(out)["results"][0]["findings"]}
    assert json.loads(out)["fail_on"] == "review"
    code, out, _ = run(capsys, *args, "--fail-on", "veto")  # the command line wins
    assert json.loads(out)["fail_on"] == "veto" and code == EXIT_OK
    code, out, _ = run(capsys, *args, "--isolated")
    assert "CERT-001" in {f["code"] for f in json.loads(out)["results"][0]["findings"]}


def test_dot_casereview_toml_and_its_errors(capsys, tmp_path, veto_case, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".casereview.toml").write_text('select = ["CERT-001"]\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", veto_case, "--engine", "oracle", "--workers", "0", "--format", "json")
    assert {f["code"] for f in json.loads(out)["results"][0]["findings"]} == {"CERT-001"}
    (tmp_path / ".casereview.toml").write_text('selct = ["CERT-001"]\n', encoding="utf-8")
    code, _, err = run(capsys, "check", veto_case)
    assert code == EXIT_USAGE and "selct" in err and "select" in err and ".casereview.toml" in err


# ------------------------------------------------------------------ waivers


def _waivers(tmp_path: Path, expires: dt.date, code: str = "CERT-001", reason: str | None = None) -> Path:
    path = tmp_path / "豁免.yaml"
    reason = reason or "询问笔录另有执法人员签名页（见案卷第 12 页），经法制审核确认符合行政处罚法第四十二条"
    path.write_text(
        "waivers:\n"
        f"  - code: {code.lower()}\n"
        "    file: cases/veto.yaml\n"
        f"    reason: {reason}\n"
        "    approver: 执法监督科 王某\n"
        f"    expires: {expires.isoformat()}\n",
        encoding="utf-8",
    )
    return path


def test_waived_finding_stays_visible_and_no_longer_fails(capsys, tmp_path, veto_case):
    waivers = _waivers(tmp_path, dt.date.today() + dt.timedelta(days=30))
    code, out, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--waivers", waivers)
    assert code == EXIT_OK
    assert "已豁免" in out and "执法监督科 王某" in out and "CERT-001" in out
    code, out, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--waivers", waivers, "--format", "json")
    doc = json.loads(out)
    (finding,) = [f for f in doc["results"][0]["findings"] if f["code"] == "CERT-001"]
    assert finding["waiver"]["approver"] == "执法监督科 王某"
    assert doc["results"][0]["score"]["grade"] != "不合格"
    assert doc["waivers"]["applied"] == 1
    code, out, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--waivers", waivers, "--format", "sarif")
    (res,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "CERT-001"]
    assert (
        res["suppressions"][0]["status"] == "accepted" and "王某" in res["suppressions"][0]["justification"]
    )


def test_expired_and_unused_waivers_are_reported(capsys, tmp_path, veto_case):
    expired = _waivers(tmp_path, dt.date.today() - dt.timedelta(days=1))
    code, out, err = run(capsys, "check", veto_case, *ROSTER, *FAST, "--waivers", expired)
    assert code == EXIT_FINDINGS and "已于" in err and "过期" in err
    assert "已豁免" not in out
    unused = _waivers(tmp_path, dt.date.today() + dt.timedelta(days=1), code="BM-001")
    code, _, err = run(capsys, "check", veto_case, *ROSTER, *FAST, "--waivers", unused)
    assert code == EXIT_FINDINGS and "未匹配任何问题" in err


def test_waiver_without_reason_or_with_unknown_code_is_refused(capsys, tmp_path, veto_case):
    path = tmp_path / "w.yaml"
    path.write_text(
        "waivers:\n  - code: CERT-001\n    file: x.yaml\n    expires: 2030-01-01\n", encoding="utf-8"
    )
    code, _, err = run(capsys, "check", veto_case, *FAST, "--waivers", path)
    assert code == EXIT_USAGE and "reason" in err and "approver" in err and f"{path}:" in err
    bad = _waivers(tmp_path, dt.date.today(), code="CERT-0001")
    code, _, err = run(capsys, "check", veto_case, *FAST, "--waivers", bad)
    assert code == EXIT_USAGE and "CERT-0001" in err


# ------------------------------------------------------------------ baseline


def test_baseline_reports_only_new_findings(capsys, tmp_path, veto_case):
    baseline = tmp_path / "baseline.json"
    code, _, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--create-baseline", baseline)
    assert code == EXIT_FINDINGS and baseline.is_file()
    code, out, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--baseline", baseline, "--format", "json")
    assert code == EXIT_OK
    result = json.loads(out)["results"][0]
    assert result["findings"] == [] and any("基线" in n for n in result["notes"])
    # a line moved: still the same findings; a new defect: reported
    text = veto_case.read_text(encoding="utf-8")
    veto_case.write_text(
        "# 新增注释行\n" + text.replace("amount: 15000", "amount: 150000000"), encoding="utf-8"
    )
    code, out, _ = run(capsys, "check", veto_case, *ROSTER, *FAST, "--baseline", baseline, "--format", "json")
    codes = {f["code"] for f in json.loads(out)["results"][0]["findings"]}
    assert code == EXIT_FINDINGS and "CERT-001" not in codes and codes


# ------------------------------------------------------------------ output conventions


def test_output_file_quiet_and_statistics(capsys, tmp_path, veto_case):
    target = tmp_path / "out.sarif"
    code, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "sarif", "--output-file", target)
    assert code == EXIT_FINDINGS and out == "" and json.loads(target.read_text(encoding="utf-8"))["runs"]
    shutil.copy(EXAMPLES / "general.yaml", veto_case.parent / "clean.yaml")
    code, out, err = run(capsys, "check", veto_case.parent, *ROSTER, *FAST, "--quiet")
    assert "veto.yaml" in out and "clean.yaml" not in out and "共 2 个文件" not in out and err == ""
    code, out, _ = run(capsys, "check", veto_case.parent, *FAST, "--statistics")
    lines = out.strip().splitlines()
    assert any(line.split("\t")[1] == "CERT-001" for line in lines)
    counts = [int(line.split("\t")[0]) for line in lines]
    assert counts == sorted(counts, reverse=True)


def test_colour_only_when_asked_or_on_a_terminal(capsys, veto_case):
    _, out, _ = run(capsys, "check", veto_case, *FAST)
    assert "\x1b[" not in out  # captured output is not a terminal
    _, out, _ = run(capsys, "check", veto_case, *FAST, "--color", "always")
    assert "\x1b[31;1m[否决]" in out


def test_progress_bar_has_rate_and_eta_and_only_on_a_terminal():
    p = Progress(200, stream=io.StringIO())
    assert p.enabled is False  # not a terminal
    p.start = 0.0
    line = p.line(50, "a.yaml", now=10.0)
    assert "50/200" in line and "5.0 件/秒" in line and "剩余 0:30" in line
    p.update("a.yaml")
    assert p.stream.getvalue() == ""


def test_check_dash_reads_stdin(capsys, monkeypatch, veto_case):
    data = veto_case.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, out, _ = run(capsys, "check", "-", *FAST, "--stdin-filename", "上传/案卷.yaml", "--format", "json")
    (result,) = json.loads(out)["results"]
    assert code == EXIT_FINDINGS and result["file"] == "上传/案卷.yaml"
    assert all(f["location"]["file"] == "上传/案卷.yaml" for f in result["findings"])


def test_shell_completion_is_generated_from_the_parser(capsys):
    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0 and "complete -o filenames -F _casereview casereview" in out
    for word in ("check", "review", "explain", "--fail-on", "--select", "--baseline", "lint", "diff"):
        assert word in out
    if shutil.which("bash"):
        subprocess.run(["bash", "-n"], input=out, text=True, check=True)
        script = (
            out
            + 'COMP_WORDS=(casereview check --fail-on ""); COMP_CWORD=3; _casereview; '
            + 'echo "${COMPREPLY[@]}"\n'
        )
        done = subprocess.run(["bash"], input=script, text=True, capture_output=True, check=True)
        assert done.stdout.split() == ["veto", "deduct", "warn", "review"]


def test_help_and_argparse_errors_are_chinese(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser("check").parse_args(["check", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("用法：") and "选项" in out and "显示帮助并退出" in out and "show this help" not in out
    )
    _, out, _ = run(capsys, "--help")
    assert "显示版本号并退出" in out and "show program" not in out and "退出码" in out
    code, _, err = run(capsys, "check", "a.yaml", "--no-such-option")
    assert code == EXIT_USAGE and "无法识别的参数" in err and "error:" not in err


def test_closed_pipe_gives_no_traceback():
    cmd = [sys.executable, "-m", "casereview.cli", "check", str(ROOT / "casefiles"), *FAST]
    script = (
        f"import subprocess,sys; p=subprocess.Popen({cmd!r}, stdout=subprocess.PIPE, stderr=subprocess.PIPE);"
    )
    script += "p.stdout.readline(); p.stdout.close(); err=p.stderr.read().decode(); p.wait();"
    script += "print(p.returncode); print(err)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stdout and "BrokenPipeError" not in done.stdout, done.stdout
    code, err = done.stdout.split("\n", 1)
    # the output (~470 KB) outgrows the pipe: the write fails, and that is not a report error
    assert code == "141" and "无法写入报告" not in err, done.stdout


# ------------------------------------------------------------------ SARIF / JUnit honour --fail-on


def test_junit_and_sarif_follow_fail_on(capsys, veto_case):
    _, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "junit", "--fail-on", "veto")
    root = ET.fromstring(out)
    failed = {c.get("name").split()[0] for c in root.iter("testcase") if c.find("failure") is not None}
    assert failed == {"CERT-001"}  # CERT-003 (待人工评查) is not a failure with --fail-on veto
    _, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "sarif", "--fail-on", "veto")
    sarif = json.loads(out)["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in sarif["results"]}
    assert levels["CERT-001"] == "error" and levels["CERT-003"] == "note"
    inv = sarif["invocations"][0]
    assert (
        inv["executionSuccessful"] and inv["exitCode"] == EXIT_FINDINGS and "casereview" in inv["commandLine"]
    )
    assert inv["startTimeUtc"].endswith("Z") and inv["endTimeUtc"].endswith("Z")
    uri = sarif["tool"]["driver"].get("informationUri")
    assert uri is None or (uri.startswith("https://") and "github.com/casereview/casereview" not in uri)
    assert all(r["partialFingerprints"]["casereview/v1"] for r in sarif["results"])


def test_sarif_fingerprints_survive_moved_lines(capsys, veto_case):
    _, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "sarif")
    before = {r["partialFingerprints"]["casereview/v1"] for r in json.loads(out)["runs"][0]["results"]}
    veto_case.write_text("# 注释\n# 注释\n" + veto_case.read_text(encoding="utf-8"), encoding="utf-8")
    _, out, _ = run(capsys, "check", veto_case, *FAST, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert {r["partialFingerprints"]["casereview/v1"] for r in results} == before
    assert len(before) == len(results)


# ------------------------------------------------------------------ discovery


def test_discovery_by_content_roster_output_and_exclude(capsys, tmp_path):
    folder = tmp_path / "archive"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(EXAMPLES / "general.yaml", folder / "sub" / "案卷一.yaml")
    shutil.copy(EXAMPLES / "general.yaml", folder / "draft.yaml")
    shutil.copy(EXAMPLES / "roster.yaml", folder / "证件.yaml")  # a roster by content, any name
    shutil.copy(EXAMPLES / "roster.yaml", folder / "台账.yaml")
    (folder / "ci.yml").write_text("stages: [test]\njob:\n  script: [make]\n", encoding="utf-8")
    (folder / "broken.yaml").write_text("case: [unclosed\n", encoding="utf-8")  # still reviewed: rejected
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "x.yml").write_text("on: push\n", encoding="utf-8")
    out_dir = folder / "报告"
    out_dir.mkdir()
    (out_dir / "results.json").write_text('{"schema": "casereview.result", "results": []}', encoding="utf-8")
    (folder / "old.json").write_text('{"schema": "casereview.baseline", "findings": {}}', encoding="utf-8")
    code, out, _err = run(
        capsys,
        "check",
        folder,
        *FAST,
        "--format",
        "json",
        "--roster",
        folder / "台账.yaml",
        "--exclude",
        "draft.yaml",
    )
    files = {Path(r["file"]).name for r in json.loads(out)["results"]}
    assert files == {"案卷一.yaml", "broken.yaml"}
    assert code == EXIT_INPUT  # broken.yaml is rejected with its reason, not skipped
    code = main(
        ["review", str(folder), "-o", str(out_dir), *FAST, "--format", "json", "--exclude", "draft.yaml"]
    )
    doc = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    assert {Path(r["file"]).name for r in doc["results"]} == {"案卷一.yaml", "broken.yaml"}
    capsys.readouterr()


def test_a_new_format_is_one_file(tmp_path, monkeypatch, capsys):
    from casereview.report import formats

    pkg = tmp_path / "extra"
    pkg.mkdir()
    (pkg / "tap.py").write_text(
        "from casereview.report.formats import Reporter, Sink\n"
        "class S(Sink):\n"
        "    def __init__(self, out, ctx): self.out, self.n = out, 0\n"
        "    def add(self, result, index):\n"
        "        self.n += 1\n"
        "        status = 'ok' if not result.findings else 'not ok'\n"
        "        self.out.write(f'{status} {self.n} {result.file}\\n')\n"
        "    def finish(self, analysis): self.out.write(f'1..{self.n}\\n')\n"
        "class R(Reporter):\n"
        "    name = 'tap'; label = 'TAP'; filename = 'results.tap'\n"
        "    def open(self, out, ctx): return S(out, ctx)\n"
        "REPORTER = R()\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(formats, "__path__", [*formats.__path__, str(pkg)])
    monkeypatch.setitem(sys.modules, "casereview.report.formats.tap", None)
    del sys.modules["casereview.report.formats.tap"]
    formats.names.cache_clear()
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("casereview.report.formats.tap", pkg / "tap.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["casereview.report.formats.tap"] = module
        spec.loader.exec_module(module)
        assert "tap" in formats.names() and "tap" in formats.stream_names()
        code, out, _ = run(capsys, "check", EXAMPLES / "general.yaml", *ROSTER, *FAST, "--format", "tap")
        assert code == EXIT_OK and out.strip().endswith("1..1") and out.startswith("ok 1")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("casereview.report.formats.tap", None)
        formats.names.cache_clear()


def test_format_choices_come_from_the_registry():
    from casereview.report import formats

    parser = build_parser("check")
    check = next(a for a in parser._actions if a.dest == "command").choices["check"]
    fmt = next(a for a in check._actions if a.dest == "format")
    assert tuple(fmt.choices) == formats.stream_names() == ("text", "json", "junit", "sarif")
    assert set(formats.names()) == {"text", "json", "junit", "sarif", "html", "xlsx"}
    files = {p.stem for p in Path(formats.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert files == set(formats.names())


# ------------------------------------------------------------------ docs/ci.md works as written


def _blocks(lang: str) -> list[str]:
    import re

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


CI_FILES = [
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    "案卷/roster.yaml",
    "案卷/台账.yaml",
]
CASE_FILES = ["案卷/2026/01-某公司.yaml", "案卷/02.json"]


def test_ci_doc_installs_from_the_repository():
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs and all("git+" in line for line in installs)


def test_pre_commit_patterns_keep_ci_configs_away():
    import re

    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks[0]["id"] == "casereview" and hooks[0]["entry"].startswith("casereview check")
    (config,) = [yaml.safe_load(b) for b in _blocks("yaml") if "repos:" in b]
    hook = config["repos"][0]["hooks"][0]
    for name in CI_FILES:
        assert not (re.search(hook["files"], name) and not re.search(hook["exclude"], name)), name
        assert re.search(hooks[0]["exclude"], name), name
    for name in CASE_FILES:
        assert re.search(hook["files"], name) and not re.search(hook["exclude"], name), name


def test_shell_filters_in_ci_doc_drop_ci_configs():
    import re

    for block in _blocks("sh") + _blocks("yaml"):
        for match in re.findall(r"grep -Ev '([^']+)'", block):
            for name in CI_FILES:
                assert re.search(match, name), (match, name)
            for name in CASE_FILES:
                assert not re.search(match, name)
    assert any("grep -Ev" in b for b in _blocks("sh"))
