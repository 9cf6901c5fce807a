"""A report folder is not trusted: links left in it where a review writes are never written
through (their targets untouched), and the report is written all the same."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from casereview.cli import main
from casereview.report.outfile import open_text

EXAMPLES = Path(__file__).resolve().parents[1] / "rules" / "examples"


def _review(src: Path, out: Path) -> None:
    main(
        [
            "review",
            str(src),
            "-o",
            str(out),
            "--workers",
            "0",
            "--no-cache",
            "--roster",
            str(EXAMPLES / "roster.yaml"),
        ]
    )


def test_links_planted_in_the_output_folder_are_replaced_not_written_through(tmp_path, capsys):
    src = tmp_path / "files"
    src.mkdir()
    shutil.copy(EXAMPLES / "general.yaml", src / "general.yaml")
    out = tmp_path / "report"
    _review(src, out)
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert any(p.suffix == ".html" and p.name != "index.html" for p in written)  # a case page
    names = {p.name for p in written}
    workbook = next(name for name in names if name.endswith(".xlsx"))
    assert {"index.html", "results.json"} <= names
    victims = []
    for n, page in enumerate(written):  # every file the review wrote, a link now
        victim = tmp_path / f"victim-{n}.txt"
        victim.write_text("不可改写", encoding="utf-8")
        victims.append(victim)
        page.unlink()
        if n % 2:
            os.link(victim, page)  # a hard link
        else:
            page.symlink_to(victim)
    for name in ("results.json", workbook):  # the temporary names too
        (out / f".{name}.tmp").symlink_to(victims[0])
    _review(src, out)
    capsys.readouterr()
    untouched = "不可改写"
    changed = [
        str(p.relative_to(out))
        for p, v in zip(written, victims, strict=True)
        if v.read_text(encoding="utf-8", errors="replace") != untouched
    ]
    assert changed == []
    for page in written:
        assert page.is_file() and not page.is_symlink() and page.stat().st_nlink == 1
        assert page.stat().st_size > 0


def test_a_text_file_rewritten_in_place_is_cut_to_its_new_length(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("旧的、更长的内容" * 10, encoding="utf-8")
    with open_text(path) as handle:
        handle.write("新")
    assert path.read_text(encoding="utf-8") == "新"
