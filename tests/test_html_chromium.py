"""What a person sees: render the report of casefiles/ and look at it with headless Chromium."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.cli import main  # noqa: E402

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium fonts-noto-cjk)"
)


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of raw pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    code = main(
        [
            "review",
            str(ROOT / "casefiles"),
            "-o",
            str(out),
            "--roster",
            str(ROOT / "casefiles" / "roster.yaml"),
            "--engine",
            "oracle",
            "--workers",
            "0",
            "--format",
            "html,json",
        ]
    )
    assert code in (0, 1, 2)
    return out


def test_summary_dom_has_numbers_and_headings(report: Path, tmp_path: Path):
    import json

    doc = json.loads((report / "results.json").read_text(encoding="utf-8"))
    campaign = doc["analysis"]["campaign"]
    run = chromium(tmp_path, "--dump-dom", (report / "index.html").as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    for heading in (
        "应急管理行政处罚案卷评查报告",
        "总体情况",
        "等次分布与得分分布",
        "主要问题",
        "同案异罚",
        "案卷排名",
    ):
        assert heading in dom
    assert "三项制度执行率" in dom and "合格率" in dom
    assert f'<div class="value">{campaign["files"]}</div>' in dom
    assert f'<div class="value">{campaign["reviewed"]}</div>' in dom
    for r in doc["results"]:
        if r["case_number"]:
            assert r["case_number"] in dom


def test_screenshot_is_not_blank(report: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    run = chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", (report / "index.html").as_uri()
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    width, bpp, rows = png_pixels(shot)
    assert width == 1280
    colours = set()
    dark = 0
    for row in rows[::8]:
        for x in range(0, width * bpp, bpp * 8):
            px = row[x : x + 3]
            colours.add(px)
            dark += sum(px) < 200
    assert len(colours) > 20, "screenshot looks blank"
    assert dark > 200, "almost no dark (text/header) pixels"
    if os.environ.get("CASEREVIEW_SAVE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "reports" / "screenshot.png")
