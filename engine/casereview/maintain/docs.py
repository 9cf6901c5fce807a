"""`casereview rules docs -o DIR`: one browsable HTML page per rule, plus an index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from ..packs.schema import SEVERITY_LABELS, VERIFICATION_LABELS
from .explain import simplify, words

DIGITS = "零一二三四五六七八九"
REVIEW_EXPANDER = "benchmark_review_tier"  # rules that list review tiers (BM-009)


def int_to_cn(n: int) -> str:
    """97 → 九十七, 110 → 一百一十, 10 → 十 (article numbers)."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + DIGITS[rest]
    return head + DIGITS[rest // 10] + "十" + (DIGITS[rest % 10] if rest % 10 else "")


def article_text(
    statutes: Path, instrument: str, article: int, version: str | None = None, sub: int | None = None
) -> tuple[str, str] | None:
    """(file name, text of 第X条 / 第X条之N) of `instrument` (in `version` when it names a year)
    from a folder of statute markdown files named `法名(日期).md`."""
    from ..packs.quotes import article_text as find_article
    from ..packs.quotes import statute_file

    path = statute_file(statutes, instrument, version)
    if path is None:
        return None
    found = find_article(path.read_text(encoding="utf-8"), article, sub)
    return (path.name, found.strip()) if found else None


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ r.code }} {{ r.title }}
</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}blockquote{background:#f6f6f6;
padding:.5em 1em;white-space:pre-wrap}code{background:#eee}</style></head><body>
<p><a href="index.html">← 规则目录</a></p>
<h1>{{ r.code }} {{ r.title }}</h1>
<p>严重程度：{{ r.severity }}　类别：{{ r.category }}　评分项：{{ r.item or '（未列入评分项，按默认扣分）' }}
　适用对象：{{ r.applies_to }}</p>
<p>规则包：{{ r.pack }}（{{ r.file }}:{{ r.line }}）{% if r.n_variants > 1 %}
　由表格生成 {{ r.n_variants }} 个变体{% endif %}</p>
<h2>法律依据</h2>
{% for b in r.basis %}<h3>{{ b.cite }}（{{ b.verification }}）</h3>
{% if b.quote %}<p>规则包引文：</p><blockquote>{{ b.quote }}</blockquote>{% endif %}
{% if b.statute %}<p>法规原文（{{ b.statute_file }}）：</p><blockquote>{{ b.statute }}</blockquote>
{% endif %}
{% if b.note %}<p>注：{{ b.note }}</p>{% endif %}{% endfor %}
{% if r.explain %}<h2>说明</h2><p>{{ r.explain }}</p>{% endif %}
<h2>条件</h2>{% for c in r.conditions %}<p>{% if c.rule_id %}<code>{{ c.rule_id }}</code>：{% endif %}
<code>{{ c.text }}</code></p>{% endfor %}
<h2>提示模板</h2><p>{{ r.message }}</p>
{% if r.review_tiers %}<h2>待人工评查的阶次</h2>
{% for t in r.review_tiers %}<p>{{ t.table }} {{ t.item }} 第{{ t.tier }}阶次：
适用条件「{{ t.condition }}」</p>
{% endfor %}{% endif %}
<h2>示例</h2>
{% for e in r.examples %}<p>{{ e.kind }} {{ e.index }}：基础案卷 {{ e.base }}{% if e.note %}，{{ e.note }}
{% endif %}</p>
{% if e.edits %}<pre>{{ e.edits }}</pre>{% endif %}{% endfor %}
</body></html>
"""

INDEX = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>评查规则目录</title>
<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;
text-align:left}</style></head><body>
<h1>评查规则目录</h1><p>规则版本 {{ version }}，共 {{ rules|length }} 条</p>
<table><tr><th>代码</th><th>标题</th><th>严重程度</th><th>评分项</th><th>规则包</th></tr>
{% for r in rules %}<tr><td><a href="{{ r.code }}.html">{{ r.code }}</a></td><td>{{ r.title }}</td>
<td>{{ r.severity }}</td><td>{{ r.item or '' }}</td><td>{{ r.pack }}</td></tr>{% endfor %}
</table>
{% if review_tiers %}<h2 id="review-tiers">待人工评查的裁量阶次（适用条件尚未写成可检查的条件）</h2>
<p>适用这些阶次（或事实不属于该事项任何可核对阶次）的案件列为待人工评查
{%- if review_rules %}（{% for c in review_rules %}<a href="{{ c }}.html">{{ c }}</a>
{%- endfor %}）{% endif %}。</p>
<table><tr><th>基准表</th><th>事项</th><th>阶次</th><th>适用条件原文</th><th>阶次原文</th></tr>
{% for t in review_tiers %}<tr><td>{{ t.table }}</td><td>{{ t.item }} {{ t.title }}</td>
<td>第{{ t.tier }}阶次</td><td>{{ t.condition }}</td><td>{{ t.text }}</td></tr>{% endfor %}</table>{% endif %}
</body></html>
"""


def rule_pages(book: Any, profile: Any, statutes: Path | None = None) -> list[dict[str, Any]]:
    import yaml

    out = []
    pending = pending_tiers(book)
    for code, d in sorted(book.rules.items()):
        rule = d.rule
        item = profile.item_for(code) if profile else None
        basis = []
        for b in rule.basis:
            entry = {
                "cite": b.cite(),
                "verification": VERIFICATION_LABELS[b.verification],
                "quote": b.quote,
                "note": b.note,
            }
            if statutes and b.article:
                found = article_text(statutes, b.instrument, b.article, b.version, b.sub_article)
                if found:
                    entry["statute_file"], entry["statute"] = found
            basis.append(entry)
        conds = [
            {
                "rule_id": v.rule_id if len(d.variants) > 1 else "",
                "text": words(simplify(v.when), rule.applies_to),
            }
            for v in d.variants
        ]
        examples = []
        for kind, exs in (("不合格示例", rule.examples.fail), ("合格示例", rule.examples.passing)):
            for i, e in enumerate(exs):
                edits = {k: v for k, v in (("set", e.set), ("remove", e.remove), ("append", e.append)) if v}
                examples.append(
                    {
                        "kind": kind,
                        "index": i,
                        "base": e.base,
                        "note": e.note,
                        "edits": yaml.safe_dump(edits, allow_unicode=True, sort_keys=False) if edits else "",
                    }
                )
        out.append(
            {
                "code": code,
                "title": rule.title,
                "severity": SEVERITY_LABELS[rule.severity],
                "category": rule.category,
                "item": f"{item.id} {item.title}（每处扣 {item.deduct} 分）" if item else None,
                "applies_to": rule.applies_to,
                "pack": d.pack_id,
                "file": d.file,
                "line": d.line,
                "n_variants": len(d.variants),
                "basis": basis,
                "explain": (rule.explain or "").strip(),
                "conditions": conds,
                "message": rule.message,
                "examples": examples,
                "review_tiers": pending if rule.expand == REVIEW_EXPANDER else [],
            }
        )
    return out


def pending_tiers(book: Any) -> list[dict[str, Any]]:
    """Benchmark tiers whose condition is still Chinese text (review tiers), for the index page."""
    from ..packs.tables.benchmark_review import review_tiers

    return [
        {
            "table": table.id,
            "item": item.id,
            "title": item.title,
            "tier": tier.tier,
            "condition": tier.condition_text,
            "text": tier.text,
        }
        for table, item, tier in review_tiers(book.tables)
    ]


def write_docs(book: Any, profile: Any, out: Path, statutes: Path | None = None) -> list[Path]:
    env = SandboxedEnvironment(autoescape=True)
    out.mkdir(parents=True, exist_ok=True)
    pages = rule_pages(book, profile, statutes)
    written = []
    page = env.from_string(PAGE)
    for r in pages:
        path = out / f"{r['code']}.html"
        path.write_text(page.render(r=r), encoding="utf-8")
        written.append(path)
    index = out / "index.html"
    html = env.from_string(INDEX).render(
        rules=pages,
        version=book.version,
        review_tiers=pending_tiers(book),
        review_rules=sorted(c for c, d in book.rules.items() if d.rule.expand == REVIEW_EXPANDER),
    )
    index.write_text(html, encoding="utf-8")
    return [index, *written]


def add_command(rsub: Any, rules_option: Any) -> None:
    p = rsub.add_parser("docs", help="生成规则说明网页（每条规则一页，另有目录页）")
    rules_option(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="输出文件夹")
    p.add_argument(
        "--statutes", type=Path, default=None, help="法规原文文件夹（Markdown，文件名以法规名开头）"
    )
    p.add_argument("--profile", type=Path, default=None, help="评查标准文件（用于显示评分项）")
    p.set_defaults(func=cmd_docs)


def cmd_docs(args: argparse.Namespace) -> int:
    from ..packs.loader import PackError, load_rulebook
    from ..score.profile import load_profile

    try:
        book = load_rulebook(getattr(args, "rules", None))
        profile = load_profile(args.profile)
    except (PackError, ValueError) as exc:
        print(f"规则包或评查标准无法加载：\n{exc}", file=sys.stderr)
        return 2
    written = write_docs(book, profile, args.output, args.statutes)
    print(f"已生成 {len(written) - 1} 个规则页面和目录 {written[0]}")
    return 0
