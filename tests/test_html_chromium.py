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
            "--campaign",
            "2026年全省应急管理行政处罚案卷评查",
            "--isolated",
            "--no-cache",
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


# ------------------------------------------------------------------ printed to PDF, checked page by page

PDFTOPPM = shutil.which("pdftoppm")
A4_MM = (210, 297)


def print_pdf(page: Path, tmp: Path, name: str) -> Path:
    pdf = tmp / f"{name}.pdf"
    run = chromium(tmp, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file() and pdf.stat().st_size > 1000, run.stderr[-2000:]
    return pdf


def pdf_pages(pdf: Path, dpi: int = 40) -> list[tuple[int, int, int, list[bytes]]]:
    """Every page rendered to a PNG by poppler's pdftoppm: (width, height, bpp, rows)."""
    prefix = pdf.with_suffix("")
    subprocess.run([PDFTOPPM, "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=120)
    pages = []
    for png in sorted(pdf.parent.glob(prefix.name + "-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        width, bpp, rows = png_pixels(png)
        pages.append((width, len(rows), bpp, rows))
    return pages


def ink_columns(width: int, bpp: int, rows: list[bytes]) -> tuple[int, int]:
    """Leftmost and rightmost pixel columns with anything darker than paper."""
    left, right = width, -1
    for row in rows:
        for x in range(width):
            px = row[x * bpp : x * bpp + 3]
            if sum(px) < 600:
                left = min(left, x)
                right = max(right, x)
                break
        for x in range(width - 1, right, -1):
            px = row[x * bpp : x * bpp + 3]
            if sum(px) < 600:
                right = x
                break
    return left, right


def pdf_text(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        return ""
    return subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


needs_poppler = pytest.mark.skipif(
    PDFTOPPM is None, reason="poppler-utils not installed (apt-get install poppler-utils)"
)


@needs_poppler
def test_printed_summary_fits_landscape_a4_and_hides_navigation(report: Path, tmp_path: Path):
    pdf = print_pdf(report / "index.html", tmp_path, "index")
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 12, f"{len(pages)} pages for 20 files"
    for n, (width, height, bpp, rows) in enumerate(pages, start=1):
        assert width > height, f"page {n} is not landscape"
        assert abs(width / height - A4_MM[1] / A4_MM[0]) < 0.02, f"page {n} is not A4"
        left, right = ink_columns(width, bpp, rows)
        margin = width * 8 / A4_MM[1]  # no ink in the outer 8 mm: no table runs off the paper
        assert left >= margin and right <= width - margin, f"page {n}: content from x={left} to {right}"
    text = pdf_text(pdf)
    if text:
        assert "2026年全省应急管理行政处罚案卷评查" in text and "案卷排名" in text
        assert "跳转" not in text and "筛选本页" not in text  # navigation and filters are not printed


@needs_poppler
def test_printed_case_page_is_portrait_a4_with_its_findings(report: Path, tmp_path: Path):
    import json

    doc = json.loads((report / "results.json").read_text(encoding="utf-8"))
    worst = max(range(len(doc["results"])), key=lambda i: len(doc["results"][i]["findings"]))
    pdf = print_pdf(report / "cases" / f"{worst + 1}.html", tmp_path, "case")
    pages = pdf_pages(pdf, dpi=60)
    assert 1 <= len(pages) <= 8
    for n, (width, height, bpp, rows) in enumerate(pages, start=1):
        assert height > width and abs(height / width - A4_MM[1] / A4_MM[0]) < 0.02, f"page {n}"
        left, right = ink_columns(width, bpp, rows)
        margin = width * 8 / A4_MM[0]
        assert left >= margin and right <= width - margin, f"page {n}: content from x={left} to {right}"
    text = pdf_text(pdf)
    if text:
        result = doc["results"][worst]
        assert result["case_number"] in text.replace(" ", "")
        for code in {f["code"] for f in result["findings"]}:
            assert code in text
        assert "返回汇总" not in text
    if os.environ.get("CASEREVIEW_SAVE_SCREENSHOT"):
        subprocess.run(
            [
                PDFTOPPM,
                "-r",
                "80",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(ROOT / "reports" / "print-page"),
            ],
            check=True,
        )
