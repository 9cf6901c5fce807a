"""The fact vocabulary: every field a rule may read, per fact kind, with type and meaning.

Rule packs are validated against it at load (an unknown field or a literal of the wrong type
is refused), which is also what keeps durable_rules away from its mixed-type comparisons.
Circumstance facts declared by benchmark tables are added at load as `f_<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model.enums import MitigationGround, PenaltyType

PENALTY_TYPE_CODES: tuple[str, ...] = tuple(PenaltyType._labels)  # type: ignore[attr-defined]
# the fact field saying the decision states one mitigation ground (行政处罚法 arts. 30-32)
GROUND_FIELDS: dict[str, str] = {code: f"ground_{code}" for code in MitigationGround._labels}  # type: ignore[attr-defined]

FieldType = Literal["int", "number", "bool", "str", "date"]


@dataclass(frozen=True)
class FieldSpec:
    type: FieldType
    label: str


def _spec(type_: FieldType, label: str) -> FieldSpec:
    return FieldSpec(type_, label)


COMMON: dict[str, FieldSpec] = {
    "procedure": _spec("str", "程序类型 general/simple"),
    "party_kind": _spec("str", "当事人类型 organisation/individual/individual_business"),
    "sector": _spec("str", "行业领域"),
    "decided_on": _spec("date", "决定日期"),
    "opened_on": _spec("date", "立案日期"),
    "outcome": _spec("str", "处理结果 penalty/no_penalty/not_established/transfer"),
    "agency_region": _spec("str", "执法机关行政区划代码（6位）"),
    "province": _spec("str", "执法机关所在省级行政区划代码前两位，如 36（江西）"),
    "agency_prefecture": _spec("str", "执法机关所在设区的市级行政区划代码前四位"),
}

CASE: dict[str, FieldSpec] = {
    "agency_level": _spec(
        "str", "作出决定的机关层级 national/provincial/municipal/county/township（未载明时无此字段）"
    ),
    "agency_devolution_recorded": _spec(
        "bool", "载明了乡镇、街道承接行政处罚权的决定（未载明是否有时无此字段）"
    ),
    "n_body_acts": _spec("int", "由其他主体（乡镇、街道、执法大队等）实施的执法环节数"),
    "headcount": _spec("int", "从业人员人数"),
    "closed_on": _spec("date", "结案日期"),
    "has_decision": _spec("bool", "案卷含处理决定"),
    "n_penalties": _spec("int", "处罚项数"),
    "fine_total": _spec("int", "罚款合计（元）"),
    "fine_total_unit": _spec("int", "对单位罚款合计（元）"),
    "fine_max_person": _spec("int", "对单个个人的最高罚款（元）"),
    "fine_max_per_person": _spec("int", "对同一个人的罚款合计的最高值（元，按人分别合计）"),
    "fine_max_per_citizen": _spec(
        "int", "对同一公民的罚款合计的最高值（元：被处罚的个人，及公民、个体工商户当事人本人）"
    ),
    "confiscation_total_unit": _spec("int", "对当事人（单位）没收违法所得、非法财物的数额合计（元）"),
    "confiscation_citizen_max": _spec("int", "对公民（个人当事人或被处罚个人）没收数额的最高值（元）"),
    "unit_penalized": _spec("bool", "对当事人（生产经营单位一方）作出了处罚"),
    "notice_same_day": _spec("bool", "告知与决定同日"),
    "statement_waived": _spec("bool", "当事人在决定前书面放弃陈述、申辩"),
    "hearing_notice_workdays": _spec("int", "听证通知后至听证日的工作日数（通知日不计、听证日计入）"),
    "has_suspension": _spec("bool", "处罚含责令停产停业（整顿）"),
    "has_licence_revocation": _spec("bool", "处罚含吊销许可证件"),
    "has_closure": _spec("bool", "处罚含责令关闭"),
    **{
        f"has_penalty_{code}": _spec("bool", f"处罚含{label}")
        for code, label in PenaltyType._labels.items()  # type: ignore[attr-defined]
    },
    "major_case": _spec("bool", "决定认定情节复杂或者重大违法"),
    "hearing_right_notified": _spec("bool", "告知书告知了听证权利"),
    "notice_day_known": _spec("bool", "有告知日期"),
    "notice_on": _spec("date", "告知日期"),
    "notice_before_decision": _spec("bool", "告知早于决定"),
    "hearing_requested": _spec("bool", "当事人要求听证"),
    "hearing_held": _spec("bool", "举行了听证"),
    "hearing_on": _spec("date", "听证日期"),
    "hearing_request_workdays": _spec("int", "告知至听证申请的工作日数"),
    "hearing_notice_gap_workdays": _spec("int", "听证通知与听证之间的工作日数（不含两端）"),
    "hearing_chair_is_investigator": _spec("bool", "听证主持人参与了本案调查"),
    "decision_after_hearing": _spec("bool", "决定晚于听证"),
    "legal_review_present": _spec("bool", "有法制审核记录"),
    "legal_review_before_decision": _spec("bool", "法制审核早于或同日于决定"),
    "legal_review_approved": _spec("bool", "法制审核结论为同意"),
    "legal_reviewer_is_handler": _spec("bool", "法制审核人员同时为承办人"),
    "legal_reviewer_unqualified": _spec("bool", "法制审核人员无法律职业资格"),
    "legal_reviewer_unverified": _spec("bool", "法制审核人员不在证件台账中"),
    "collective_discussion_present": _spec("bool", "有集体讨论记录"),
    "collective_discussion_before_decision": _spec("bool", "集体讨论早于或同日于决定"),
    "extension_approved": _spec("bool", "有经批准的延期"),
    "decision_natural_days": _spec("int", "立案至决定的自然日数（已计入节假日顺延）"),
    "service_present": _spec("bool", "有送达记录"),
    "served_on_the_spot": _spec("bool", "决定书当场交付"),
    "service_workdays": _spec("int", "决定至送达的工作日数"),
    "service_before_decision": _spec("bool", "送达早于决定"),
    "publicity_present": _spec("bool", "有公示记录"),
    "publicity_workdays": _spec("int", "决定至公示的工作日数"),
    "preservation_present": _spec("bool", "有先行登记保存"),
    "preservation_decision_workdays": _spec("int", "登记保存至处理决定的工作日数"),
    "preservation_decided": _spec("bool", "登记保存已作出处理决定"),
    "decision_before_opening": _spec("bool", "决定早于立案"),
    "transfer_present": _spec("bool", "有移送司法机关记录"),
    "stop_order_refused": _spec("bool", "责令停产停业/停止使用后拒不执行"),
    "coercion_on": _spec("date", "第一项查封、扣押的日期（没有查封、扣押时无此字段）"),
    "coercion_days": _spec(
        "int",
        "查封、扣押至解除或作出处理决定的自然日数（多项时取最长；期末遇节假日顺延，扣除检测、检验期间）",
    ),
    "coercion_unended": _spec("bool", "有查封、扣押，案卷没有其后解除或作出处理决定（没收、销毁）的记录"),
    "coercion_extended": _spec("bool", "有经负责人批准延长查封、扣押期限的记录"),
    "major_hazard_any": _spec("bool", "任一违法行为构成重大事故隐患"),
    "calendar_incomplete": _spec("bool", "工作日计算使用了估算日历"),
    # procedure / hearing / deadline / transfer packs (issue 3)
    "decision_before_hearing": _spec("bool", "决定早于听证（同日不算）"),
    "hearing_no_independent_chair": _spec("bool", "听证在场人员均为本案承办人，无非本案调查人员可以主持"),
    "hearing_waived": _spec("bool", "当事人书面放弃听证"),
    "notice_decision_workdays": _spec("int", "告知至决定的工作日数"),
    "fine_citizen_max": _spec("int", "对公民（含个体工商户当事人）的最高罚款（元）"),
    "decision_calendar_days": _spec("int", "立案至决定的自然日数（未扣除节假日顺延）"),
    "stop_order_on": _spec("date", "最早的责令停产停业/停止使用日期"),
    "refusal_found_on": _spec("date", "复查发现拒不执行或逾期未改正的日期"),
    "hazard_order_refused": _spec(
        "bool", "因重大事故隐患被责令停产停业、停止使用或立即整改后，复查发现拒不执行或未改正"
    ),
    "hazard_order_on": _spec("date", "对重大事故隐患作出责令（停产停业、停止使用、整改）的日期"),
    "hazard_refusal_on": _spec("date", "复查发现拒不执行该责令的日期"),
    "calendar_note": _spec("str", "工作日估算说明（日历完整时为空串）"),
}

ACT: dict[str, FieldSpec] = {
    "act_kind": _spec("str", "执法环节类型"),
    "on": _spec("date", "环节日期"),
    "n_performers": _spec("int", "实施人员人数"),
    "n_officers": _spec("int", "以执法人员身份参与的人数"),
    "n_valid_officers": _spec("int", "当日证件有效的执法人员人数"),
    "n_unverified_officers": _spec("int", "无法核验证件的执法人员人数"),
    "n_countable_officers": _spec("int", "证件有效或无法核验的执法人员人数（确定少于两人时为否决）"),
    "n_non_officers": _spec("int", "技术检查员、辅助人员等非执法人员人数"),
    "recorded": _spec("str", "记录形式 none/text/audio/video"),
    "approved": _spec("bool", "经负责人批准"),
    "result": _spec("str", "结果"),
    "before_opening": _spec("bool", "早于立案"),
    "after_decision": _spec("bool", "晚于决定"),
    "body_present": _spec("bool", "本环节由作出决定的机关以外的主体实施"),
    "body_name": _spec("str", "实施主体名称"),
    "body_text": _spec("str", "实施主体（用于问题说明；本机关实施时为空串）"),
    "body_first_act": _spec(
        "bool", "本环节是该主体在案卷中实施的第一个环节（关于主体本身的规则只在此判断一次）"
    ),
    "body_n_acts": _spec("int", "该主体实施的环节数"),
    "body_acts_text": _spec("str", "该主体实施的环节（用于问题说明）"),
    "body_kind": _spec("str", "实施主体类型 township/subdistrict/agency_unit/zone/other_agency/other"),
    "body_relation": _spec(
        "str",
        "实施主体与决定机关的关系 agency/entrusted/authorised/devolved/centralised/assisting/none",
    ),
    "body_instrument_recorded": _spec("bool", "案卷附有或载明委托书、授权或承接决定（不知道时无此字段）"),
    "body_instrument": _spec("str", "委托书、授权或承接决定的名称文号"),
    "body_in_scope": _spec("bool", "本环节属于委托书载明的委托事项（委托书未列事项时无此字段）"),
    "body_in_term": _spec("bool", "本环节日期在委托期限内（未载明期限时无此字段）"),
    "body_in_own_name": _spec("bool", "实施主体以自己的名义实施"),
}

PERFORMER: dict[str, FieldSpec] = {
    "act_kind": _spec("str", "所在执法环节"),
    "on": _spec("date", "环节日期"),
    "name": _spec("str", "姓名"),
    "cert": _spec("str", "证件号"),
    "role": _spec("str", "案卷记载的身份"),
    "roster_role": _spec("str", "台账记载的身份"),
    "cert_status": _spec(
        "str", "证件在当日的状态 valid/expired/not_yet_valid/suspended/revoked/not_in_roster/no_cert"
    ),
    "cert_valid_to": _spec("date", "证件有效期止"),
    "cert_valid_from": _spec("date", "证件有效期起"),
    "legal_qualification": _spec("bool", "取得法律职业资格"),
    "is_handler": _spec("bool", "系本案承办人"),
    "name_mismatch": _spec("bool", "台账持证人与案卷姓名不符"),
    "body_present": _spec("bool", "本环节由作出决定的机关以外的主体实施"),
    "body_name": _spec("str", "实施主体名称"),
    "body_text": _spec("str", "实施主体（用于问题说明；本机关实施时为空串）"),
}

PENALTY: dict[str, FieldSpec] = {
    "target": _spec("str", "处罚对象 unit/person"),
    "penalty_type": _spec("str", "处罚种类"),
    "amount": _spec("int", "罚款金额（元）"),
    "person_role": _spec("str", "被处罚个人的身份"),
    "person_income": _spec("int", "被处罚个人上一年年收入（元）"),
    "basis_law": _spec("str", "处罚依据法律"),
    "basis_version": _spec("str", "处罚依据版本"),
    "basis_article": _spec("int", "处罚依据条"),
    "basis_paragraph": _spec("int", "处罚依据款"),
    "basis_item": _spec("int", "处罚依据项"),
    "basis_version_stated": _spec("bool", "处罚依据写明了版本"),
    "basis_paragraph_stated": _spec("bool", "处罚依据写明了款"),
    "basis_sentence": _spec("int", "处罚依据句（一款两句罚则时）"),
    "basis_sentence_stated": _spec("bool", "处罚依据写明了句"),
    "branch": _spec(
        "str", "适用情形 initial/overdue_uncorrected/refused_execution/refused_correction/accident"
    ),
    "escalation_evidence": _spec("bool", "有责令改正及复查未改正（或拒不执行）的证据"),
    "illegal_gains": _spec("int", "违法所得（元）"),
    "previously_fined": _spec("bool", "此前已就该违法行为作出罚款决定"),
    "accident_grade": _spec("str", "事故等级"),
    "adjustment": _spec("str", "裁量调整 none/lighter/mitigated/heavier/exempt"),
    "has_mitigation_ground": _spec("bool", "载明了从轻、减轻的法定情节"),
    "benchmark_item": _spec("str", "决定适用的裁量基准事项"),
    "tier": _spec("int", "决定适用的裁量阶次（以序号表示时）"),
    "tier_key": _spec("str", "决定适用的裁量阶次编号（2、A…，已规范化）"),
    "tier_stated": _spec("str", "决定适用的裁量阶次（第2阶次、阶次A）"),
    "benchmark_ref": _spec("str", "决定书引用的裁量基准（原文）"),
    "benchmark_ref_number": _spec("str", "决定书引用的裁量基准文号（规范化）"),
    "benchmark_ref_title": _spec("str", "决定书引用的裁量基准书名号内的名称（规范化）"),
    "benchmark_ref_text": _spec("str", "决定书引用的裁量基准全文去掉文号（规范化）"),
    "discretion_stated": _spec("bool", "决定书载明裁量基准及阶次"),
    "committed_on": _spec("date", "违法行为发生日"),
    "ended_on": _spec("date", "违法行为终了日（连续或继续状态；据此选择法律版本）"),
    "violation_id": _spec("str", "对应违法行为"),
    "n_violations": _spec("int", "本项处罚对应的违法行为数"),
    "combined": _spec("bool", "一项处罚对应两项以上违法行为（合并处罚）"),
    "combined_max": _spec("int", "合并处罚：各项违法行为法定罚款上限之和（元）"),
    "combined_min": _spec("int", "合并处罚：各项违法行为法定罚款下限之和（元）"),
    "combined_verified": _spec("bool", "合并处罚：各项幅度均为官方文本或逐字转载"),
    "combined_note": _spec("str", "合并处罚：各项违法行为的法定幅度"),
    "separate_part": _spec("bool", "合并处罚中某一违法行为分别裁量的部分（按单项处罚核对）"),
    "parts_amount_sum": _spec("int", "合并处罚：各违法行为分别裁量数额之和（元）"),
    "notified": _spec("bool", "告知书告知了本项处罚（案卷未记载时无此字段）"),
    "notified_amount": _spec("int", "告知书中本项罚款的拟罚数额（元；最后一次告知）"),
}

VIOLATION: dict[str, FieldSpec] = {
    "violation_id": _spec("str", "违法行为编号"),
    "basis_law": PENALTY["basis_law"],
    "basis_version": PENALTY["basis_version"],
    "basis_article": PENALTY["basis_article"],
    "basis_paragraph": PENALTY["basis_paragraph"],
    "basis_item": PENALTY["basis_item"],
    "basis_version_stated": PENALTY["basis_version_stated"],
    "basis_paragraph_stated": PENALTY["basis_paragraph_stated"],
    "basis_sentence": PENALTY["basis_sentence"],
    "basis_sentence_stated": PENALTY["basis_sentence_stated"],
    "fined_unit": _spec("bool", "就本违法行为对单位处以罚款"),
    "fined_person": _spec("bool", "就本违法行为对个人处以罚款"),
    "penalized": _spec("bool", "就本违法行为给予了行政处罚（任何种类）"),
    "committed_on": _spec("date", "违法行为发生日"),
    "ended_on": _spec("date", "违法行为终了日（连续或继续状态）"),
    "discovered_on": _spec("date", "发现日（缺省取首次检查或立案）"),
    "days_to_discovery": _spec("int", "终了至发现的自然日数"),
    "months_to_discovery": _spec("int", "终了至发现经过的月数（发现日不晚于终了日加 m 个月的最小 m）"),
    "first_offence": _spec("bool", "初次违法"),
    "harm": _spec("str", "危害后果 none/minor/serious"),
    "corrected_in_time": _spec("bool", "及时改正"),
    "major_hazard": _spec("bool", "构成重大事故隐患"),
    "health_safety_harm": _spec("bool", "涉及生命健康安全且有危害后果"),
    "accident_grade": PENALTY["accident_grade"],
    "serious_dishonesty": _spec("bool", "严重失信主体"),
    "fatal_accident_within_3y": _spec("bool", "三年内发生死亡事故"),
    "major_hazard_source": _spec("bool", "存在重大危险源"),
    "branch": PENALTY["branch"],
    "escalation_evidence": PENALTY["escalation_evidence"],
    "n_fines": _spec("int", "对本违法行为的罚款项数（对同一对象）"),
    "n_fines_unit": _spec("int", "对单位就本违法行为的罚款项数"),
    "in_combined_fine": _spec("bool", "本违法行为与其他违法行为合并处以一项罚款"),
    "separate_amount_stated": _spec("bool", "载明了本违法行为单独裁量的罚款数额（分别裁量）"),
    "fined": _spec("bool", "被处以罚款"),
    "illegal_gains": _spec("int", "违法所得（元）"),
    "confiscated": _spec("bool", "决定对本违法行为没收违法所得、非法财物（案卷未认定违法所得时无此字段）"),
    "gains_refund_due": _spec("bool", "违法所得依法应当退赔"),
    "adjustment": PENALTY["adjustment"],
    **{
        GROUND_FIELDS[code]: _spec("bool", f"裁量说明载明从轻、减轻情节：{label}（未载明该情节时无此字段）")
        for code, label in MitigationGround._labels.items()  # type: ignore[attr-defined]
    },
    "grounds_text": _spec("str", "裁量说明载明的从轻、减轻情节（用于问题说明）"),
    "party_age": _spec(
        "int",
        "当事人（公民）违法行为发生时的周岁年龄：party.age，或出生日期 party.born_on、"
        "身份证号码中的出生日期（单位当事人无此字段）",
    ),
    "list_item": _spec("str", "适用的减免责清单事项"),
    "benchmark_item": PENALTY["benchmark_item"],
    "has_education": _spec("bool", "有批评教育记录"),
    "has_no_penalty_decision": _spec("bool", "有不予行政处罚决定书"),
    "has_commitment": _spec("bool", "有承诺书"),
    "has_correction_order": _spec("bool", "有责令限期改正"),
    "reinspection_corrected": _spec("bool", "复查确认已改正"),
    "coercive_measure": _spec("bool", "对其采取了查封、扣押等行政强制措施"),
    "has_reinspection": _spec("bool", "有复查记录"),
    "transfer_present": _spec("bool", "案卷有移送司法机关记录"),
    "stop_order_refused": _spec("bool", "责令停产停业/停止使用后拒不执行（全案）"),
}

KINDS: dict[str, dict[str, FieldSpec]] = {
    "case": CASE,
    "act": ACT,
    "performer": PERFORMER,
    "penalty": PENALTY,
    "violation": VIOLATION,
}

# Where each kind's date for effective periods and dated parameters comes from by default.
DEFAULT_DATE_FIELD: dict[str, str] = {
    "case": "decided_on",
    "act": "on",
    "performer": "on",
    "penalty": "decided_on",
    "violation": "decided_on",
}

CIRCUMSTANCE_PREFIX = "f_"


def fields_of(kind: str) -> dict[str, FieldSpec]:
    return {**COMMON, **KINDS[kind]}
