"""Command-line plumbing: Chinese argparse, terminal colour, the progress bar, shell completion."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
import time
import types
from collections.abc import Iterator
from typing import Any, NoReturn, TextIO

from .exitcodes import EXIT_USAGE

# `--calendar` of check, review and the campaign's reviewing commands
CALENDAR_HELP = (
    "日历目录：每年一个 YYYY.yaml（holidays: 休息的工作日；workdays: 调休上班的周末），"
    "补充或更正节假日数据包没有的年份；缺少某年数据时，取决于该年放假安排的工作日期限列为待人工评查"
)

# argparse's own messages (Python 3.11), in Chinese
_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项值 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "expected one argument": "需要一个参数值",
    "expected at most one argument": "最多需要一个参数值",
    "expected at least one argument": "至少需要一个参数值",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "one of the arguments %s is required": "须提供以下参数之一：%s",
    "ignored explicit argument %r": "忽略了显式参数 %r",
    "expected %s argument": "需要 %s 个参数值",
    "subcommands": "子命令",
    'argument "-" with mode %r': '参数 "-" 的模式 %r',
    "can't open '%(filename)s': %(error)s": "无法打开 '%(filename)s'：%(error)s",
}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Start-up creates ~10^5 long-lived objects (modules, pydantic validators, enums, the
    rule book) and hardly any garbage: the cyclic collector would walk them again and again.
    It is paused meanwhile, and what was created is then moved out of its way (`gc.freeze`),
    else the next collections walk it all at once (~40 ms of a one-file check). Frozen objects
    are also left untouched in forked workers (no copy-on-write of their pages)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


REVIEW_GC_YOUNG = 20_000  # objects allocated (net) between young collections while results arrive


@contextlib.contextmanager
def few_young_collections() -> Iterator[None]:
    """While a batch's results arrive (`review`, `campaign create`): what the parent frees is
    acyclic (each file's prepared tuple or row; reference counting frees it) and what it keeps
    (ranking rows, peer-group entries) is never garbage: at 10,000 files a review's parent ran
    ~170 young and ~15 middle collections that found nothing (0.04-0.07 s of CPU), a campaign
    create's ~260 and ~23 (0.06-0.08 s), taken from the workers' cores. As in the workers
    (evaluate/runner.py), young collections wait for 20,000 new objects (~4 at 10,000 files);
    a cycle is still collected, later."""
    threshold = gc.get_threshold()
    gc.set_threshold(REVIEW_GC_YOUNG, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


# ---------------------------------------------------------------- pydantic's plugin lookup

_PLUGIN_LOADER = "pydantic.plugin._loader"


class _NoPluginsLoader(types.ModuleType):
    """Stands in for pydantic's plugin loader when no installed distribution declares a pydantic
    plugin: `get_plugins` returns none, as the real loader would after its lookup. Any other
    name loads the real loader (a pydantic version that asks it for more)."""

    @staticmethod
    def get_plugins() -> tuple[()]:
        return ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # e.g. `__path__`, asked by every import from the module
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def skip_plugin_lookup() -> bool:
    """pydantic looks for plugins (entry points of the group "pydantic") when it builds its first
    model, through `importlib.metadata`: importing it (with `email`, `zipfile`, `csv`, `socket`)
    and reading every installed distribution's metadata is ~15 ms of a one-file check. When
    plugins are disabled (`PYDANTIC_DISABLE_PLUGINS`) or no distribution on the path declares
    one (read here directly, ~1 ms), its loader is replaced by one that finds none, which is
    what pydantic would find. True if replaced."""
    if _PLUGIN_LOADER in sys.modules:
        return False
    disabled = os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true")
    if not disabled and _may_declare_plugins():
        return False
    sys.modules[_PLUGIN_LOADER] = _NoPluginsLoader(_PLUGIN_LOADER)
    return True


def _may_declare_plugins() -> bool:
    """Whether an installed distribution may declare a pydantic plugin, looked for where
    `importlib.metadata` looks (the `*.dist-info`/`*.egg-info` folders of the path's folders);
    anything read differently (a zip or egg on the path, another distribution finder) counts
    as a yes."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") for finder in sys.meta_path if finder is not PathFinder):
        return True
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as children:
                names = [child.name for child in children]
        except NotADirectoryError:
            return True  # a zip file
        except OSError:
            continue  # a missing folder holds no distribution
        if entry.lower().endswith(".egg"):
            return True
        for name in names:
            if name.lower().endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry, name, "entry_points.txt"), "rb") as handle:
                        if b"pydantic" in handle.read():
                            return True
                except FileNotFoundError:
                    continue
                except OSError:
                    return True
    return False


def _zh(message: str) -> str:
    return _ZH.get(message, message)


def _nzh(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


def install_chinese_argparse() -> None:
    """argparse looks its messages up through the module-level `_`/`ngettext` at call time."""
    argparse._ = _zh  # type: ignore[attr-defined]
    argparse.ngettext = _nzh  # type: ignore[attr-defined]


class ChineseArgumentParser(argparse.ArgumentParser):
    """Usage errors in Chinese, exit code EXIT_USAGE (distinct from rejected inputs and findings)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, _zh("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})

    def _get_formatter(self) -> argparse.HelpFormatter:
        """argparse's, given the width it would compute: argparse imports `shutil` for it (with
        bz2, lzma …, ~3 ms) each time `add_argument` makes a formatter, for every command."""
        return self.formatter_class(prog=self.prog, width=terminal_columns() - 2)


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def usage_error(message: str) -> int:
    print(f"casereview：错误：{message}", file=sys.stderr)
    return EXIT_USAGE


# ---------------------------------------------------------------- colour


def colour_wanted(choice: str, stream: TextIO) -> bool:
    """`--color auto` (default): only on a terminal, and never when NO_COLOR is set."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------- progress


class Progress:
    """`评查中 [####----] 120/2000 35.2 件/秒 剩余 0:53 name` on stderr, only on a terminal."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.total = total
        try:
            tty = self.stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        self.enabled = tty if enabled is None else enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.done = 0

    def line(self, done: int, name: str, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        width = 24
        filled = width * done // self.total if self.total else width
        eta = "—"
        if rate > 0 and self.total >= done:
            eta = _clock((self.total - done) / rate)
        label = name if len(name) <= 30 else "…" + name[-29:]
        return (
            f"评查中 [{'#' * filled}{'-' * (width - filled)}] {done}/{self.total} "
            f"{rate:.1f} 件/秒 剩余 {eta} {label}"
        )

    def update(self, name: str) -> None:
        self.done += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and self.done < self.total:
            return
        self.last = now
        self.stream.write("\r\x1b[K" + self.line(self.done, name, now))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# ---------------------------------------------------------------- shell completion


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...], out: dict[tuple[str, ...], dict[str, Any]]
) -> None:
    words: list[str] = []
    subs: list[str] = []
    choices: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                subs.append(name)
                _walk(child, (*path, name), out)
        elif action.option_strings:
            words += action.option_strings
            if action.choices:
                for o in action.option_strings:
                    choices[o] = [str(c) for c in action.choices]
    out[path] = {"options": words, "subcommands": subs, "choices": choices}


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A bash or zsh completion script generated from the parser itself (always in step with it)."""
    tree: dict[tuple[str, ...], dict[str, Any]] = {}
    _walk(parser, (), tree)
    cases = []
    for path, node in sorted(tree.items()):
        key = " ".join(path)
        words = " ".join([*node["subcommands"], *node["options"]])
        opt_cases = "".join(
            f'        "{key}|{opt}") COMPREPLY=($(compgen -W "{" ".join(vals)}" -- "$cur")); return;;\n'
            for opt, vals in node["choices"].items()
        )
        cases.append((key, words, opt_cases))
    body = "".join(opt for _, _, opt in cases)
    words = "".join(f'        "{key}") words="{w}";;\n' for key, w, _ in cases)
    subs = " ".join(sorted({p[-1] for p in tree if p}))
    script = f"""# casereview {shell} completion — generated by `casereview completion {shell}`
_casereview() {{
    local cur prev path w i words
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    path=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case " {subs} " in
            *" $w "*) path="${{path:+$path }}$w";;
        esac
    done
    case "$path|$prev" in
{body}    esac
    words=""
    case "$path" in
{words}    esac
    if [[ "$cur" == -* || -n "$words" && "$cur" != */* ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
    if [[ ${{#COMPREPLY[@]}} -eq 0 ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
"""
    if shell == "zsh":
        return (
            "autoload -U +X bashcompinit && bashcompinit\n"
            + script
            + "complete -o filenames -F _casereview casereview\n"
        )
    return script + "complete -o filenames -F _casereview casereview\n"
