"""A wheel built from the repo carries the rule packs and templates and works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (path,) = out.glob("casereview-*.whl")
    return path


def test_wheel_carries_packs_profile_and_templates(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "casereview/_data/rules/packs/certificates.yaml" in names
    assert "casereview/_data/rules/profiles/example-profile.yaml" in names
    assert "casereview/_data/rules/examples/general.yaml" in names
    assert any(n.startswith("casereview/_data/templates/") for n in names)
    assert "casereview/cli.py" in names


def test_wheel_carries_campaign_migrations_and_web_assets(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "casereview/campaign/migrations/env.py" in names
    assert "casereview/campaign/migrations/script.py.mako" in names
    assert any(n.startswith("casereview/campaign/migrations/versions/0001") for n in names)
    assert "casereview/server/templates/file.html" in names
    assert "casereview/server/static/app.css" in names


def test_installed_package_reviews_a_case_outside_the_checkout(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    case = ROOT / "rules" / "examples" / "general.yaml"
    roster = ROOT / "rules" / "examples" / "roster.yaml"
    code = (
        "import sys; from casereview.cli import main; from casereview.packs.loader import default_rules_dir;"
        f"assert '_data' in str(default_rules_dir()), default_rules_dir();"
        f"sys.exit(main(['check', {str(case)!r}, '--roster', {str(roster)!r}]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "未发现问题" in run.stdout


def test_installed_package_runs_rules_test_with_pack_cases(wheel: Path, tmp_path: Path):
    """The wheel ships `rules/` (with rules/examples/cases/) but not casefiles/: pack example
    cases inside rules/ run, the ones pointing at ../../casefiles/ are skipped with a note."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert (site / "casereview" / "_data" / "rules" / "examples" / "cases" / "bm-review-tier.yaml").is_file()
    code = (
        "import sys; from casereview.cli import main; sys.exit(main(['rules', 'test', '--engine', 'oracle']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "示例案卷 4 个，跳过 3 个" in run.stdout
    assert "跳过 案卷 [certificates]" in run.stdout and "失败 0" in run.stdout
