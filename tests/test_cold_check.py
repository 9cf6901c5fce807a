"""The `casereview` process: a one-file check started as a new process (what a case handler's CI
runs) says and returns exactly what the same check says in-process, although the process ends
without the interpreter's teardown (cli.exit_process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from casereview.cli import EXIT_FINDINGS, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"
FAST = ["--engine", "oracle", "--workers", "0", "--no-cache", "--isolated"]
ROSTER = ["--roster", str(EXAMPLES / "roster.yaml")]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}


def _process(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "casereview.cli", *map(str, argv)]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300, **kwargs)


@pytest.mark.parametrize("engine", [["--engine", "oracle", "--workers", "0"], ["--workers", "1"]])
@pytest.mark.parametrize("name", ["general", "veto"])
def test_a_check_process_prints_and_returns_what_the_check_does_in_process(capsys, veto_case, engine, name):
    case = EXAMPLES / "general.yaml" if name == "general" else veto_case
    argv = ["check", str(case), *ROSTER, *engine, "--no-cache", "--isolated"]
    code = main(argv)
    out, _ = capsys.readouterr()
    done = _process(*argv)
    assert (done.returncode, done.stdout) == (code, out)
    assert code == (EXIT_OK if name == "general" else EXIT_FINDINGS)
    assert "未发现问题" in out if name == "general" else "CERT-001" in out


def test_a_check_process_writes_its_output_file_whole(tmp_path, veto_case):
    target = tmp_path / "out.json"
    done = _process("check", veto_case, *ROSTER, *FAST, "--format", "json", "-o", target)
    assert done.returncode == EXIT_FINDINGS, done.stderr
    document = json.loads(target.read_text(encoding="utf-8"))
    assert any(f["code"] == "CERT-001" for r in document["results"] for f in r["findings"])


def test_a_check_from_stdin_leaves_no_temporary_folder(tmp_path):
    text = (EXAMPLES / "general.yaml").read_text(encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    cmd = [sys.executable, "-m", "casereview.cli", "check", "-", *ROSTER, *FAST]
    env = {**ENV, "TMPDIR": str(scratch)}
    done = subprocess.run(cmd, input=text, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == EXIT_OK, done.stderr
    assert list(scratch.iterdir()) == []


def test_a_review_process_ends_without_teardown_its_reports_whole(tmp_path, veto_case):
    """`review` also ends through `exit_process` (its parent's teardown walked the whole batch's
    analysis): same exit code as in-process, the results file whole, nothing on stderr (the pool's
    threads and workers are gone before the process ends), no object finalised by a teardown."""
    folder = veto_case.parent
    for name in ("general.yaml", "simple.yaml"):
        (folder / name).write_text((EXAMPLES / name).read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["review", folder, "-o", tmp_path / "out", "--format", "json", *ROSTER, "--no-cache", "-q"]
    script = (
        "import sys\nfrom casereview import cli\n"
        "class Late:\n    def __del__(self):\n        print('torn down')\n"
        f"late = Late()\nsys.argv = {['casereview', *map(str, argv), '--workers', '2']!r}\ncli.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=300
    )
    assert (done.returncode, done.stdout, done.stderr) == (EXIT_FINDINGS, "", "")
    document = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert len(document["results"]) == 3 and document["analysis"]["campaign"]["files"] == 3
    assert (
        main([*map(str, argv[:3]), str(tmp_path / "again"), *map(str, argv[4:]), "--workers", "0"])
        == EXIT_FINDINGS
    )


def test_a_review_process_leaves_what_it_held_to_the_end_of_the_process(tmp_path, veto_case):
    """A review's summaries, analysis and paths are not freed object by object after the reports
    are written (~0.04 s of CPU with both cores idle at 10,000 files): `run` ends the process
    without teardown, so the review leaves them in `cli._held_to_exit`. An in-process caller
    (tests, the web app) holds nothing."""
    folder = veto_case.parent
    (folder / "general.yaml").write_bytes((EXAMPLES / "general.yaml").read_bytes())
    out = tmp_path / "out"
    argv = ["casereview", "review", str(folder), "-o", str(out), *ROSTER, "--no-cache", "-q"]
    argv += ["--workers", "2"]
    script = (
        "import atexit, sys\nfrom casereview import cli\n"
        "def told():\n"
        "    (sinks, analysis, _, paths, _), = cli._held_to_exit\n"
        "    print(sorted(type(s).__name__ for _, s in sinks), analysis['campaign']['files'], len(paths))\n"
        f"atexit.register(told)\nsys.argv = {argv!r}\ncli.run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=300
    )
    assert (done.returncode, done.stderr) == (EXIT_FINDINGS, "")
    assert done.stdout == "['HtmlSink', 'XlsxSink', '_Closing'] 2 2\n"
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert document["analysis"]["campaign"]["files"] == 2
    assert (out / "index.html").is_file() and (out / "评查结果.xlsx").is_file()
    from casereview import cli

    assert main([*argv[1:3], "-o", str(tmp_path / "again"), *argv[5:-2], "--workers", "0"]) == EXIT_FINDINGS
    assert cli._held_to_exit is None


def _exit_script(body: str) -> subprocess.CompletedProcess:
    script = "import atexit, sys, threading, time\nfrom casereview.cli import exit_process\n" + body
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=60)


def test_exit_process_flushes_and_runs_the_exit_handlers():
    done = _exit_script(
        "atexit.register(lambda: print('handler ran'))\nprint('output', end='')\nexit_process(3)\n"
    )
    assert (done.returncode, done.stdout) == (3, "outputhandler ran\n")


@pytest.mark.parametrize("seconds", [0.3, 1.5])
def test_exit_process_waits_for_a_running_thread_as_a_normal_exit_does(seconds):
    """A short thread is waited for, a long one left to the normal exit: either way it finishes."""
    done = _exit_script(
        f"threading.Thread(target=lambda: (time.sleep({seconds}), print('thread done'))).start()\n"
        "exit_process(2)\n"
    )
    assert (done.returncode, done.stdout) == (2, "thread done\n")


def _models() -> list[type]:
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import casereview

    skip = ("casereview.server", "casereview.campaign")  # optional web dependencies
    for info in pkgutil.walk_packages(casereview.__path__, "casereview."):
        if not info.name.startswith(skip):
            importlib.import_module(info.name)
    seen: list[type] = []
    todo = list(BaseModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("casereview.") and cls not in seen:
            seen.append(cls)
    return seen


def test_field_default_factories_make_fresh_values_through_plain_functions():
    """Every default is a new value (no list shared between two case files), made by a plain
    function (model/factories.py): pydantic inspects a factory's signature when it builds a model,
    which for `list` or a model class costs ~0.5 ms or more per field at every start."""
    checked = 0
    for model in _models():
        for name, info in model.model_fields.items():
            factory = info.default_factory
            if factory is None:
                continue
            checked += 1
            assert not isinstance(factory, type), f"{model.__name__}.{name}: {factory!r}"
            first, second = factory(), factory()
            assert first == second and (first is not second or isinstance(first, tuple | frozenset))
    assert checked > 40


_PLUGIN_PROBE = """
import sys
from casereview.cli_support import skip_plugin_lookup
print("skipped" if skip_plugin_lookup() else "looked up")
from casereview.model.roster import Roster
roster = Roster.model_validate({"certificates": []})
print("validated", type(roster).__name__)
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP  # anything else: the real loader
print("group", PYDANTIC_ENTRY_POINT_GROUP)
"""


def _install_plugin(site: Path) -> None:
    """A pydantic plugin distribution (entry point group "pydantic") that reports each model."""
    (site / "probe_plugin.py").write_text(
        "class Plugin:\n"
        "    def new_schema_validator(self, schema, schema_type, *args, **kwargs):\n"
        "        print('plugin saw', schema_type.__name__)\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n",
        encoding="utf-8",
    )
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n", encoding="utf-8")


@pytest.mark.parametrize("installed", [False, True])
def test_pydantic_plugins_are_used_when_installed_and_not_looked_up_otherwise(tmp_path, installed):
    """The CLI skips pydantic's plugin lookup (importing importlib.metadata, ~15 ms) only when no
    distribution on the path declares a pydantic plugin; an installed plugin still sees our models."""
    site = tmp_path / "site"
    site.mkdir()
    if installed:
        _install_plugin(site)
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(site), ENV["PYTHONPATH"]])}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    done = subprocess.run(
        [sys.executable, "-c", _PLUGIN_PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("looked up" if installed else "skipped")
    assert lines[-2:] == ["validated Roster", "group pydantic"]
    assert ("plugin saw Roster" in lines) == installed


def test_a_distribution_that_cannot_be_read_as_a_folder_counts_as_declaring_plugins(tmp_path, monkeypatch):
    from casereview.cli_support import _may_declare_plugins

    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert not _may_declare_plugins()
    (tmp_path / "bundle.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "bundle.zip")])
    assert _may_declare_plugins()


@pytest.mark.parametrize("once", [True, False])
def test_a_check_whose_review_kills_its_process_says_what_the_check_in_workers_says(
    tmp_path, monkeypatch, capsys, once
):
    """A one-file check process reviews its file in a supervised child (evaluate/solo.py). If the
    review kills that process, the file goes down the same path as a file that killed its worker:
    re-run in a fresh worker (killed once) or, killed each time, reviewed by the oracle — the same
    output and exit code as the check run in-process, where the file went to a worker."""
    case = tmp_path / "case-crashme.yaml"
    case.write_text((EXAMPLES / "general.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["check", str(case), *ROSTER, "--no-cache", "--isolated", "--format", "json"]
    env = {"CASEREVIEW_TEST_CRASH_ON": "crashme"}
    if once:
        env["CASEREVIEW_TEST_CRASH_ONCE"] = str(tmp_path / "killed-in-process")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(argv)
    out, _ = capsys.readouterr()
    if once:
        env["CASEREVIEW_TEST_CRASH_ONCE"] = str(tmp_path / "killed-in-the-process")
    done = subprocess.run(
        [sys.executable, "-m", "casereview.cli", *argv],
        capture_output=True,
        text=True,
        env={**ENV, **env},
        timeout=300,
    )
    assert done.returncode == code, done.stderr
    stamp = ("generated", "startTimeUtc", "endTimeUtc", "invocation", "duration_ms")

    def same(text: str) -> Any:
        document = json.loads(text)
        return {k: v for k, v in document.items() if k not in stamp}

    assert same(done.stdout) == same(out)
    (result,) = json.loads(out)["results"]
    assert any("重新评查" in note for note in result["notes"])
    assert result["engine"] == ("durable" if once else "oracle")
    if once:
        assert (tmp_path / "killed-in-the-process").exists()  # the supervised child really died


_SUPERVISED = """
import os, signal, sys
from casereview.evaluate import solo
solo.supervise()
if solo.here():
    how = sys.argv[1]
    if how == "exit":
        os._exit(3)
    solo._say(solo._STARTED)
    if how == "killed after":
        solo._say(solo._ENDED)
    os.kill(os.getpid(), signal.SIGTERM if how == "killed after" else signal.SIGKILL)
print("supervisor runs the command itself:", solo.crashed())
"""


@pytest.mark.parametrize(
    ("how", "returncode", "stdout"),
    [
        ("exit", 3, ""),
        ("killed after", -15, ""),  # died outside a review: the supervisor dies the same way
        ("killed during", 0, "supervisor runs the command itself: True\n"),
    ],
)
def test_the_supervisor_ends_as_its_child_or_takes_over_after_a_crash_in_a_review(how, returncode, stdout):
    done = subprocess.run(
        [sys.executable, "-c", _SUPERVISED, how], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert (done.returncode, done.stdout) == (returncode, stdout), done.stderr


_ENDS_SLOWLY = """
import os, sys, time
from casereview.evaluate import solo
solo.supervise()
print("checked", os.getpid())
solo.release()
sys.stdout.flush()
solo.exiting(5)
time.sleep(120)  # a process whose memory takes long to free: the command must not wait for it
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_supervisor_ends_with_the_code_its_child_says_without_waiting_for_its_end():
    """A supervised check says its exit code once its output is written (cli.exit_process): the
    command ends then, with that code and the whole output, not after the child's end (the kernel
    freeing ~100 MB); the child, whose supervisor is gone, is killed (PR_SET_PDEATHSIG)."""
    done = subprocess.run(
        [sys.executable, "-c", _ENDS_SLOWLY], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert done.returncode == 5, done.stderr
    word, pid = done.stdout.split()
    assert word == "checked"
    for _ in range(200):  # killed at once; a loaded machine may take a moment to reap it
        if _gone(int(pid)):
            break
        import time

        time.sleep(0.05)
    assert _gone(int(pid))


@pytest.mark.parametrize("columns", ["", "50", "132", "junk"])
def test_help_is_wrapped_at_the_width_argparse_itself_would_use(monkeypatch, columns):
    """ChineseArgumentParser gives argparse's formatter the width argparse would compute (without
    importing shutil for it): the help text is the same at any terminal width."""
    import argparse

    from casereview.cli_support import ChineseArgumentParser

    monkeypatch.setenv("COLUMNS", columns)

    def helped(cls: type[argparse.ArgumentParser]) -> str:
        parser = cls(prog="casereview", description="评查一个或多个案卷文件，输出问题清单与得分。" * 3)
        choices = ["veto", "deduct", "review"]
        parser.add_argument("--fail-on", choices=choices, help="何种问题使退出码非零" * 4)
        parser.add_argument("paths", nargs="+", help="案卷文件或文件夹")
        return parser.format_help()

    assert helped(ChineseArgumentParser) == helped(argparse.ArgumentParser)


def test_the_last_day_of_a_month_is_the_calendars():
    import calendar

    from casereview.model.unknown import last_day

    for year in range(1900, 2101):
        for month in range(1, 13):
            assert last_day(year, month) == calendar.monthrange(year, month)[1], (year, month)


def test_adding_months_clamps_to_the_calendars_last_day():
    """derive's month arithmetic (deadlines) without the calendar module (it imports locale)."""
    import calendar
    import datetime as dt

    from casereview.derive.facts import _add_months

    def reference(day: dt.date, months: int) -> dt.date:
        month0 = day.month - 1 + months
        year, month = day.year + month0 // 12, month0 % 12 + 1
        return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    for year in (1, 4, 100, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9998):
        for month in range(1, 13):
            for day in (1, 28, 29, 30, 31):
                try:
                    start = dt.date(year, month, day)
                except ValueError:
                    continue
                for months in (-13, -1, 0, 1, 2, 6, 11, 12, 13, 25):
                    try:
                        expected = reference(start, months)
                    except ValueError:
                        expected = None
                    try:
                        got = _add_months(start, months)
                    except ValueError:
                        got = None
                    assert got == expected, (start, months)


def test_a_check_started_with_children_reaped_by_the_kernel_still_returns_its_code(capsys, veto_case):
    """With SIGCHLD ignored (inherited from some launchers) no exit status could be read back from
    a supervised child: the check then runs unsupervised, and says and returns the same."""
    import signal

    argv = ["check", str(veto_case), *ROSTER, "--no-cache", "--isolated"]
    code = main(argv)
    out, _ = capsys.readouterr()

    def ignore_children() -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)

    cmd = [sys.executable, "-m", "casereview.cli", *argv]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
        preexec_fn=ignore_children,
    )
    assert (done.returncode, done.stdout) == (code, out) and code == EXIT_FINDINGS


def test_a_check_imports_no_module_it_does_not_use(tmp_path):
    """Modules only some inputs need are imported where used (each ~1-4 ms at every start):
    a YAML check with a YAML roster reads no CSV, suggests no field name, parses no TOML, makes
    no temporary file, formats no traceback, and analyses no batch (the HTML format's module is
    loaded with every format, its batch analysis only when used)."""
    unused = {"calendar", "csv", "difflib", "importlib.metadata", "locale", "shutil", "tempfile", "tomllib"}
    unused |= {"traceback", "casereview.analysis", "statistics"}
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "casereview.cli",
        "check",
        str(EXAMPLES / "general.yaml"),
    ]
    cmd += [*ROSTER, "--no-cache", "--isolated"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300, cwd=tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    imported = {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    assert "casereview.review" in imported
    assert imported & unused == set()


def test_a_maybe_field_has_the_schemas_of_a_wrap_validator():
    """`maybe(tp)` makes the core schema (hence validation and errors) and the JSON schema that
    `WrapValidator(_unknown_or)` with the marker metadata makes, for every kind of field type."""
    import datetime as dt
    import re
    from typing import Annotated, Literal

    from pydantic import BaseModel, Field, WrapValidator, create_model

    from casereview.model import unknown
    from casereview.model.enums import ActKind

    kinds = [str, int, str | None, dt.date, unknown.Day, ActKind, list[str], Literal["a", "b"]]
    kinds.append(Annotated[int, Field(ge=1)])

    def schemas(wrap) -> tuple[str, dict]:
        fields = {f"f{i}": (wrap(kind), None) for i, kind in enumerate(kinds)}
        model = create_model("M", __base__=BaseModel, **fields)
        core = re.sub(r"(:\d+'| at 0x[0-9a-f]+)", "", repr(model.__pydantic_core_schema__))
        return core, model.model_json_schema()

    class _UnknownAllowed:  # the marker metadata as it was: the JSON schema only
        __get_pydantic_json_schema__ = unknown._UnknownAllowed.__get_pydantic_json_schema__

    _UnknownAllowed.__module__, _UnknownAllowed.__qualname__ = unknown.__name__, "_UnknownAllowed"

    def reference(kind):
        return Annotated[kind, WrapValidator(unknown._unknown_or), _UnknownAllowed()]

    assert schemas(unknown.maybe) == schemas(reference)
