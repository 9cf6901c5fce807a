"""Attack tests (issue 13): a hostile user and a faulty machine. Each test names the numbered
failure it guards. Every test gets its own cache key file and cache folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casereview import cachesafe

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "rules" / "examples" / "general.yaml"


@pytest.fixture(autouse=True)
def isolated_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEREVIEW_KEY_FILE", str(tmp_path / "config" / "cache.key"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("CASEREVIEW_NO_CACHE", raising=False)
    cachesafe._keys.clear()
    yield
    cachesafe._keys.clear()


def copy_case(target: Path, text_edit=None) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if text_edit is None:
        shutil.copy(EXAMPLE, target)
    else:
        target.write_text(text_edit(EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    return target
