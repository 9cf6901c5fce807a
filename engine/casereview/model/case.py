"""The case file (案卷) as exported from an enforcement system.

Dates are `date`, money is integer yuan, enums accept codes or Chinese labels. Optional
sections are absent rather than empty strings; unknown fields are refused so a typo in an
export is reported instead of silently ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from .enums import (
    AccidentGrade,
    ActKind,
    ActResult,
    Adjustment,
    AgencyLevel,
    BodyKind,
    BodyRelation,
    Branch,
    Harm,
    MitigationGround,
    Outcome,
    PartyKind,
    PenaltyType,
    PerformerRole,
    PersonRole,
    Procedure,
    Recording,
    Sector,
    ServiceMethod,
    Target,
)
from .factories import instance_of, new_dict, new_list
from .unknown import Day, maybe

Yuan = Annotated[StrictInt, Field(ge=0, description="金额，单位：元（整数）")]
FactValue = StrictInt | float | bool | str | dt.date


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)


def cite_article(law: str, article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """《法》第N条第N款第N项 — the one way citations are written."""
    text = f"《{law}》第{article}条"
    if paragraph:
        text += f"第{paragraph}款"
    if item:
        text += f"第{item}项"
    return text


class LegalRef(Strict):
    """A citation: instrument, version, article, paragraph, item (法律依据，精确到条款项)."""

    law: maybe(str) = Field(description="法律文件名称，如 安全生产法")
    version: maybe(str | None) = Field(None, description="版本（修订年份或日期），如 2021")
    article: maybe(Annotated[StrictInt, Field(ge=1)]) = Field(description="条（不知道时写 未载明）")
    paragraph: maybe(Annotated[StrictInt, Field(ge=1)] | None) = Field(None, description="款")
    item: maybe(Annotated[StrictInt, Field(ge=1)] | None) = Field(None, description="项")
    sentence: maybe(Annotated[StrictInt, Field(ge=1)] | None) = Field(
        None, description="句（一款有两句不同罚则时，如安全生产法第一百零三条第三款第二句）"
    )

    def cite(self) -> str:
        law = self.law if isinstance(self.law, str) else "（法律未载明）"
        if not isinstance(self.article, int):
            return f"《{law}》（条款未载明）"
        paragraph = self.paragraph if isinstance(self.paragraph, int) else None
        item = self.item if isinstance(self.item, int) else None
        sentence = self.sentence if isinstance(self.sentence, int) else None
        return cite_article(law, self.article, paragraph, item) + (f"第{sentence}句" if sentence else "")


class Instrument(Strict):
    """A written instrument a body acts under: 委托书, 授权的法律法规, 承接行政处罚权的决定."""

    title: str | None = Field(None, description="名称，如 行政执法委托书")
    number: str | None = Field(None, description="文号")
    on: dt.date | None = Field(None, description="日期")


class Agency(Strict):
    name: str = Field(min_length=1, description="执法机关名称（必填）")
    region: maybe(Annotated[str, Field(pattern=r"^\d{6}$")] | None) = Field(
        None, description="行政区划代码（6位）"
    )
    level: maybe(AgencyLevel | None) = None
    devolution: Instrument | None = Field(
        None,
        description="乡镇人民政府、街道办事处作出决定时：承接县级部门行政处罚权的决定（行政处罚法第二十四条）",
    )
    devolution_recorded: maybe(bool | None) = Field(
        None, description="案卷是否载明承接行政处罚权的决定（false：未载明；不填：不知道）"
    )


class ActingBody(Strict):
    """A body other than the deciding agency that performed acts of the case (乡镇、街道、执法大队…)."""

    id: str = Field(min_length=1, description="在 acts[].body 中引用的编号")
    name: str = Field(min_length=1, description="名称，如 某某镇人民政府")
    kind: maybe(BodyKind | None) = Field(None, description="主体类型")
    relation: maybe(BodyRelation | None) = Field(
        None, description="与作出决定的机关的关系（委托/授权/赋权…）；不填：案卷未载明，待人工评查"
    )
    instrument: Instrument | None = Field(None, description="委托书、授权依据或承接决定")
    instrument_recorded: maybe(bool | None) = Field(
        None, description="案卷是否附有或载明上述文件（false：没有；不填且无 instrument：不知道）"
    )
    scope: list[ActKind] = Field(
        default_factory=new_list, description="委托书载明的委托事项（执法环节）；空：未载明"
    )
    valid_from: maybe(dt.date | None) = Field(None, description="委托期限起")
    valid_to: maybe(dt.date | None) = Field(None, description="委托期限止（含当日）")
    in_own_name: maybe(bool | None) = Field(
        None, description="以自己的名义实施（受委托组织应以委托机关名义）"
    )


class CaseInfo(Strict):
    number: str | None = Field(None, min_length=1, description="案号（案号与 id 至少填一项）")
    id: str | None = Field(None, min_length=1, description="案卷编号（导出系统中的唯一编号，无案号时必填）")
    title: maybe(str | None) = Field(None, description="案由")
    agency: Agency
    procedure: maybe(Procedure | None) = Field(None, description="程序类型（缺省视为未载明）")
    opened_on: maybe(Day | None) = Field(None, description="立案日期（简易程序可无）")
    closed_on: maybe(Day | None) = Field(None, description="结案日期")
    handlers: maybe(list[str]) = Field(default_factory=new_list, description="承办人（办案人员）姓名")

    @model_validator(mode="after")
    def _identified(self) -> CaseInfo:
        if not self.number and not self.id:
            raise ValueError("案号 number 与案卷编号 id 至少填写一项")
        return self

    @property
    def label(self) -> str:
        """The case number, or the file id when the number is not known."""
        return self.number or f"（无案号，案卷编号 {self.id}）"


class PartyFlags(Strict):
    """Facts the exemption lists read (None = not recorded in the file)."""

    serious_dishonesty: maybe(bool | None) = Field(None, description="列入安全生产严重失信主体名单")
    fatal_accident_within_3y: maybe(bool | None) = Field(
        None, description="三年内发生过人员死亡的生产安全事故"
    )
    major_hazard_source: maybe(bool | None) = Field(None, description="存在重大危险源")


class Party(Strict):
    kind: maybe(PartyKind | None) = Field(None, description="当事人类型（缺省视为未载明）")
    name: maybe(str | None) = Field(None, description="当事人名称或姓名")
    credit_code: maybe(str | None) = Field(None, description="统一社会信用代码")
    id_number: maybe(str | None) = Field(None, description="居民身份证号码（个人）")
    address: maybe(str | None) = None
    phone: maybe(str | None) = None
    sector: maybe(Sector | None) = Field(None, description="行业领域")
    headcount: maybe(Annotated[StrictInt, Field(ge=0)] | None) = Field(None, description="从业人员人数")
    age: maybe(Annotated[StrictInt, Field(ge=0, le=150)] | None) = Field(
        None, description="违法行为发生时的年龄（公民）"
    )
    born_on: maybe(Day | None) = Field(None, description="出生日期（公民；未写时取身份证号码中的出生日期）")
    flags: PartyFlags = Field(default_factory=instance_of(PartyFlags))


class Person(Strict):
    """A responsible person named in the decision (一案双罚)."""

    id: str = Field(min_length=1)
    name: maybe(str | None) = None
    role: maybe(PersonRole | None) = Field(None, description="身份（缺省视为未载明）")
    id_number: maybe(str | None) = None
    phone: maybe(str | None) = None
    last_year_income: maybe(Yuan | None) = Field(None, description="上一年年收入（元）")


class Discretion(Strict):
    """The discretion the decision claims for one violation (裁量说明)."""

    benchmark_item: maybe(str | None) = Field(None, description="适用的裁量基准事项编号")
    benchmark: maybe(str | None) = Field(
        None, description="决定书引用的裁量基准（名称或文号，如 应急〔2024〕90号）"
    )
    tier: maybe(
        Annotated[StrictInt, Field(ge=1)] | Annotated[str, Field(min_length=1, max_length=20)] | None
    ) = Field(None, description="裁量阶次：序号（2）或原文编号（A、二）")
    tier_label: maybe(str | None) = Field(None, description="裁量阶次原文表述")
    adjustment: maybe(Adjustment) = Field(Adjustment("none"), description="从轻/减轻/从重/不予处罚")
    grounds: maybe(list[MitigationGround]) = Field(
        default_factory=new_list, description="从轻、减轻的法定情节"
    )
    list_item: maybe(str | None) = Field(None, description="适用的减免责清单事项编号")
    stated_in_decision: maybe(bool) = Field(False, description="决定书是否载明裁量基准、阶次及理由")
    amount: maybe(Yuan | None) = Field(
        None, description="本项违法行为单独裁量的罚款数额（元）；合并处罚时写明即为分别裁量"
    )


class Violation(Strict):
    id: str | None = Field(None, min_length=1, description="编号（缺省为 v1、v2……）")
    description: maybe(str | None) = Field(None, description="违法事实")
    duty: maybe(LegalRef | None) = Field(None, description="违反的法律规定")
    penalty_basis: maybe(LegalRef | None) = Field(None, description="处罚依据（缺省视为未载明）")
    committed_on: maybe(Day | None) = Field(None, description="违法行为发生日（缺省视为未载明）")
    continuing_until: maybe(Day | None) = Field(None, description="连续或继续状态终了日")
    discovered_on: maybe(Day | None) = Field(None, description="发现日")
    branch: maybe(Branch) = Field(Branch("initial"), description="适用的处罚情形")
    first_offence: maybe(bool | None) = Field(None, description="初次违法")
    harm: maybe(Harm | None) = Field(None, description="危害后果")
    corrected_in_time: maybe(bool | None) = Field(None, description="及时改正（限期内改正并经复查）")
    major_hazard: maybe(bool | None) = Field(None, description="构成重大事故隐患")
    health_safety_harm: maybe(bool | None) = Field(
        None, description="涉及公民生命健康安全且有危害后果（行政处罚法第三十六条五年时效）"
    )
    accident_grade: maybe(AccidentGrade | None) = None
    previously_fined: maybe(bool | None) = Field(
        None,
        description="此前已就该违法行为作出罚款决定（加重情形下是否重复罚款、按日连续处罚的前提）",
    )
    illegal_gains: maybe(Yuan | None) = Field(None, description="违法所得（元）")
    gains_refund_due: maybe(bool | None) = Field(
        None, description="违法所得依法应当退赔（行政处罚法第二十八条第二款的除外情形）"
    )
    facts: dict[str, maybe(FactValue)] = Field(
        default_factory=new_dict, description="裁量阶次读取的情节事实，如 locations_count、affected_share"
    )
    discretion: maybe(Discretion | None) = None


class Performer(Strict):
    name: maybe(Annotated[str, Field(min_length=1)] | None) = Field(None, description="姓名")
    cert: maybe(str | None) = Field(None, description="执法证件号")
    role: maybe(PerformerRole) = PerformerRole("officer")


class Act(Strict):
    """One enforcement act (执法环节) with its date, performers and record."""

    id: str | None = None
    kind: ActKind
    body: str | None = Field(None, description="实施本环节的其他主体（bodies 中的 id）；不填：作出决定的机关")
    on: maybe(Day | None) = Field(None, description="日期（缺省视为未载明）")
    by: maybe(list[Performer]) = Field(
        default_factory=new_list, description="实施人员（缺省表示案卷未记载任何人员；不掌握时写 未载明）"
    )
    recorded: maybe(Recording | None) = Field(None, description="记录形式（音像记录等）")
    documents: list[str] = Field(default_factory=new_list, description="形成的文书")
    violation_ids: list[str] = Field(default_factory=new_list)
    deadline: maybe(Day | None) = Field(None, description="整改期限（责令限期改正）")
    result: maybe(ActResult | None) = Field(None, description="结果（复查、审核、申请等）")
    approved: maybe(bool | None) = Field(None, description="经负责人批准")
    method: maybe(ServiceMethod | None) = Field(None, description="送达方式")
    hearing_right_notified: maybe(bool | None) = Field(None, description="告知书是否告知听证权利")
    testing_days: maybe(Annotated[StrictInt, Field(ge=0)] | None) = Field(
        None, description="查封、扣押期间不计入期限的检测、检验、检疫或者技术鉴定期间（日）"
    )
    reason: str | None = Field(None, description="事由（如集体讨论、法制审核的理由）")
    note: str | None = None


class Penalty(Strict):
    target: maybe(Target | None) = Field(None, description="处罚对象（缺省视为未载明）")
    person_id: str | None = Field(None, description="被处罚个人（persons 中的 id）")
    type: maybe(PenaltyType | None) = Field(None, description="处罚种类（缺省视为未载明）")
    amount: maybe(Yuan | None) = Field(
        None,
        description="罚款金额（元；罚款缺省金额视为未载明）；没收违法所得、非法财物时为没收的数额（元，听证较大数额按此判断）",
    )
    violation_ids: list[str] = Field(default_factory=new_list, description="对应的违法行为（合并处罚可多项）")
    basis: maybe(LegalRef | None) = Field(None, description="本项处罚的依据（缺省取违法行为的处罚依据）")
    notified: maybe(bool | None) = Field(
        None, description="行政处罚告知书是否告知了本项处罚（拟作出的处罚内容）；不填：导出未记载"
    )
    notified_amount: maybe(Yuan | None) = Field(
        None, description="告知书中本项罚款的拟罚数额（元；多次告知时为决定前最后一次告知的数额）"
    )


class Decision(Strict):
    outcome: maybe(Outcome | None) = Field(None, description="处理结果（缺省视为未载明）")
    decided_on: maybe(Day | None) = Field(None, description="决定日期（缺省视为未载明）")
    number: maybe(str | None) = Field(None, description="决定书文号")
    penalties: maybe(list[Penalty]) = Field(default_factory=new_list, description="处罚（不掌握时写 未载明）")
    major_case: maybe(bool | None) = Field(None, description="情节复杂或者重大违法行为（需集体讨论）")


class Document(Strict):
    title: maybe(str | None) = Field(None, description="文书名称")
    number: maybe(str | None) = Field(None, description="文号（可只有文号没有日期）")
    on: maybe(Day | None) = Field(None, description="日期")


class CaseFile(Strict):
    """A whole case file (案卷)."""

    schema_version: Literal["1"] = "1"
    case: CaseInfo
    party: Party = Field(default_factory=instance_of(Party), description="当事人（缺省：各项未载明）")
    persons: list[Person] = Field(default_factory=new_list)
    violations: list[Violation] = Field(default_factory=new_list, description="违法行为")
    acts: maybe(list[Act]) = Field(
        default_factory=new_list,
        description="执法环节（缺省表示案卷没有任何环节记录；导出方不掌握办案过程时写 未载明）",
    )
    decision: maybe(Decision | None) = Field(None, description="处理决定（缺省表示尚未作出决定）")
    documents: maybe(list[Document]) = Field(default_factory=new_list, description="文书目录")
    bodies: list[ActingBody] = Field(
        default_factory=new_list, description="实施了部分执法环节的其他主体（乡镇、街道、执法大队等）"
    )

    @model_validator(mode="after")
    def _references_resolve(self) -> CaseFile:
        for index, violation in enumerate(self.violations):
            if violation.id is None:
                violation.id = f"v{index + 1}"
        violation_ids = {v.id for v in self.violations}
        person_ids = {p.id for p in self.persons}
        body_ids = {b.id for b in self.bodies}
        for act in self.acts if isinstance(self.acts, list) else ():
            if act.body is not None and act.body not in body_ids:
                raise ValueError(f"acts 引用了不存在的实施主体 {act.body!r}（应为 bodies 中的 id）")
            for vid in act.violation_ids:
                if vid not in violation_ids:
                    raise ValueError(f"acts 引用了不存在的违法行为 {vid!r}")
        if isinstance(self.decision, Decision) and isinstance(self.decision.penalties, list):
            for penalty in self.decision.penalties:
                for vid in penalty.violation_ids:
                    if vid not in violation_ids:
                        raise ValueError(f"decision.penalties 引用了不存在的违法行为 {vid!r}")
                if penalty.person_id and penalty.person_id not in person_ids:
                    raise ValueError(f"decision.penalties 引用了不存在的个人 {penalty.person_id!r}")
        return self

    @property
    def acts_list(self) -> list[Act]:
        """The recorded acts ([] when the exporter marked the whole record unknown)."""
        return self.acts if isinstance(self.acts, list) else []

    @property
    def decision_record(self) -> Decision | None:
        return self.decision if isinstance(self.decision, Decision) else None
