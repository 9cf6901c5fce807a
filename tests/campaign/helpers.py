"""A small campaign over a few sample files, shared by the store, command and server tests."""

from __future__ import annotations

from pathlib import Path

from casereview.batch import BatchOptions
from casereview.campaign import service
from casereview.campaign.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
CASEFILES = ROOT / "casefiles"
SAMPLE = [
    "11-qingshanhu-songda-chaoqi.yaml",  # BM-003 + DEAD-002 (deduct), 青山湖
    "12-yuanzhou-jieci-buyizhi.yaml",  # BM-001 + BM-002 (deduct), 袁州
    "16-lianxi-yisong-weiyisong.json",  # TR-001 (review: 应移送未移送?), 濂溪
]
QSH = "南昌市青山湖区应急管理局"
OPTIONS = BatchOptions(roster=CASEFILES / "roster.yaml", workers=0, engine="oracle")
PASSWORD = "correct-horse-1"

USERS = [
    ("lead", "王组长", "lead", "江西省应急管理厅"),
    ("zhang", "张评查", "reviewer", QSH),
    ("li", "李评查", "reviewer", "赣州市南康区应急管理局"),
    ("zhao", "赵评查", "reviewer", "九江市濂溪区应急管理局"),
]


def make_campaign(url: str, folder: Path, reviewers_per_file: int = 1, name: str = "2026年第一批") -> Store:
    store = open_store(url=url)
    with store.write() as session:
        for username, display, role, unit in USERS:
            if not session.query(service.User).filter_by(username=username).first():
                service.add_user(session, username, display, role, PASSWORD, unit)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [CASEFILES / name for name in SAMPLE]
    service.create_campaign(store, name, folder, paths, OPTIONS, reviewers_per_file, actor="lead")
    return store


def ids(store: Store, case_number_part: str, username: str) -> tuple[int, int]:
    with store.session() as session:
        case = next(
            c
            for c in session.query(service.CaseRecord).all()
            if c.case_number and case_number_part in c.case_number
        )
        return case.id, service.get_user(session, username).id


def revision(store: Store, case_id: int) -> int:
    with store.session() as session:
        return session.get(service.CaseRecord, case_id).revision


def code_key(result: dict, code: str) -> str:
    """The finding key of the (first) machine finding with this rule code."""
    findings = result["findings"]
    return next(k for k, f in zip(service.finding_keys(findings), findings, strict=True) if f["code"] == code)


def single_file_campaign(store: Store, name: str, folder: Path, sample: str) -> tuple[int, int, dict]:
    """A campaign of one sample file with li on its seat: (case id, li's user id, machine result)."""
    service.create_campaign(store, name, folder, [CASEFILES / sample], OPTIONS, actor="lead")
    service.assign_all(store, name, ["li"], actor="lead")
    with store.session() as session:
        campaign = service.get_campaign(session, name)
        case = session.query(service.CaseRecord).filter_by(campaign_id=campaign.id).one()
        result = service.machine_result(session, service.current_version(session, case))
        return case.id, service.get_user(session, "li").id, result


def sign_overriding_all(store: Store, case_id: int, user_id: int, result: dict):
    """Override every machine finding that needs a decision, then sign the sheet: its score."""
    keys = service.finding_keys(result["findings"])
    decisions = [
        service.DecisionInput("finding", k, "override", reason="测试：不适用")
        for k, f in zip(keys, result["findings"], strict=True)
        if f["severity"] in ("veto", "deduct", "review")
    ]
    revision = service.record_decisions(store, case_id, user_id, decisions, 0) if decisions else 0
    return service.sign_off(store, case_id, user_id, revision)
