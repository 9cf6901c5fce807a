"""Every `verification: official` quote in the law data is compared with the statute text it names.

The statute texts are Markdown files named `法名(公布日期).md` (or `法名_…md`) in a statutes folder
found relative to the rules folder (`<rules>/../docs/statutes`, the repository's copy), or given
explicitly (`rules lint --statutes DIR`, env `CASEREVIEW_STATUTES`). Never an absolute path in code.
When no folder is found (an installed wheel) the check is skipped and says so.

A quote may elide with `……`/`…`: each piece must appear, in order-free fashion, in the article it
cites (the whole text when no article is cited). Punctuation and spacing differences (：/:, （/(,
全角/半角 spaces, line breaks between paragraphs) are ignored; words are not.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .tables.statute import StatuteTable

_CN = "零一二三四五六七八九十百千"
_DIGITS = "零一二三四五六七八九"
_ELISION = re.compile(r"…+|\.{3,}")
_PUNCT = re.compile(r"[\s，。；：:、,.;（）()“”\"'《》「」！？!?　]")


def flat(text: str) -> str:
    return _PUNCT.sub("", text)


def int_to_cn(n: int) -> str:
    """97 → 九十七, 110 → 一百一十, 10 → 十, 134 → 一百三十四."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _DIGITS[rest]
    return head + _DIGITS[rest // 10] + "十" + (_DIGITS[rest % 10] if rest % 10 else "")


def find_statutes(rules_root: Path | None, explicit: Path | None = None) -> Path | None:
    """The statutes folder: explicit, env CASEREVIEW_STATUTES, or `<rules>/../docs/statutes`."""
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(explicit)
    if os.environ.get("CASEREVIEW_STATUTES"):
        candidates.append(Path(os.environ["CASEREVIEW_STATUTES"]))
    if rules_root is not None:
        candidates.append(rules_root.resolve().parent / "docs" / "statutes")
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.md")):
            return folder
    return None


def _year(version: str | None) -> str | None:
    m = re.search(r"(19|20)\d\d", version or "")
    return m.group(0) if m else None


def statute_file(statutes: Path, instrument: str, version: str | None = None) -> Path | None:
    """The text of `instrument` in `version` (a year in the version must match the file's date)."""
    name = instrument.removeprefix("中华人民共和国")
    files = [p for p in sorted(statutes.glob("*.md")) if p.stem.startswith(name)]
    year = _year(version)
    if year:
        dated = [p for p in files if re.search(rf"\({year}-", p.stem)]
        undated = [p for p in files if not re.search(r"\(\d{4}-", p.stem)]
        files = dated or (undated if len(undated) == 1 else [])
    return files[0] if len(files) == 1 else None


def article_text(text: str, article: int, sub: int | None = None) -> str | None:
    """第N条 (or 第N条之M) up to the next article or heading."""
    head = f"第{int_to_cn(article)}条" + (f"之{int_to_cn(sub)}" if sub else "")
    m = re.search(
        rf"^{head}[ 　].*?(?=^第[{_CN}]+条(?:之[{_CN}]+)?[ 　]|^#|\Z)",
        text,
        re.M | re.S,
    )
    return m.group(0) if m else None


def missing_pieces(source: str, quote: str) -> list[str]:
    """The pieces of `quote` (split at elisions) that `source` does not contain."""
    haystack = flat(source)
    pieces = [p for p in _ELISION.split(quote) if flat(p)]
    return [p.strip() for p in pieces if flat(p) not in haystack]


@dataclass
class QuoteProblem:
    file: str
    line: int
    message: str
    notice: bool = False  # could not be checked (no text for that instrument/version)


def _check(
    statutes: Path,
    file: str,
    line: int,
    where: str,
    instrument: str,
    version: str | None,
    article: int | None,
    sub: int | None,
    quote: str,
    cache: dict[Path, str],
) -> list[QuoteProblem]:
    path = statute_file(statutes, instrument, version)
    label = f"《{instrument}》" + (f"（{version}）" if version else "")
    if path is None:
        msg = f"{where}：{label}的 official 引文未核对——法规原文文件夹中没有该法规（该版本）的文本"
        return [QuoteProblem(file, line, msg, notice=True)]
    text = cache.setdefault(path, path.read_text(encoding="utf-8"))
    source = text
    cite = label
    if article:
        source = article_text(text, article, sub) or ""
        cite += f"第{article}条" + (f"之{int_to_cn(sub)}" if sub else "")
        if not source:
            return [QuoteProblem(file, line, f"{where}：{path.name} 中找不到{cite}")]
    missing = missing_pieces(source, quote)
    if not missing:
        return []
    shown = "；".join(f"「{m[:40]}{'…' if len(m) > 40 else ''}」" for m in missing)
    return [QuoteProblem(file, line, f"{where}：引文与{cite}原文（{path.name}）不符：{shown}")]


def quote_problems(book: Any, statutes: Path) -> list[QuoteProblem]:
    """Check every official quote in the book's packs (rules, parameters) and statute tables."""
    from .loader import read_pack

    cache: dict[Path, str] = {}
    out: list[QuoteProblem] = []
    for code, definition in sorted(book.rules.items()):
        for basis in definition.rule.basis:
            if basis.verification == "official" and basis.quote:
                sub = getattr(basis, "sub_article", None)
                out += _check(
                    statutes, definition.file, definition.line, f"{code} 依据", basis.instrument,
                    basis.version, basis.article, sub, basis.quote, cache,
                )  # fmt: skip
    seen: set[tuple[str, str]] = set()
    for _code, definition in sorted(book.rules.items()):
        if (definition.file, definition.pack_id) in seen:
            continue
        seen.add((definition.file, definition.pack_id))
        pack, index = read_pack(Path(definition.file))
        for name, param in pack.parameters.items():
            line = index.get(("parameters", name), 1)
            for value in param.values:
                for basis in value.basis:
                    if basis.verification == "official" and basis.quote:
                        out += _check(
                            statutes, definition.file, line, f"参数 {name}（{value.since}起）",
                            basis.instrument, basis.version, basis.article,
                            getattr(basis, "sub_article", None), basis.quote, cache,
                        )  # fmt: skip
    for table in book.tables.of("statute"):
        out += statute_table_quotes(table, statutes, cache)
    return out


def statute_table_quotes(
    table: StatuteTable, statutes: Path, cache: dict[Path, str] | None = None
) -> list[QuoteProblem]:
    if table.verification != "official":
        return []
    cache = {} if cache is None else cache
    out: list[QuoteProblem] = []
    path = statutes / table.text_file if table.text_file else None
    for clause in table.clauses:
        where = clause.cite(table.law)
        if path is not None and path.is_file():
            text = cache.setdefault(path, path.read_text(encoding="utf-8"))
            source = article_text(text, clause.article) or ""
            missing = missing_pieces(source, clause.quote) if source else [clause.quote]
            if missing:
                shown = "；".join(f"「{m[:40]}」" for m in missing)
                out.append(
                    QuoteProblem(table.path, clause.line, f"{where}：引文与原文（{path.name}）不符：{shown}")
                )
        else:
            out += _check(
                statutes, table.path, clause.line, where, table.law, table.version, clause.article, None,
                clause.quote, cache,
            )  # fmt: skip
    return out
