"""Shared fixtures: the shipped rule book, profile, example roster and both engines."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CASEREVIEW_NO_CACHE", "1")  # tests must not reuse results across runs
if str(ROOT / "engine") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT / "engine"))

from casereview.evaluate.durable_engine import DurableEngine  # noqa: E402
from casereview.evaluate.oracle import OracleEngine  # noqa: E402
from casereview.load import load_roster  # noqa: E402
from casereview.packs.loader import RuleBook, load_rulebook  # noqa: E402
from casereview.score.profile import Profile, load_profile  # noqa: E402


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return load_rulebook()


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile()


@pytest.fixture(scope="session")
def example_roster():
    return load_roster(ROOT / "rules" / "examples" / "roster.yaml")


@pytest.fixture(scope="session")
def oracle(book: RuleBook) -> OracleEngine:
    return OracleEngine(book.compiled)


@pytest.fixture(scope="session")
def durable(book: RuleBook) -> DurableEngine:
    return DurableEngine(book.compiled)


@pytest.fixture(scope="session")
def generated_texts(tmp_path_factory):
    """`generated_texts(n, json_share)`: the texts of n files from the benchmark's corpus generator."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from corpus import write_corpus
    finally:
        sys.path.remove(str(ROOT / "bench"))

    def generate(n: int, json_share: float) -> list[str]:
        paths = write_corpus(tmp_path_factory.mktemp("corpus"), n, seed=20240530, json_share=json_share)
        return [path.read_text(encoding="utf-8") for path in paths]

    return generate


ONE_OFFICER = (
    '{name: 李华, cert: "36011120200002"}], recorded: video, documents: [询问笔录]',
    "{name: 陈工, role: technical_inspector}], recorded: video, documents: [询问笔录]",
)


def write_veto_case(target: Path) -> Path:
    """The clean example with a one-officer interview (CERT-001, veto), written to `target`."""
    text = (ROOT / "rules" / "examples" / "general.yaml").read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(*ONE_OFFICER), encoding="utf-8")
    return target


@pytest.fixture
def edited_rules(tmp_path: Path) -> Callable[[str, str, str, str], Path]:
    """`edited_rules(pack, after, old, new)`: a copy of rules/ in which the first `old` following
    the text `after` in packs/<pack>.yaml reads `new`; returns the copy's root (a planted change)."""

    def edit(pack: str, after: str, old: str, new: str) -> Path:
        root = tmp_path / "rules"
        if not root.exists():
            shutil.copytree(ROOT / "rules", root)
        path = root / "packs" / f"{pack}.yaml"
        text = path.read_text(encoding="utf-8")
        at = text.index(old, text.index(after))
        path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
        return root

    return edit


@pytest.fixture
def veto_case(tmp_path: Path) -> Path:
    """The clean example with a one-officer interview: CERT-001 (veto)."""
    return write_veto_case(tmp_path / "cases" / "veto.yaml")


def sample_folder(src: Path, names: tuple[str, ...]) -> Path:
    """Sample files in `src`, plus one sample under a name holding a mobile number and one broken
    file (what masking and rejection must handle)."""
    src.mkdir(parents=True)
    for name in names:
        shutil.copy(ROOT / "casefiles" / name, src / name)
    shutil.copy(ROOT / "casefiles" / "14-wujiang-buyu-chufa.yaml", src / "联系13812345678.yaml")
    (src / "broken.yaml").write_text("case: [unclosed\n", encoding="utf-8")
    return src


@pytest.fixture(scope="session")
def make_sample_folder() -> Callable[[Path, tuple[str, ...]], Path]:
    return sample_folder


@pytest.fixture
def threads_of_this_test(monkeypatch):
    """`formats.finish_all` forks only when no other thread runs. Threads that earlier tests left
    behind (pool managers, servers) must not decide a test of that choice: only the main thread
    and the threads started during this test are counted."""
    import threading

    before = set(threading.enumerate()) - {threading.main_thread()}
    monkeypatch.setattr(
        threading, "active_count", lambda: sum(t not in before for t in threading.enumerate() if t.is_alive())
    )
