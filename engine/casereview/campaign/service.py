"""Campaign operations over the store: create, assign, decide, sign off, resolve, rectify, rescore.

Every write is one transaction that also writes its audit event. Writes to a file's review go
through `_bump_revision`, a compare-and-swap on `CaseRecord.revision` (works alike on SQLite and
PostgreSQL): a decision made on a page that is older than someone else's decision on the same
item is refused with a Chinese 「已被他人修改」 message — the earlier decision is kept, the later
one is returned to its author, nothing is lost. Decisions on different items never conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import __version__
from ..batch import BatchOptions, BatchRun, review_batch
from ..load.source import keep_read_bytes
from ..review import CaseResult
from ..score.profile import Profile, VetoItem
from .bulk import BulkImport, Staged, add_results, staged_row
from .create import CreateSummary, create_campaign, read_file, result_and_text, result_fields  # noqa: F401 (the API)
from .models import (
    RESOLUTION_SLOT,
    ROLES,
    Assignment,
    AuditEvent,
    Campaign,
    CaseRecord,
    Decision,
    FileVersion,
    MachineResult,
    MachineRun,
    ProfileSnapshot,
    Rectification,
    SignOff,
    User,
)
from .sheet import (
    ADDED,
    FINDING,
    ITEM,
    CurrentDecision,
    SheetScore,
    finding_keys,
    machine_status,
    score_sheet,
)
from .store import Store

SYSTEM = "system"


class CampaignError(Exception):
    """A refused operation; the message is Chinese and says what to do."""


class StaleError(CampaignError):
    """Someone else changed the same item after the page was loaded."""


# -- users and passwords ------------------------------------------------------------------------


_HASHER = None  # argon2-cffi's defaults (RFC 9106 low-memory profile); tests may install a cheaper one


def _hasher():
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()
    return _HASHER


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(
    session: Session, username: str, display_name: str, role: str, password: str, unit: str | None = None
) -> User:
    if role not in ROLES:
        raise CampaignError(f"角色应为 lead（组长）或 reviewer（评查人员），实际为 {role}")
    if len(password) < 8:
        raise CampaignError("密码至少 8 位")
    if session.scalar(select(User).where(User.username == username)):
        raise CampaignError(f"用户 {username} 已存在")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        unit=unit or None,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit(session, SYSTEM, "user.add", {"username": username, "role": role, "unit": unit})
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise CampaignError(f"没有用户 {username}")
    return user


def audit(
    session: Session,
    actor: str,
    action: str,
    detail: dict[str, Any],
    campaign_id: int | None = None,
    case_id: int | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
            campaign_id=campaign_id,
            case_id=case_id,
            reason=reason,
        )
    )


# -- campaigns, files, machine results ------------------------------------------------------------


def get_campaign(session: Session, name: str | None = None) -> Campaign:
    """The named campaign, or the store's only (latest) one when no name is given."""
    query = select(Campaign).where(Campaign.building.is_(None))  # a campaign still being created is hidden
    query = query.where(Campaign.name == name) if name else query.order_by(Campaign.id.desc())
    campaign = session.scalars(query).first()
    if campaign is None:
        raise CampaignError(
            f"没有评查活动 {name}" if name else "数据库中还没有评查活动（先运行 campaign create）"
        )
    return campaign


@lru_cache(maxsize=16)
def _profile_from_json(content: str) -> Profile:
    return Profile.model_validate_json(content)


def campaign_profile(campaign: Campaign) -> Profile:
    return _profile_from_json(campaign.profile.content)


def _snapshot(session: Session, profile: Profile) -> ProfileSnapshot:
    content = profile.model_dump_json()
    digest = hashlib.sha256(content.encode()).hexdigest()
    found = session.scalar(select(ProfileSnapshot).where(ProfileSnapshot.content_hash == digest))
    if found:
        return found
    snap = ProfileSnapshot(profile_key=profile.id, title=profile.title, content_hash=digest, content=content)
    session.add(snap)
    session.flush()
    return snap


def begin_campaign(
    store: Store,
    name: str,
    folder: Path,
    profile: Profile,
    run: BatchRun,
    reviewers_per_file: int,
    actor: str,
) -> BulkImport:
    """`campaign create`'s first transaction (`create.create_campaign`): the campaign begun hidden
    (`Campaign.building`, under a name of its own) with its machine run; the import that fills it."""
    with store.session() as session:
        _refuse_taken(session, name)
    with store.write() as session:
        _discard_abandoned(session)
        campaign = Campaign(
            name=f"（建立中）{uuid.uuid4().hex}",
            folder=str(folder),
            profile=_snapshot(session, profile),
            reviewers_per_file=reviewers_per_file,
            created_by=actor,
            building=builder(),
        )
        session.add(campaign)
        session.flush()
        machine_run = _new_run(session, campaign, run.book.version, run.engine, actor)
        return BulkImport(campaign.id, machine_run.id, folder, actor)


def show_campaign(
    store: Store, loader: BulkImport, name: str, folder: Path, profile: Profile, actor: str
) -> None:
    """`campaign create`'s last transaction, once every file is in: the campaign named and shown."""
    with store.write() as session:
        _refuse_taken(session, name)  # made meanwhile
        shown = session.execute(
            update(Campaign).where(Campaign.id == loader.campaign_id).values(name=name, building=None)
        )
        if shown.rowcount != 1:
            raise CampaignError(f"评查活动 {name} 在建立过程中被删除，请重新运行")
        files = loader.reviewed + loader.rejected
        detail = {"name": name, "folder": str(folder), "files": files, "profile": profile.id}
        audit(session, actor, "campaign.create", detail, campaign_id=loader.campaign_id)


def discard_campaign(store: Store, loader: BulkImport) -> None:
    """Remove what a failed or interrupted create wrote; if that fails too (the store gone, a second
    Ctrl-C), the hidden campaign is left for the next create to remove."""
    with suppress(Exception), store.write() as session:
        _discard(session, loader.campaign_id)


def _refuse_taken(session: Session, name: str) -> None:
    if session.scalar(select(Campaign.id).where(Campaign.name == name)):
        raise CampaignError(f"评查活动 {name} 已存在")


ABANDONED_ELSEWHERE = dt.timedelta(days=1)


def builder() -> str:
    """Who is building a campaign: this host and process."""
    return f"{socket.gethostname()} {os.getpid()}"[:128]


def _abandoned(building: str, created_at: dt.datetime) -> bool:
    """A hidden campaign whose create was killed: its process is gone (this host), or it was begun a
    day ago (another host, whose processes cannot be seen from here; a create takes minutes)."""
    host, _, pid = building.rpartition(" ")
    if host != socket.gethostname():
        created = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
        return dt.datetime.now(dt.UTC) - created > ABANDONED_ELSEWHERE
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def _discard_abandoned(session: Session) -> None:
    building = session.execute(
        select(Campaign.id, Campaign.building, Campaign.created_at).where(Campaign.building.is_not(None))
    ).all()
    for campaign_id, who, created_at in building:
        if _abandoned(who, created_at):
            _discard(session, campaign_id)


def _discard(session: Session, campaign_id: int) -> None:
    """Delete a hidden campaign and every row its create wrote."""
    runs = select(MachineRun.id).where(MachineRun.campaign_id == campaign_id)
    cases = select(CaseRecord.id).where(CaseRecord.campaign_id == campaign_id)
    for table, where in (
        (MachineResult, MachineResult.run_id.in_(runs)),
        (FileVersion, FileVersion.case_id.in_(cases)),
        (CaseRecord, CaseRecord.campaign_id == campaign_id),
        (MachineRun, MachineRun.campaign_id == campaign_id),
        (AuditEvent, AuditEvent.campaign_id == campaign_id),
        (Campaign, (Campaign.id == campaign_id) & Campaign.building.is_not(None)),
    ):
        session.execute(delete(table.__table__).where(where))


def _new_run(session: Session, campaign: Campaign, rules_version: str, engine: str, actor: str) -> MachineRun:
    run = MachineRun(
        campaign_id=campaign.id,
        rules_version=rules_version,
        engine=engine,
        tool_version=__version__,
        created_by=actor,
    )
    session.add(run)
    session.flush()
    return run


def current_version(session: Session, case: CaseRecord) -> FileVersion:
    return session.scalars(
        select(FileVersion).where(FileVersion.case_id == case.id, FileVersion.number == case.current_version)
    ).one()


def machine_result(session: Session, version: FileVersion) -> dict[str, Any]:
    """The latest machine result of a file version (the CaseResult as JSON)."""
    row = session.scalars(
        select(MachineResult).where(MachineResult.version_id == version.id).order_by(MachineResult.id.desc())
    ).first()
    return json.loads(row.result_json) if row else {"status": "rejected", "findings": [], "errors": []}


def get_case(session: Session, campaign: Campaign, case_key: str) -> CaseRecord:
    case = session.scalar(
        select(CaseRecord).where(CaseRecord.campaign_id == campaign.id, CaseRecord.case_key == case_key)
    )
    if case is None:
        raise CampaignError(f"评查活动 {campaign.name} 中没有案卷 {case_key}")
    return case


# -- assignments ------------------------------------------------------------------------------------


def _same_unit(user: User, case: CaseRecord) -> bool:
    return bool(user.unit and case.unit and user.unit.strip() == case.unit.strip())


def assign_one(session: Session, case: CaseRecord, reviewer: User, slot: int, actor: str) -> Assignment:
    campaign = session.get(Campaign, case.campaign_id)
    if reviewer.role != "reviewer":
        raise CampaignError(f"{reviewer.display_name} 不是评查人员")
    if _same_unit(reviewer, case):
        raise CampaignError(
            f"{reviewer.display_name} 属于案卷 {case.case_key} 的办案单位（{case.unit}），不能评查本单位案卷"
        )
    if slot not in range(1, campaign.reviewers_per_file + 1):
        raise CampaignError(f"本评查活动每个案卷 {campaign.reviewers_per_file} 名评查人员，没有第 {slot} 席")
    active = session.scalars(select(Assignment).where(Assignment.case_id == case.id, Assignment.active)).all()
    if any(a.reviewer_id == reviewer.id and a.slot != slot for a in active):
        raise CampaignError(f"{reviewer.display_name} 已是案卷 {case.case_key} 的另一名评查人员")
    for old in active:
        if old.slot == slot:
            old.active = False
    assignment = Assignment(case_id=case.id, reviewer_id=reviewer.id, slot=slot, created_by=actor)
    session.add(assignment)
    if case.status == "unassigned":
        case.status = "assigned"
    audit(
        session,
        actor,
        "assign",
        {"case": case.case_key, "reviewer": reviewer.username, "slot": slot},
        campaign_id=case.campaign_id,
        case_id=case.id,
    )
    return assignment


def assign_all(
    store: Store, campaign_name: str | None, usernames: list[str] | None, actor: str
) -> tuple[int, list[str]]:
    """Give every unassigned seat a reviewer from another unit, least-loaded first."""
    problems: list[str] = []
    count = 0
    with store.write() as session:
        campaign = get_campaign(session, campaign_name)
        query = select(User).where(User.role == "reviewer", User.active)
        if usernames:
            query = query.where(User.username.in_(usernames))
            missing = set(usernames) - set(session.scalars(select(User.username)).all())
            if missing:
                raise CampaignError(f"没有这些评查人员：{'、'.join(sorted(missing))}")
        reviewers = session.scalars(query.order_by(User.username)).all()
        if not reviewers:
            raise CampaignError("没有可分配的评查人员（先用 campaign user add 添加）")
        load = {r.id: 0 for r in reviewers}
        for a in session.scalars(
            select(Assignment)
            .join(CaseRecord, CaseRecord.id == Assignment.case_id)
            .where(CaseRecord.campaign_id == campaign.id, Assignment.active)
        ):
            if a.reviewer_id in load:
                load[a.reviewer_id] += 1
        cases = session.scalars(
            select(CaseRecord)
            .where(CaseRecord.campaign_id == campaign.id, CaseRecord.status != "rejected")
            .order_by(CaseRecord.id)
        ).all()
        for case in cases:
            seated = {
                a.slot: a.reviewer_id
                for a in session.scalars(
                    select(Assignment).where(Assignment.case_id == case.id, Assignment.active)
                )
            }
            for slot in range(1, campaign.reviewers_per_file + 1):
                if slot in seated:
                    continue
                eligible = [r for r in reviewers if not _same_unit(r, case) and r.id not in seated.values()]
                if not eligible:
                    problems.append(
                        f"案卷 {case.case_key}（{case.unit or '单位不详'}）第 {slot} 席："
                        "没有其他单位的评查人员可分配"
                    )
                    continue
                chosen = min(eligible, key=lambda r: (load[r.id], r.username))
                assign_one(session, case, chosen, slot, actor)
                seated[slot] = chosen.id
                load[chosen.id] += 1
                count += 1
    return count, problems


def slot_of(session: Session, case: CaseRecord, user: User) -> int | None:
    """The user's seat on this file (a lead works in the resolution seat)."""
    if user.role == "lead":  # any file, except those of a campaign still being created
        hidden = session.scalar(select(Campaign.building).where(Campaign.id == case.campaign_id))
        return None if hidden else RESOLUTION_SLOT
    return session.scalar(
        select(Assignment.slot).where(
            Assignment.case_id == case.id, Assignment.reviewer_id == user.id, Assignment.active
        )
    )


# -- decisions ---------------------------------------------------------------------------------------


def current_decisions(session: Session, version_id: int, slot: int) -> dict[tuple[str, str], CurrentDecision]:
    rows = session.scalars(
        select(Decision)
        .where(Decision.version_id == version_id, Decision.slot == slot)
        .order_by(Decision.revision, Decision.id)
    ).all()
    current: dict[tuple[str, str], CurrentDecision] = {}
    for d in rows:
        current[(d.kind, d.target)] = CurrentDecision(
            d.action, d.points, d.reason, d.revision, d.author.display_name, _when(d.created_at)
        )
    return {k: v for k, v in current.items() if v.action not in ("withdraw", "clear")}


def _when(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


ACTIONS = {
    FINDING: ("confirm", "override"),
    ITEM: ("score", "veto", "clear"),
    ADDED: ("add", "withdraw"),
}


def _validate(
    profile: Profile, result: dict[str, Any], kind: str, target: str, action: str, points, reason
) -> int | None:
    reason = (reason or "").strip()
    if kind not in ACTIONS or action not in ACTIONS[kind]:
        raise CampaignError(f"无效的操作：{kind}/{action}")
    if kind == FINDING:
        if target not in finding_keys(result.get("findings", [])):
            raise CampaignError(f"机器评查结果中没有问题 {target}（可能已重新评查，请刷新页面）")
        if action == "override" and not reason:
            raise CampaignError(f"推翻机器评查问题 {target} 须填写理由")
        return None
    item = profile.item(target)
    if item is None:
        raise CampaignError(f"评查标准中没有评查项 {target}")
    if kind == ITEM:
        if "#" in target:
            raise CampaignError(f"评查标准中没有评查项 {target}")
        if isinstance(item, VetoItem):
            if action == "score":
                raise CampaignError(f"{item.id} 是否决项：请选择「否决」或「不否决」")
            if action == "veto" and not reason:
                raise CampaignError(f"认定否决项 {item.id} {item.title} 须填写理由")
            return None
        if action != "score" and action != "clear":
            raise CampaignError(f"{item.id} 不是否决项")
        if not getattr(item, "human", False):
            raise CampaignError(f"{item.id} 由机器评查计分，请对对应的机器问题确认或推翻")
        if action == "clear":
            return None
        try:
            value = int(str(points).strip())
        except (TypeError, ValueError):
            raise CampaignError(f"{item.id} {item.title} 的扣分应为整数，实际为 {points!r}") from None
        if not 0 <= value <= item.max_points:
            raise CampaignError(
                f"{item.id} {item.title} 的扣分应在 0 至 {item.max_points} 分之间，实际为 {value}"
            )
        if value and not reason:
            raise CampaignError(f"{item.id} {item.title} 扣分须写明理由")
        return value
    if action == "add" and not reason:
        raise CampaignError(f"增加问题（{item.id} {item.title}）须写明具体问题")
    return None


def _bump_revision(session: Session, case: CaseRecord) -> int:
    """Compare-and-swap the case revision; raises if a concurrent writer got there first."""
    seen = session.scalar(select(CaseRecord.revision).where(CaseRecord.id == case.id))
    done = session.execute(
        update(CaseRecord)
        .where(CaseRecord.id == case.id, CaseRecord.revision == seen)
        .values(revision=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise _Retry
    return seen + 1


class _Retry(Exception):
    pass


def _conflict(
    session: Session, version_id: int, slot: int, kind: str, target: str, base: int
) -> Decision | None:
    return session.scalars(
        select(Decision)
        .where(
            Decision.version_id == version_id,
            Decision.slot == slot,
            Decision.kind == kind,
            Decision.target == target,
            Decision.revision > base,
        )
        .order_by(Decision.revision.desc())
    ).first()


def _stale(d: Decision, label: str) -> StaleError:
    return StaleError(
        f"「{label}」已被 {d.author.display_name} 于 {_when(d.created_at)} 修改（{_action_label(d)}），"
        "你的修改未保存、已保留在页面上：请核对最新内容后重新提交"
    )


def _action_label(d: Decision) -> str:
    labels = {
        "confirm": "确认",
        "override": "推翻",
        "score": f"扣 {d.points} 分",
        "veto": "认定否决",
        "clear": "不否决",
        "add": "增加问题",
        "withdraw": "撤回问题",
    }
    return labels.get(d.action, d.action)


@dataclass
class DecisionInput:
    kind: str
    target: str
    action: str
    points: Any = None
    reason: str | None = None


def record_decisions(
    store: Store,
    case_id: int,
    user_id: int,
    inputs: list[DecisionInput],
    base_revision: int,
    source: str = "web",
    slot: int | None = None,
    attempts: int = 20,
) -> int:
    """Save decisions on one file in one transaction; returns the new case revision.

    Refused (nothing saved) with a Chinese message if any input is invalid, the user has no seat
    on the file, the seat is signed off, or another user changed one of the same items after
    `base_revision` (StaleError).
    """
    for _ in range(attempts):
        try:
            with store.write() as session:
                return _record(session, case_id, user_id, inputs, base_revision, source, slot)
        except _Retry:
            continue
    raise StaleError("此案卷正被多人同时修改，你的修改未保存：请稍后重新提交")


def _record(session, case_id, user_id, inputs, base_revision, source, slot) -> int:
    case = session.get(CaseRecord, case_id)
    user = session.get(User, user_id)
    if case is None or user is None:
        raise CampaignError("案卷或用户不存在")
    seat = slot if slot is not None else slot_of(session, case, user)
    if seat is None:
        raise CampaignError(f"你没有被分配评查案卷 {case.case_key}")
    if user.role != "lead" and seat != slot_of(session, case, user):
        raise CampaignError(f"你不是案卷 {case.case_key} 第 {seat} 席的评查人员")
    version = current_version(session, case)
    if _signed(session, version.id, seat):
        raise CampaignError(f"案卷 {case.case_key} 的评查表已签署，不能再修改")
    campaign = session.get(Campaign, case.campaign_id)
    profile = campaign_profile(campaign)
    result = machine_result(session, version)
    checked = []
    for item in inputs:
        if item.kind == ADDED and item.action == "add" and "#" not in item.target:
            item = _numbered(session, version.id, seat, item)  # each added finding is its own entry
        points = _validate(profile, result, item.kind, item.target, item.action, item.points, item.reason)
        conflict = _conflict(session, version.id, seat, item.kind, item.target, base_revision)
        if conflict is not None and conflict.author_id != user.id:
            raise _stale(conflict, _target_label(profile, result, item.kind, item.target))
        checked.append((item, points))
    revision = _bump_revision(session, case)
    for item, points in checked:
        session.add(
            Decision(
                version_id=version.id,
                slot=seat,
                kind=item.kind,
                target=item.target,
                action=item.action,
                points=points,
                reason=(item.reason or "").strip() or None,
                revision=revision,
                author_id=user.id,
                source=source,
            )
        )
        audit(
            session,
            user.username,
            f"decision.{item.action}",
            {
                "case": case.case_key,
                "version": version.number,
                "slot": seat,
                "kind": item.kind,
                "target": item.target,
                "points": points,
                "source": source,
            },
            campaign_id=case.campaign_id,
            case_id=case.id,
            reason=(item.reason or "").strip() or None,
        )
    if case.status in ("assigned", "unassigned"):
        case.status = "in_review"
    return revision


def _numbered(session: Session, version_id: int, slot: int, item: DecisionInput) -> DecisionInput:
    taken = session.scalars(
        select(Decision.target).where(
            Decision.version_id == version_id,
            Decision.slot == slot,
            Decision.kind == ADDED,
            Decision.target.like(f"{item.target}#%"),
        )
    ).all()
    numbers = [int(t.rsplit("#", 1)[1]) for t in taken if t.rsplit("#", 1)[1].isdigit()]
    return DecisionInput(
        item.kind, f"{item.target}#{max(numbers, default=0) + 1}", item.action, item.points, item.reason
    )


def _target_label(profile: Profile, result: dict[str, Any], kind: str, target: str) -> str:
    if kind == FINDING:
        for key, f in zip(finding_keys(result.get("findings", [])), result.get("findings", []), strict=True):
            if key == target:
                return f"{f['code']} {f['title']}"
        return target
    item = profile.item(target)
    return f"{item.id} {item.title}" if item else target


def _signed(session: Session, version_id: int, slot: int) -> SignOff | None:
    return session.scalars(
        select(SignOff)
        .where(SignOff.version_id == version_id, SignOff.slot == slot)
        .order_by(SignOff.id.desc())
    ).first()


def sheet_score(session: Session, case: CaseRecord, slot: int) -> SheetScore:
    version = current_version(session, case)
    campaign = session.get(Campaign, case.campaign_id)
    result = machine_result(session, version)
    return result_sheet(campaign_profile(campaign), result, current_decisions(session, version.id, slot))


def result_sheet(
    profile: Profile, result: dict[str, Any], decisions: dict[tuple[str, str], CurrentDecision]
) -> SheetScore:
    """A sheet's score over one machine result: its findings, and its status (a file the machine
    could not grade is not graded by the sheet either)."""
    return score_sheet(profile, result.get("findings", []), decisions, machine_status(result))


def sign_off(
    store: Store, case_id: int, user_id: int, base_revision: int, slot: int | None = None
) -> SheetScore:
    with store.write() as session:
        case = session.get(CaseRecord, case_id)
        user = session.get(User, user_id)
        seat = slot if slot is not None else slot_of(session, case, user)
        if seat is None:
            raise CampaignError(f"你没有被分配评查案卷 {case.case_key}")
        version = current_version(session, case)
        if _signed(session, version.id, seat):
            raise CampaignError(f"案卷 {case.case_key} 的评查表已签署")
        later = session.scalars(
            select(Decision).where(
                Decision.version_id == version.id,
                Decision.slot == seat,
                Decision.revision > base_revision,
                Decision.author_id != user.id,
            )
        ).first()
        if later is not None:
            raise StaleError(
                f"签署前此评查表已被 {later.author.display_name} 于 {_when(later.created_at)} 修改："
                "请核对最新内容后重新签署"
            )
        score = sheet_score(session, case, seat)
        if score.undecided:
            raise CampaignError(
                f"还有 {len(score.undecided)} 个机器评查问题未确认或推翻"
                f"（{'、'.join(score.undecided[:5])}），不能签署"
            )
        revision = _bump_revision(session, case)
        session.add(
            SignOff(
                version_id=version.id,
                slot=seat,
                user_id=user.id,
                revision=revision,
                score=score.score,
                grade=score.grade,
            )
        )
        audit(
            session,
            user.username,
            "signoff",
            {
                "case": case.case_key,
                "version": version.number,
                "slot": seat,
                "score": score.score,
                "grade": score.grade,
            },
            campaign_id=case.campaign_id,
            case_id=case.id,
        )
        case.status = _status_after_signoff(session, case, version)
        return score


def _status_after_signoff(session: Session, case: CaseRecord, version: FileVersion) -> str:
    campaign = session.get(Campaign, case.campaign_id)
    if _signed(session, version.id, RESOLUTION_SLOT):
        return "resolved"
    signed = [s for s in range(1, campaign.reviewers_per_file + 1) if _signed(session, version.id, s)]
    if len(signed) < campaign.reviewers_per_file:
        return "in_review"
    if campaign.reviewers_per_file == 1:
        return "signed_off"
    return "disputed" if disagreements(session, case) else "agreed"


# -- two reviewers: disagreements and their resolution -------------------------------------------------


@dataclass
class Disagreement:
    kind: str
    target: str
    label: str
    a: CurrentDecision | None
    b: CurrentDecision | None


def _same(a: CurrentDecision | None, b: CurrentDecision | None) -> bool:
    norm = lambda d: None if d is None else (d.action, d.points or 0)  # noqa: E731
    return norm(a) == norm(b) or {norm(a), norm(b)} <= {None, ("score", 0), ("clear", 0)}


def disagreements(session: Session, case: CaseRecord) -> list[Disagreement]:
    version = current_version(session, case)
    campaign = session.get(Campaign, case.campaign_id)
    profile = campaign_profile(campaign)
    result = machine_result(session, version)
    first = current_decisions(session, version.id, 1)
    second = current_decisions(session, version.id, 2)
    found = []
    for key in sorted(set(first) | set(second)):
        a, b = first.get(key), second.get(key)
        if not _same(a, b):
            found.append(Disagreement(key[0], key[1], _target_label(profile, result, *key), a, b))
    return found


def resolve(
    store: Store,
    case_id: int,
    lead_id: int,
    choices: dict[tuple[str, str], str],
    reason: str,
    base_revision: int,
) -> SheetScore:
    """The lead's final sheet: reviewer 1's decisions, with each disagreement decided by `choices`
    ((kind, target) → "1" or "2"); then signed off by the lead."""
    if not (reason or "").strip():
        raise CampaignError("裁决分歧须填写理由")
    with store.session() as session:
        case = session.get(CaseRecord, case_id)
        lead = session.get(User, lead_id)
        if lead is None or lead.role != "lead":
            raise CampaignError("只有组长可以裁决分歧")
        version = current_version(session, case)
        sheets = {s: current_decisions(session, version.id, s) for s in (1, 2)}
        open_points = disagreements(session, case)
    missing = [d.label for d in open_points if (d.kind, d.target) not in choices]
    if missing:
        raise CampaignError(f"还有分歧未裁决：{'、'.join(missing)}")
    merged = dict(sheets[1])
    for (kind, target), side in choices.items():
        chosen = sheets[2 if str(side) == "2" else 1].get((kind, target))
        if chosen is None:
            merged.pop((kind, target), None)
        else:
            merged[(kind, target)] = chosen
    inputs = [
        DecisionInput(kind, target, d.action, d.points, d.reason or reason)
        for (kind, target), d in merged.items()
    ]
    withdrawn = [
        DecisionInput(kind, target, "clear" if kind == ITEM else "withdraw", None, reason)
        for (kind, target) in set(sheets[1]) - set(merged)
        if kind != FINDING
    ]
    revision = record_decisions(
        store, case_id, lead_id, inputs + withdrawn, base_revision, source="resolution", slot=RESOLUTION_SLOT
    )
    with store.write() as session:
        audit(
            session,
            session.get(User, lead_id).username,
            "resolve",
            {"case": case.case_key, "choices": {f"{k}:{t}": v for (k, t), v in choices.items()}},
            campaign_id=case.campaign_id,
            case_id=case_id,
            reason=reason,
        )
    return sign_off(store, case_id, lead_id, revision, slot=RESOLUTION_SLOT)


# -- results --------------------------------------------------------------------------------------------


def final_slot(session: Session, case: CaseRecord) -> int | None:
    """Whose sheet is the file's result: the lead's resolution, else the agreed reviewers' sheet."""
    if case.status == "resolved":
        return RESOLUTION_SLOT
    if case.status in ("signed_off", "agreed"):
        return 1
    return None


def final_rows(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """One row per file: machine pre-score and, where reviewed to the end, the final score."""
    rows = []
    cases = session.scalars(
        select(CaseRecord).where(CaseRecord.campaign_id == campaign.id).order_by(CaseRecord.case_key)
    ).all()
    for case in cases:
        version = current_version(session, case)
        result = machine_result(session, version)
        machine_score = (result.get("score") or {}).get("score")
        row = {
            "case_key": case.case_key,
            "case_number": case.case_number,
            "unit": case.unit,
            "title": case.title,
            "version": version.number,
            "status": case.status,
            "status_label": STATUS_LABELS.get(case.status, case.status),
            "machine_score": machine_score,
            "machine_grade": (result.get("score") or {}).get("grade"),
            "final_score": None,
            "final_grade": None,
            "vetoes": [],
            "errors": [e.get("message") for e in result.get("errors", [])],
        }
        slot = final_slot(session, case)
        if slot is not None:
            score = sheet_score(session, case, slot)
            row.update(final_score=score.score, final_grade=score.grade, final_graded=score.graded)
            row["vetoes"] = score.vetoes
            row["deductions"] = score.deductions
        rows.append(row)
    return rows


STATUS_LABELS = {
    "unassigned": "未分配",
    "assigned": "待评查",
    "in_review": "评查中",
    "signed_off": "已签署",
    "agreed": "两人一致",
    "disputed": "存在分歧",
    "resolved": "已裁决",
    "rejected": "无法评查",
}


def unit_figures(rows: Iterable[dict[str, Any]], failing_grade: str) -> list[dict[str, Any]]:
    units: dict[str, dict[str, Any]] = {}
    for row in rows:
        u = units.setdefault(
            row["unit"] or "（单位不详）",
            {
                "unit": row["unit"] or "（单位不详）",
                "files": 0,
                "final": 0,
                "passed": 0,
                "scores": [],
                "rejected": 0,
            },
        )
        u["files"] += 1
        u["rejected"] += row["status"] == "rejected"
        if row["final_score"] is not None and row.get("final_graded", True):  # ungraded: not in the rate
            u["final"] += 1
            u["scores"].append(row["final_score"])
            u["passed"] += row["final_grade"] != failing_grade
    figures = []
    for u in sorted(units.values(), key=lambda x: x["unit"]):
        scores = u.pop("scores")
        u["average"] = round(sum(scores) / len(scores), 1) if scores else None
        u["pass_rate"] = round(u["passed"] / u["final"], 4) if u["final"] else None
        figures.append(u)
    return figures


def progress(session: Session, campaign: Campaign) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(CaseRecord.status, func.count())
            .where(CaseRecord.campaign_id == campaign.id)
            .group_by(CaseRecord.status)
        ).all()
    )
    return {status: counts.get(status, 0) for status in STATUS_LABELS}


# -- rescoring, rectification and re-review ----------------------------------------------------------------


def rescore(store: Store, campaign_name: str | None, options: BatchOptions, actor: str) -> int:
    """Review every file's current version again under the campaign's profile (a new machine run;
    earlier runs are kept). Reviewer decisions stay attached to their findings by key."""
    with store.session() as session:
        campaign = get_campaign(session, campaign_name)
        profile = campaign_profile(campaign)
        items = session.execute(  # every file's current version in one query
            select(FileVersion.id, FileVersion.path, FileVersion.content)
            .join(CaseRecord, CaseRecord.id == FileVersion.case_id)
            .where(CaseRecord.campaign_id == campaign.id, FileVersion.number == CaseRecord.current_version)
            .order_by(CaseRecord.id)
        ).all()
    texts = [(path, content) for _, path, content in items]
    with _review_texts(texts, options, profile) as (results, renamed):

        def stage(result: CaseResult, index: int) -> bytes:  # in the worker that reviewed the file
            return staged_row({"version_id": items[index][0], **result_fields(renamed(result))})

        # reviewed before the write lock is taken
        with Staged(results.each(stage)) as staged, store.write() as session:
            campaign = get_campaign(session, campaign_name)
            run = _new_run(session, campaign, results.book.version, results.engine, actor)
            count = add_results(session, run.id, staged)
            audit(session, actor, "rescore", {"run": run.id, "files": count}, campaign_id=campaign.id)
    return count


@contextmanager
def _review_texts(
    items: list[tuple[str, str]], options: BatchOptions, profile: Profile
) -> Iterator[tuple[BatchRun, Callable[[CaseResult], CaseResult]]]:
    """Review stored texts (the store is the record; the original files may be gone or changed):
    the batch, and what gives a result of it back its file's original name."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="casereview-campaign-"))
    try:
        paths = []
        for index, (path, content) in enumerate(items):
            target = tmp / f"{index:06d}{Path(path).suffix or '.yaml'}"
            target.write_text(content, encoding="utf-8")
            paths.append(target)
        run = review_batch(paths, BatchOptions(**{**options.__dict__, "profile_model": profile}))
        original = {str(p): path for p, (path, _) in zip(paths, items, strict=True)}
        yield run, partial(_rename, original=original)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rename(result: CaseResult, original: dict[str, str]) -> CaseResult:
    temp = result.file
    name = original.get(temp, temp)
    result.file = name
    for f in result.findings:
        if f.location.file == temp:
            f.location.file = name
    for e in result.errors:
        if e.file == temp:
            e.file = name
    return result


@dataclass
class RereviewSummary:
    case_key: str
    version: int
    changes: list[str]
    score_before: float | None
    score_after: float | None


def rereview(
    store: Store,
    campaign_name: str | None,
    path: Path,
    options: BatchOptions,
    actor: str,
    note: str | None = None,
) -> RereviewSummary:
    """A rectified file (same case number, new content) becomes the file's next version: reviewed by
    machine, its reviewers' seats kept for a fresh review, and what changed listed."""
    with store.session() as session:
        campaign = get_campaign(session, campaign_name)
        profile = campaign_profile(campaign)
    run = review_batch([path], BatchOptions(**{**options.__dict__, "profile_model": profile}))
    keep_read_bytes(True)  # the version stores the bytes its machine result is about
    try:
        result, (text, digest) = next(run.each(partial(result_and_text, [path])))
    finally:
        keep_read_bytes(False)
    if result.status == "rejected" or not result.case_number:
        reasons = "；".join(e.message for e in result.errors) or "未记载案号"
        raise CampaignError(f"{path}：无法作为整改后的案卷重新评查（{reasons}），数据库未改动")
    with store.write() as session:
        campaign = get_campaign(session, campaign_name)
        case = session.scalar(
            select(CaseRecord).where(
                CaseRecord.campaign_id == campaign.id, CaseRecord.case_number == result.case_number
            )
        )
        if case is None:
            raise CampaignError(f"{path}：评查活动 {campaign.name} 中没有案号为 {result.case_number} 的案卷")
        before = current_version(session, case)
        if before.content_hash == digest:
            raise CampaignError(f"{path}：内容与第 {before.number} 版相同，不是整改后的新版本")
        old = machine_result(session, before)
        version = FileVersion(
            case_id=case.id,
            number=before.number + 1,
            path=str(path),
            content_hash=digest,
            content=text.decode(),
            origin="rectified",
            created_by=actor,
        )
        session.add(version)
        session.flush()
        machine_run = _new_run(session, campaign, run.book.version, run.engine, actor)
        add_results(session, machine_run.id, [{"version_id": version.id, **result_fields(result)}])
        session.add(
            Rectification(
                case_id=case.id,
                from_version=before.number,
                to_version=version.number,
                note=note,
                created_by=actor,
            )
        )
        case.current_version = version.number
        case.revision += 1
        seated = session.scalar(select(func.count()).where(Assignment.case_id == case.id, Assignment.active))
        case.status = "assigned" if seated else "unassigned"
        changes = finding_changes(old, json.loads(result.model_dump_json()))
        audit(
            session,
            actor,
            "rereview",
            {"case": case.case_key, "from": before.number, "to": version.number, "changes": changes},
            campaign_id=campaign.id,
            case_id=case.id,
            reason=note,
        )
        return RereviewSummary(
            case.case_key,
            version.number,
            changes,
            (old.get("score") or {}).get("score"),
            result.score.score if result.score else None,
        )


def finding_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a rectification changed in the machine findings (fixed, still there, new)."""

    def index(result):
        return {
            k: f
            for k, f in zip(finding_keys(result.get("findings", [])), result.get("findings", []), strict=True)
        }

    before, after = index(old), index(new)
    lines = [f"已整改：{f['code']} {f['title']}" for k, f in before.items() if k not in after]
    lines += [f"仍存在：{f['code']} {f['title']}" for k, f in before.items() if k in after]
    lines += [f"新出现：{f['code']} {f['title']}" for k, f in after.items() if k not in before]
    old_score, new_score = (old.get("score") or {}).get("score"), (new.get("score") or {}).get("score")
    lines.append(f"机器预评得分：{_fmt(old_score)} → {_fmt(new_score)}")
    return lines


def _fmt(score: float | None) -> str:
    return "—" if score is None else f"{score:g}"


def content_diff(session: Session, case: CaseRecord, a: int, b: int) -> list[str]:
    from difflib import unified_diff

    versions = {v.number: v for v in case.versions}
    return list(
        unified_diff(
            versions[a].content.splitlines(),
            versions[b].content.splitlines(),
            f"第{a}版",
            f"第{b}版",
            lineterm="",
        )
    )


# -- trends across campaigns --------------------------------------------------------------------------------


def trends(session: Session) -> list[dict[str, Any]]:
    """Per unit and campaign: files, files with a final result, average final score, pass rate."""
    rows = []
    shown = select(Campaign).where(Campaign.building.is_(None))
    for campaign in session.scalars(shown.order_by(Campaign.created_at, Campaign.id)):
        profile = campaign_profile(campaign)
        for figure in unit_figures(final_rows(session, campaign), profile.failing_grade):
            rows.append({"campaign": campaign.name, **figure})
    return rows


# -- the audit trail ------------------------------------------------------------------------------------


ACTION_LABELS = {
    "campaign.create": "建立评查活动",
    "user.add": "添加用户",
    "assign": "分配",
    "decision.confirm": "确认机器问题",
    "decision.override": "推翻机器问题",
    "decision.score": "人工评查项扣分",
    "decision.veto": "认定否决项",
    "decision.clear": "撤销扣分或否决",
    "decision.add": "增加问题",
    "decision.withdraw": "撤回问题",
    "signoff": "签署",
    "resolve": "裁决分歧",
    "rescore": "重新机器评查",
    "rereview": "整改后重新评查",
}


def audit_trail(
    session: Session, campaign: Campaign, case: CaseRecord | None = None, limit: int = 200
) -> list[dict]:
    """Who changed what, when and why: newest first."""
    query = select(AuditEvent).where(AuditEvent.campaign_id == campaign.id)
    if case is not None:
        query = query.where(AuditEvent.case_id == case.id)
    rows = []
    for event in session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)):
        rows.append(
            {
                "at": _when(event.at),
                "actor": event.actor,
                "action": event.action,
                "label": ACTION_LABELS.get(event.action, event.action),
                "detail": json.loads(event.detail),
                "reason": event.reason,
            }
        )
    return rows
