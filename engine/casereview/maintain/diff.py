"""`casereview rules diff OLD NEW --cases DIR`: what a rule change does to past cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment


def _review_all(
    rules: Path, paths: list[Path], roster: Any, profile_path: Path | None = None
) -> dict[str, Any]:
    from ..evaluate.oracle import OracleEngine
    from ..packs.loader import load_rulebook
    from ..review import ReviewContext, review_file
    from ..score.profile import load_profile

    book = load_rulebook(rules)
    ctx = ReviewContext(book, load_profile(profile_path), OracleEngine(book.compiled), roster)
    return {"version": book.version, "results": {str(p): review_file(p, ctx) for p in paths}}


def _key(f: Any) -> tuple[str, str, str]:
    return (f.rule_id, f.location.field, f.message)


def diff_rules(
    old: Path, new: Path, cases: Path, roster_path: Path | None = None, profile_path: Path | None = None
) -> dict[str, Any]:
    from ..cli import iter_case_paths
    from ..load import load_roster

    if roster_path is None:
        for name in ("roster.yaml", "roster.csv"):
            if (cases / name).is_file():
                roster_path = cases / name
                break
    roster = load_roster(roster_path) if roster_path else None
    paths = list(iter_case_paths([cases]))
    a, b = _review_all(old, paths, roster, profile_path), _review_all(new, paths, roster, profile_path)
    rows = []
    for path in paths:
        ra, rb = a["results"][str(path)], b["results"][str(path)]
        fa, fb = {_key(f): f for f in ra.findings}, {_key(f): f for f in rb.findings}
        added = [_finding(fb[k]) for k in fb if k not in fa]
        removed = [_finding(fa[k]) for k in fa if k not in fb]
        sa = ra.score.model_dump() if ra.score else None
        sb = rb.score.model_dump() if rb.score else None
        row = {
            "file": str(path),
            "case_number": rb.case_number or ra.case_number,
            "status": [ra.status, rb.status],
            "added": added,
            "removed": removed,
            "score": [sa["score"] if sa else None, sb["score"] if sb else None],
            "grade": [sa["grade"] if sa else None, sb["grade"] if sb else None],
        }
        row["grade_changed"] = row["grade"][0] != row["grade"][1]
        row["score_changed"] = row["score"][0] != row["score"][1]
        row["changed"] = bool(
            added or removed or row["grade_changed"] or row["score_changed"] or ra.status != rb.status
        )
        rows.append(row)
    # changed cases first (grade changes, then score changes, then other changes), then the rest
    rows.sort(key=lambda r: (not r["changed"], not r["grade_changed"], not r["score_changed"], r["file"]))
    return {
        "old": {"rules": str(old), "version": a["version"]},
        "new": {"rules": str(new), "version": b["version"]},
        "cases": str(cases),
        "summary": {
            "files": len(rows),
            "changed_files": sum(r["changed"] for r in rows),
            "grade_changes": sum(r["grade_changed"] for r in rows),
            "score_changes": sum(r["score_changed"] for r in rows),
            "findings_added": sum(len(r["added"]) for r in rows),
            "findings_removed": sum(len(r["removed"]) for r in rows),
        },
        "cases_diff": rows,
    }


def _finding(f: Any) -> dict[str, Any]:
    return {
        "code": f.code,
        "rule_id": f.rule_id,
        "severity": f.severity_label,
        "message": f.message,
        "field": f.location.field,
    }


def render_text(d: dict[str, Any]) -> str:
    s = d["summary"]
    out = [
        f"旧规则 {d['old']['rules']}（版本 {d['old']['version']}）"
        f"→ 新规则 {d['new']['rules']}（版本 {d['new']['version']}）",
        f"案卷 {s['files']} 件：有变化 {s['changed_files']} 件，"
        f"等次变化 {s['grade_changes']} 件，得分变化 {s['score_changes']} 件；"
        f"新增问题 {s['findings_added']} 个，消失问题 {s['findings_removed']} 个",
    ]
    for r in d["cases_diff"]:
        if not r["changed"]:
            continue
        out.append(f"■ {r['file']} {r['case_number'] or ''}".rstrip())
        if r["score_changed"] or r["grade_changed"]:
            out.append(f"  得分 {r['score'][0]} → {r['score'][1]}，等次 {r['grade'][0]} → {r['grade'][1]}")
        for f in r["added"]:
            out.append(f"  + {f['rule_id']}（{f['severity']}）{f['message']}")
        for f in r["removed"]:
            out.append(f"  - {f['rule_id']}（{f['severity']}）{f['message']}")
    return "\n".join(out) + "\n"


HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>规则变更影响</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
.add{color:#b00}.rem{color:#070}.same{color:#888}</style></head><body>
<h1>规则变更对案卷的影响</h1>
<p>旧规则：{{ d.old.rules }}（版本 {{ d.old.version }}）<br>
新规则：{{ d.new.rules }}（版本 {{ d.new.version }}）
<br>案卷：{{ d.cases }}</p>
<p>案卷 {{ s.files }} 件：有变化 {{ s.changed_files }} 件，<strong>等次变化 {{ s.grade_changes }} 件
</strong>，得分变化 {{ s.score_changes }} 件；
新增问题 {{ s.findings_added }} 个，消失问题 {{ s.findings_removed }} 个。</p>
<table><tr><th>案卷</th><th>得分</th><th>等次</th><th>新增问题</th><th>消失问题</th></tr>
{% for r in d.cases_diff %}<tr class="{{ 'changed' if r.changed else 'same' }}">
<td>{{ r.file }}<br>{{ r.case_number or '' }}</td>
<td>{{ r.score[0] }} → {{ r.score[1] }}</td><td>{{ r.grade[0] }} → {{ r.grade[1] }}</td>
<td class="add">{% for f in r.added %}<div>{{ f.rule_id }}（{{ f.severity }}）{{ f.message }}</div>
{% endfor %}</td>
<td class="rem">{% for f in r.removed %}<div>{{ f.rule_id }}（{{ f.severity }}）{{ f.message }}
</div>{% endfor %}</td>
</tr>{% endfor %}</table></body></html>
"""


def render_html(d: dict[str, Any]) -> str:
    env = SandboxedEnvironment(autoescape=True)
    return env.from_string(HTML).render(d=d, s=d["summary"])


def add_command(rsub: Any) -> None:
    p = rsub.add_parser("diff", help="用新旧两套规则重新评查一批案卷，列出问题、得分和等次的变化")
    p.add_argument("old", type=Path, help="旧规则目录")
    p.add_argument("new", type=Path, help="新规则目录")
    p.add_argument("--cases", type=Path, default=Path("casefiles"), help="案卷文件夹（默认 casefiles/）")
    p.add_argument("--roster", type=Path, default=None, help="证件台账（默认取案卷文件夹中的 roster.yaml）")
    p.add_argument("--profile", type=Path, default=None, help="评查标准文件（默认：示例评查标准）")
    p.add_argument("--format", choices=["html", "json", "text"], default="text")
    p.add_argument("-o", "--output", type=Path, default=None)
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    from ..packs.loader import PackError

    try:
        d = diff_rules(args.old, args.new, args.cases, args.roster, args.profile)
    except (PackError, ValueError) as exc:
        print(f"规则包无法加载：\n{exc}", file=sys.stderr)
        return 2
    text = {
        "json": lambda: json.dumps(d, ensure_ascii=False, indent=2),
        "html": lambda: render_html(d),
        "text": lambda: render_text(d),
    }[args.format]()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"已写入 {args.output}；等次变化 {d['summary']['grade_changes']} 件")
    else:
        sys.stdout.write(text)
    return 0
