"""Files in and out of a campaign: the final 评查结果 (Excel, HTML, JSON, per-unit figures) and the
decisions file for offline work (CSV, UTF-8 with BOM so spreadsheet programs open it as Chinese).

A decisions file lists, per file and reviewer seat, every machine finding and every human sheet
item with the current decision. Reviewers fill in 操作/扣分/理由 offline; `import_decisions`
saves the good rows file by file (each file one transaction, checked like a web form, with the
same stale-page check through the 修订号 column) and reports each bad row with its line number
in Chinese; the rejected rows are written to a `.未导入.csv` file beside the input, nothing is lost.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..report.masking import mask, mask_value
from .models import Assignment, Campaign, CaseRecord, User
from .service import (
    CampaignError,
    DecisionInput,
    campaign_profile,
    current_decisions,
    current_version,
    final_rows,
    finding_keys,
    get_campaign,
    machine_result,
    record_decisions,
    unit_figures,
)
from .sheet import ADDED, FINDING, ITEM
from .store import Store

DECISION_COLUMNS = [
    "案号",
    "版本",
    "修订号",
    "席位",
    "评查人员",
    "类型",
    "对象",
    "标题",
    "机器结论",
    "操作",
    "扣分",
    "理由",
]
KIND_LABELS = {FINDING: "机器问题", ITEM: "评查项", ADDED: "增加问题"}
ACTION_LABELS = {
    "confirm": "确认",
    "override": "推翻",
    "score": "扣分",
    "veto": "否决",
    "clear": "不否决",
    "add": "增加",
    "withdraw": "撤回",
}
_KINDS = {**{v: k for k, v in KIND_LABELS.items()}, **{k: k for k in KIND_LABELS}}
_ACTIONS = {**{v: k for k, v in ACTION_LABELS.items()}, **{k: k for k in ACTION_LABELS}}


def export_decisions(store: Store, campaign_name: str | None, reviewer: str | None = None) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(DECISION_COLUMNS)
    with store.session() as session:
        campaign = get_campaign(session, campaign_name)
        profile = campaign_profile(campaign)
        query = (
            select(Assignment, CaseRecord, User)
            .join(CaseRecord, CaseRecord.id == Assignment.case_id)
            .join(User, User.id == Assignment.reviewer_id)
            .where(CaseRecord.campaign_id == campaign.id, Assignment.active)
            .order_by(CaseRecord.case_key, Assignment.slot)
        )
        if reviewer:
            query = query.where(User.username == reviewer)
        for assignment, case, user in session.execute(query):
            version = current_version(session, case)
            result = machine_result(session, version)
            decided = current_decisions(session, version.id, assignment.slot)
            head = [case.case_key, version.number, case.revision, assignment.slot, user.username]
            for key, f in zip(
                finding_keys(result.get("findings", [])), result.get("findings", []), strict=True
            ):
                d = decided.get((FINDING, key))
                writer.writerow(
                    [
                        *head,
                        KIND_LABELS[FINDING],
                        key,
                        mask(f"{f['code']} {f['title']}"),
                        f["severity_label"],
                        *_decision_cells(d),
                    ]
                )
            for item in [*profile.veto_items, *profile.human_items]:
                d = decided.get((ITEM, item.id))
                writer.writerow(
                    [
                        *head,
                        KIND_LABELS[ITEM],
                        item.id,
                        item.title,
                        "否决项" if item in profile.veto_items else "",
                        *_decision_cells(d),
                    ]
                )
            for (kind, target), d in decided.items():
                if kind == ADDED:
                    item = profile.item(target)
                    writer.writerow(
                        [
                            *head,
                            KIND_LABELS[ADDED],
                            target,
                            item.title if item else "",
                            "",
                            *_decision_cells(d),
                        ]
                    )
    return out.getvalue()


def _decision_cells(d) -> list[Any]:
    if d is None:
        return ["", "", ""]
    return [ACTION_LABELS.get(d.action, d.action), "" if d.points is None else d.points, d.reason or ""]


def import_decisions(store: Store, campaign_name: str | None, path: Path) -> tuple[int, list[str]]:
    """Save every good row; returns (saved decisions, Chinese problems naming file:line)."""
    problems: list[str] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = path.read_bytes().decode("gb18030")
        except UnicodeDecodeError:
            raise CampaignError(f"{path}：无法识别的文字编码（应为 UTF-8 或 GBK）") from None
    except OSError as exc:
        raise CampaignError(f"{path}：无法读取（{exc.strerror}）") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[: len(DECISION_COLUMNS)]] != DECISION_COLUMNS:
        raise CampaignError(f"{path}:1 表头应为：{','.join(DECISION_COLUMNS)}")
    groups: dict[tuple[str, int, str], list[tuple[int, list[str], DecisionInput]]] = defaultdict(list)
    bad_rows: list[tuple[int, list[str]]] = []
    bases: dict[tuple[str, int, str], int] = {}
    with store.session() as session:
        campaign = get_campaign(session, campaign_name)
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = dict(
                zip(DECISION_COLUMNS, [c.strip() for c in row] + [""] * len(DECISION_COLUMNS), strict=False)
            )
            if not cells["操作"]:
                continue  # nothing decided on this row
            problem = None
            kind = _KINDS.get(cells["类型"])
            action = _ACTIONS.get(cells["操作"])
            if kind is None:
                problem = f"类型：应为 机器问题、评查项 或 增加问题，实际为 {cells['类型']!r}"
            elif action is None:
                problem = f"操作：应为 {'、'.join(ACTION_LABELS.values())} 之一，实际为 {cells['操作']!r}"
            elif not cells["修订号"].isdigit() or not cells["席位"].isdigit():
                problem = "修订号、席位：应为整数（请使用导出的决定文件）"
            elif not cells["评查人员"]:
                problem = "评查人员：不能为空"
            if problem is None:
                case = session.scalar(
                    select(CaseRecord).where(
                        CaseRecord.campaign_id == campaign.id, CaseRecord.case_key == cells["案号"]
                    )
                )
                if case is None:
                    problem = f"案号：评查活动中没有案卷 {cells['案号']!r}"
                elif cells["版本"] != str(case.current_version):
                    problem = (
                        f"版本：案卷已有第 {case.current_version} 版（整改后重新评查），"
                        f"本行针对第 {cells['版本']} 版，未导入"
                    )
            if problem:
                problems.append(f"{path}:{line} {problem}")
                bad_rows.append((line, row))
                continue
            key = (cells["案号"], int(cells["席位"]), cells["评查人员"])
            bases[key] = min(bases.get(key, 1 << 30), int(cells["修订号"]))
            groups[key].append(
                (
                    line,
                    row,
                    DecisionInput(kind, cells["对象"], action, cells["扣分"] or None, cells["理由"] or None),
                )
            )
        users = {u.username: u for u in session.scalars(select(User))}
        case_ids = {
            c.case_key: c.id
            for c in session.scalars(select(CaseRecord).where(CaseRecord.campaign_id == campaign.id))
        }
    saved = 0
    for key, rows in groups.items():
        case_key, slot, username = key
        user = users.get(username)
        if user is None:
            for line, row, _ in rows:
                problems.append(f"{path}:{line} 评查人员：没有用户 {username!r}")
                bad_rows.append((line, row))
            continue
        good = []
        for line, row, item in rows:  # check rows one by one so one bad row does not sink its file
            try:
                _check_row(store, case_ids[case_key], user, slot, item)
                good.append((line, row, item))
            except CampaignError as exc:
                problems.append(f"{path}:{line} {exc}")
                bad_rows.append((line, row))
        if not good:
            continue
        try:
            record_decisions(
                store,
                case_ids[case_key],
                user.id,
                [g[2] for g in good],
                bases[key],
                source="import",
                slot=slot if user.role == "lead" else None,
            )
            saved += len(good)
        except CampaignError as exc:
            for line, row, _ in good:
                problems.append(f"{path}:{line} {exc}")
                bad_rows.append((line, row))
    if bad_rows:
        rest = path.with_name(path.stem + ".未导入.csv")
        with rest.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*DECISION_COLUMNS, "未导入原因"])
            reasons = defaultdict(list)
            for p in problems:
                head, _, message = p.partition(" ")
                reasons[int(head.rsplit(":", 1)[1])].append(message)
            for line, row in sorted(bad_rows):
                writer.writerow([*row[: len(DECISION_COLUMNS)], "；".join(reasons.get(line, []))])
        problems.append(f"未导入的 {len(bad_rows)} 行已另存为 {rest}，改正后可再次导入")
    return saved, problems


def _check_row(store: Store, case_id: int, user: User, slot: int, item: DecisionInput) -> None:
    """Validate one row as the web form would, without saving (its file is saved as a whole)."""
    from .service import _validate, slot_of

    with store.session() as session:
        case = session.get(CaseRecord, case_id)
        if user.role != "lead" and slot_of(session, case, user) != slot:
            raise CampaignError(f"{user.display_name} 不是案卷 {case.case_key} 第 {slot} 席的评查人员")
        campaign = session.get(Campaign, case.campaign_id)
        result = machine_result(session, current_version(session, case))
        _validate(
            campaign_profile(campaign), result, item.kind, item.target, item.action, item.points, item.reason
        )


# -- final results ----------------------------------------------------------------------------------------


def results_document(store: Store, campaign_name: str | None, masked: bool = True) -> dict[str, Any]:
    with store.session() as session:
        campaign = get_campaign(session, campaign_name)
        profile = campaign_profile(campaign)
        rows = final_rows(session, campaign)
        doc = {
            "schema_version": "campaign-results/1",
            "campaign": campaign.name,
            "profile": {"id": profile.id, "title": profile.title, "verification": profile.verification},
            "files": rows,
            "units": unit_figures(rows, profile.failing_grade),
            "complete": all(r["final_score"] is not None or r["status"] == "rejected" for r in rows),
        }
    return mask_value(doc) if masked else doc


def write_results(store: Store, campaign_name: str | None, out: Path, masked: bool = True) -> list[Path]:
    doc = results_document(store, campaign_name, masked)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "评查结果.json", out / "评查结果.xlsx", out / "评查结果.html"]
    written[0].write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_xlsx(doc, written[1])
    written[2].write_text(render_results_html(doc), encoding="utf-8")
    return written


def _write_xlsx(doc: dict[str, Any], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheet = wb.active
    sheet.title = "评查结果"
    header = ["案号", "办案单位", "案由", "版本", "状态", "机器预评得分", "最终得分", "最终等次", "否决项"]
    sheet.append(header)
    for row in doc["files"]:
        sheet.append(
            [
                _text(row["case_key"]),
                _text(row["unit"]),
                _text(row["title"]),
                row["version"],
                row["status_label"],
                row["machine_score"],
                row["final_score"] if row.get("final_graded", True) else None,  # ungraded: no score
                row["final_grade"],
                "、".join(row["vetoes"]),
            ]
        )
    units = wb.create_sheet("各单位情况")
    units.append(["办案单位", "案卷数", "已出最终结果", "平均分", "合格数", "合格率", "无法评查"])
    for u in doc["units"]:
        units.append(
            [
                _text(u["unit"]),
                u["files"],
                u["final"],
                u["average"],
                u["passed"],
                u["pass_rate"],
                u["rejected"],
            ]
        )
    for ws in (sheet, units):
        for cell in ws[1]:
            cell.font = Font(bold=True)
    wb.save(path)


def _text(value: Any) -> Any:
    """No formula injection from case data: text starting like a formula is prefixed."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value


def render_results_html(doc: dict[str, Any]) -> str:
    from ..server.templating import environment

    return environment().get_template("results_export.html").render(doc=doc)
