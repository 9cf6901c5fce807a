"""Folder discovery: what a walk reviews and skips (the CLI tests cover the common cases)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casereview import discovery
from casereview.discovery import discover, looks_like_case, top_level_keys


def test_a_symlink_into_a_skipped_folder_is_skipped_and_order_is_sorted(tmp_path):
    folder = tmp_path / "in"
    (folder / "b").mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "copy.yaml").write_text("case: {}\n", encoding="utf-8")
    for name in ("z.yaml", "a.yaml", "b/c.yaml", "b.yaml"):
        (folder / name).write_text("case: {}\n", encoding="utf-8")
    (folder / "link.yaml").symlink_to(out / "copy.yaml")  # resolves into the output folder
    (folder / "linked").symlink_to(out)  # a symlinked folder is not walked
    found = discover([folder], skip=[out])
    assert found.paths == sorted(found.paths)
    assert [p.relative_to(folder).as_posix() for p in found.paths] == [
        "a.yaml",
        "b/c.yaml",
        "b.yaml",
        "z.yaml",
    ]
    assert [(p.name, why) for p, why in found.skipped] == [("link.yaml", "证件台账或输出文件夹")]


def test_a_case_key_anywhere_makes_a_case_and_other_files_name_all_their_keys(tmp_path):
    late = tmp_path / "late.yaml"
    late.write_text("schema_note: x\nother: 1\nviolations: []\n", encoding="utf-8")
    assert looks_like_case(late) == (True, "")
    plain = tmp_path / "plain.yaml"
    plain.write_text("stages: [test]\njob:\n  script: [make]\nzeta: 1\n", encoding="utf-8")
    assert top_level_keys(plain) == {"stages", "job", "zeta"}
    assert looks_like_case(plain) == (False, "不是案卷（顶层字段：job、stages、zeta）")
    first = tmp_path / "first.yaml"
    first.write_text("case: {}\nparty: {}\n", encoding="utf-8")
    assert top_level_keys(first, stop_at_case_key=True) == {"case"}
    assert top_level_keys(first) == {"case", "party"}
    assert looks_like_case(Path(first)) == (True, "")


def test_json_files_by_their_first_key_or_by_parsing(tmp_path):
    cases = {
        "first.json": ('{"case": {"number": "1"}, "party": {}}', True),
        "broken_after.json": ('{"case": {"number": ', True),  # reviewed, then rejected with the reason
        "late.json": ('{"notes": [], "violations": []}', True),
        "ours.json": ('{"case": {}, "schema": "casereview.result"}', False),
        "ours_escaped.json": ('{"case": {}, "sch\\u0065ma": "casereview.result"}', False),
        "other.json": ('{"stages": [1], "job": {}}', False),
        "nan.json": ('{"x": NaN}', False),  # json reads it (orjson does not): keys {"x"}
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert looks_like_case(path)[0] is expected, name


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ('{"case": {"number": "1"}, "party": {}}', "utf-8"),
        ('\ufeff  {\n "violations": []}', "utf-8"),
        ('{"case": {}, "schema": "casereview.result"}', "utf-8"),
        ('{"case": {}, "sch\\u0065ma": "casereview.result"}', "utf-8"),
        ('{"case": {"note": "换行\\n"}, "party": {}}', "utf-8"),
        ('{"case": {"title": "某公司案"}, "party": {}}', "gb18030"),
        ('\u3000{"case": {}}', "utf-8"),
        (b'{"case": {}, "party": "\\u\xff\xfe', None),
        ('{"stages": [1], "case": {}}', "utf-8"),
    ],
)
def test_the_json_byte_shortcut_decides_as_the_text_path(tmp_path, monkeypatch, text, encoding):
    path = tmp_path / "file.json"
    path.write_bytes(text if encoding is None else text.encode(encoding))
    quick = (looks_like_case(path), top_level_keys(path, stop_at_case_key=True))
    monkeypatch.setattr(discovery, "_first_case_key", lambda raw: None)
    assert quick == (looks_like_case(path), top_level_keys(path, stop_at_case_key=True))


def _listed_by_rglob(target: Path) -> list[Path]:
    """What the walk listed when it was `sorted(target.rglob("*"))` filtered (the reference)."""
    depth = len(target.parts)
    return [
        path
        for path in sorted(target.rglob("*"), key=lambda p: p.parts)
        if path.suffix.lower() in (".yaml", ".yml", ".json")
        and not path.is_dir()
        and not any(part.startswith(".") for part in path.parts[depth:])
    ]


def test_the_folder_walk_lists_what_rglob_listed_in_the_same_order(tmp_path, monkeypatch):
    top = tmp_path / "in"
    names = ["a", "a.b/c.json", "a.json", "a/z.yml", "a/b/c.YAML", "B.json", "x.", "x.txt", "d.yaml/e.json"]
    names += [".hidden.json", ".git/f.json", "h/.i/g.json", "é.json", "z/y/x/w.json", "n.json.bak"]
    for name in names:
        path = top / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name != "a":
            path.write_text("case: {}\n", encoding="utf-8")
    (top / "a" / "k").mkdir()
    (top / "link.json").symlink_to(top / "a.json")
    (top / "dangling.yaml").symlink_to(top / "gone.yaml")
    (top / "folder-link.json").symlink_to(top / "a")  # a link to a folder: listed, not entered
    (top / "a" / "loop").symlink_to(top)
    os.mkfifo(top / "pipe.json")
    for target in (top, top / "a", Path(os.path.relpath(top))):
        found = discover([target], by_content=False)
        assert found.paths == _listed_by_rglob(target) and not found.skipped
        assert [str(p) for p in found.paths] == [str(p) for p in _listed_by_rglob(target)]
    monkeypatch.chdir(top)
    assert discover([Path(".")], by_content=False).paths == _listed_by_rglob(Path("."))
    assert "pipe.json" in [p.name for p in discover([top]).paths]  # not read: rejected with why
