"""The compiled-code cache of a `casereview` process (codecache.py): classes, named tuples and
annotations made from cached code behave exactly as compiled ones, and the cache is only used
when it is ours (signed under the user's key)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "rules" / "examples"

# what a process makes through the three shadowed builtins, and what it then does with it
SCRIPT = r"""
import json, sys
from casereview import codecache
installed = codecache.install()
import collections, dataclasses, re, typing
import casereview.model  # pydantic and the case models: what a process compiles at start-up

@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: "tuple[str, ...]" = dataclasses.field(default_factory=tuple)
    z: float = 1.5

Pair = collections.namedtuple("Pair", "left right")
hints = typing.get_type_hints(Point)
a, b = Point(1), Point(1, ("k",), 2.0)
try:
    a.x = 2
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
day = re.compile(r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", re.I | re.X)
found = day.search("x 2024-03 y")
words = re.findall(rb"[\x80-\xff]+|\w+", "a 未载明 b".encode())
namespace = {"seven": 7}
exec("result = seven * 6", namespace)
print(json.dumps({
    "installed": installed,
    "repr": [repr(a), repr(b), repr(Pair(1, 2))],
    "eq": [a == Point(1), a == b, hash(a) == hash(Point(1)), Pair(1, 2) == (1, 2)],
    "frozen": frozen,
    "hints": repr(hints),
    "exec": namespace["result"],
    "eval": eval("seven + 1", namespace),
    "re": [found.groupdict(), found.span(), day.groups, day.flags, repr(day), [w.hex() for w in words]],
    "fresh": len(codecache._fresh),
    "kinds": sorted({key[0] for key in codecache._fresh}),
}))
"""


ENTRIES = r"""
import marshal, re._compiler
from casereview import codecache
raw = codecache.cache_file().read_bytes()
entries = marshal.loads(raw[codecache.SIGNATURE_BYTES:])
for key, value in entries.items():
    if key[0] == "re":
        assert re._compiler._sre.compile(key[1], *value) == re._compiler.compile(key[1], key[2]), key
    else:
        assert value == compile(key[1], "<string>", key[0], dont_inherit=True), key
print(sum(key[0] == "re" for key in entries), len(entries))
"""


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "CASEREVIEW_NO_CACHE"}
    return {
        **environ,
        "PYTHONPATH": str(ROOT / "engine"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "CASEREVIEW_KEY_FILE": str(tmp_path / "config" / "cache.key"),
    }


def _python(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run(env: dict[str, str]) -> dict:
    return json.loads(_python(SCRIPT, env))


def _file(env: dict[str, str]) -> Path:
    return Path(env["XDG_CACHE_HOME"]) / "casereview" / f"code-{sys.implementation.cache_tag}.bin"


def _without_fresh(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("fresh", "kinds")}


def test_classes_made_from_cached_code_behave_as_compiled_ones(env):
    first = _run(env)
    assert first["installed"] and first["kinds"] == ["eval", "exec", "re"]
    assert _file(env).is_file()
    second = _run(env)
    assert second["fresh"] == 0  # everything came from the cache
    assert _without_fresh(second) == _without_fresh(first)
    reference = _run({**env, "CASEREVIEW_NO_CACHE": "1"})  # the builtins themselves
    assert not reference["installed"]
    assert _without_fresh(second) == {**_without_fresh(reference), "installed": True}
    assert second["frozen"] and second["eq"] == [True, False, True, True]


def test_every_cached_entry_is_what_python_compiles(env):
    """Each code object equals the builtin's compile of its text, each pattern made from a cached
    program equals the one `re` compiles (same pattern, flags and program)."""
    _run(env)
    patterns, entries = map(int, _python(ENTRIES, env).split())
    assert patterns >= 2 and entries > patterns + 3


def test_a_cache_not_signed_with_the_users_key_is_never_unmarshalled(env, tmp_path):
    """Planted code (every entry: exit with 99) is ignored: the file is signed, but under another
    user's key, so nothing in it is unmarshalled; the code is compiled afresh and rewritten."""
    _run(env)
    other = {**env, "CASEREVIEW_KEY_FILE": str(tmp_path / "other.key"), "XDG_CACHE_HOME": str(tmp_path / "o")}
    planted = r"""
import marshal
from casereview import cachesafe, codecache
codes = {key: compile("raise SystemExit(99)" if key[0] == "exec" else "exit(99)", "<string>", key[0])
         for key in codecache._load()}
payload = marshal.dumps(codes)
codecache.cache_file().parent.mkdir(parents=True)
signature = cachesafe.sign(cachesafe.secret_key(), codecache._LABEL, payload)
codecache.cache_file().write_bytes(signature + payload)
"""
    _python(planted, other)
    _file(env).write_bytes(_file(other).read_bytes())
    result = _run(env)
    assert result["fresh"] > 0 and result["repr"][0] == "Point(x=1, y=(), z=1.5)"
    assert _run(env)["fresh"] == 0  # rewritten, signed with this user's key


def test_a_damaged_cache_is_compiled_afresh(env):
    _run(env)
    data = bytearray(_file(env).read_bytes())
    data[-10] ^= 0xFF
    _file(env).write_bytes(bytes(data))
    result = _run(env)
    assert result["fresh"] > 0 and result["repr"][0] == "Point(x=1, y=(), z=1.5)"


def test_a_check_process_fills_the_cache_once_and_says_the_same_from_it(env):
    cmd = [sys.executable, "-m", "casereview.cli", "check", str(EXAMPLES / "general.yaml")]
    cmd += ["--roster", str(EXAMPLES / "roster.yaml"), "--no-cache", "--isolated"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    written = _file(env).stat().st_mtime_ns
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert (second.returncode, second.stdout) == (first.returncode, first.stdout)
    assert "未发现问题" in second.stdout
    assert _file(env).stat().st_mtime_ns == written  # nothing new to write: all of it was cached
    patterns, entries = map(int, _python(ENTRIES, env).split())
    assert patterns > 50 and entries > 500


def test_a_pattern_whose_cached_program_does_not_fit_is_compiled_by_re(env):
    """Whatever the cache holds for a pattern (here: a program of another shape, signed), `re`
    still gives the right pattern: the regular-expression path falls back to `re` itself."""
    _run(env)
    planted = r"""
import marshal
from casereview import cachesafe, codecache
entries = codecache._load()
entries[("re", r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(\d\d))?", 66)] = (1, [2, 3], 0)
payload = marshal.dumps(entries)
signature = cachesafe.sign(cachesafe.secret_key(), codecache._LABEL, payload)
codecache.cache_file().write_bytes(signature + payload)
"""
    _python(planted, env)
    reference = _run({**env, "CASEREVIEW_NO_CACHE": "1"})
    assert _run(env)["re"] == reference["re"]


def test_the_cache_is_not_used_where_a_module_compiles_with_future_flags(env):
    script = r"""
import __future__, dataclasses
dataclasses.annotations = __future__.annotations  # as if dataclasses.py had the future import
from casereview import codecache
print(codecache.install(), "exec" in vars(dataclasses))
"""
    assert _python(script, env).split() == ["False", "False"]


def test_a_second_identical_review_does_not_rewrite_the_cache(env, tmp_path):
    """A `review` with workers and all report formats fills the cache once; patterns built anew
    in every process (openpyxl makes one from a set) do not make each run rewrite it."""
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("general.yaml", "general-hearing.yaml", "simple.yaml"):
        (folder / name).write_bytes((EXAMPLES / name).read_bytes())
    cmd = [
        sys.executable,
        "-m",
        "casereview.cli",
        "review",
        str(folder),
        "--roster",
        str(EXAMPLES / "roster.yaml"),
    ]
    cmd += ["--no-cache", "--isolated", "-q", "--workers", "2"]
    first = subprocess.run(
        [*cmd, "-o", str(tmp_path / "out1")], capture_output=True, text=True, env=env, timeout=300
    )
    assert first.returncode in (0, 1), first.stderr
    written = _file(env).stat().st_mtime_ns
    second = subprocess.run(
        [*cmd, "-o", str(tmp_path / "out2")], capture_output=True, text=True, env=env, timeout=300
    )
    assert second.returncode == first.returncode, second.stderr
    assert _file(env).stat().st_mtime_ns == written
