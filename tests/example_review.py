"""Review the rule examples' base case with one change, through the CLI, on one engine.

Shared by the tests that change one fact of `rules/examples/general.yaml` and read what a reviewer
would see in the JSON result."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import yaml

from casereview.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"
ENGINES = ["durable", "oracle"]


def review_example(tmp_path: Path, engine: str, change: Callable[[dict], None]) -> dict:
    """The JSON result of the base case after `change`, checked with the example roster."""
    case = yaml.safe_load((EXAMPLES / "general.yaml").read_text(encoding="utf-8"))
    for act in case["acts"]:  # YAML 1.1 reads the key `on` as true
        act["on"] = act.pop(True)
    change(case)
    path = tmp_path / f"case-{engine}.json"
    path.write_text(json.dumps(case, ensure_ascii=False, default=str), encoding="utf-8")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        roster = str(EXAMPLES / "roster.yaml")
        main(["check", str(path), "--roster", roster, "--format", "json", "--no-cache", "--engine", engine])
    return json.loads(buffer.getvalue())["results"][0]


def findings_of(result: dict, code: str) -> list[dict]:
    return [f for f in result["findings"] if f["code"] == code]
