"""The closed vocabularies of a case file, each code with its Chinese label."""

from __future__ import annotations

from .labels import labelled

Procedure = labelled("Procedure", {"general": "一般程序", "simple": "简易程序"})

AgencyLevel = labelled(
    "AgencyLevel",
    {
        "national": "国家级",
        "provincial": "省级",
        "municipal": "设区的市级",
        "county": "县级",
        "township": "乡镇级",
    },
)

PartyKind = labelled(
    "PartyKind",
    {"organisation": "法人或者其他组织", "individual": "公民", "individual_business": "个体工商户"},
)

Sector = labelled(
    "Sector",
    {
        "hazardous_chemicals": "危险化学品",
        "non_coal_mine": "非煤矿山",
        "metal_smelting": "金属冶炼",
        "fireworks": "烟花爆竹",
        "industry_trade": "工贸",
        "construction": "建筑施工",
        "other": "其他",
    },
)

PersonRole = labelled(
    "PersonRole",
    {
        "principal": "主要负责人",
        "other_leader": "其他负责人",
        "safety_manager": "安全生产管理人员",
        "responsible_supervisor": "直接负责的主管人员",
        "directly_responsible": "其他直接责任人员",
        "investor": "个人经营的投资人",
        "worker": "从业人员",
    },
)

PerformerRole = labelled(
    "PerformerRole",
    {
        "officer": "执法人员",
        "technical_inspector": "技术检查员",
        "auxiliary": "执法辅助人员",
        "social_supervisor": "社会监督员",
        "legal_reviewer": "法制审核人员",
        "leader": "行政机关负责人",
    },
)

ActKind = labelled(
    "ActKind",
    {
        "inspection": "现场检查",
        "case_opening": "立案",
        "inquiry": "询问",
        "evidence_collection": "调查取证",
        "sampling": "抽样取证",
        "preservation": "先行登记保存",
        "preservation_decision": "先行登记保存处理决定",
        "seizure": "查封",
        "detention": "扣押",
        "coercion_extension": "延长查封、扣押期限",
        "coercion_release": "解除查封、扣押",
        "coercion_disposal": "查封、扣押财物处理决定",
        "stop_order": "责令停产停业或停止使用",
        "correction_order": "责令限期改正",
        "reinspection": "复查",
        "investigation_report": "案件调查报告",
        "notice": "行政处罚告知",
        "statement": "陈述申辩",
        "hearing_request": "听证申请",
        "hearing_notification": "听证通知",
        "hearing": "听证",
        "legal_review": "法制审核",
        "collective_discussion": "集体讨论",
        "extension_approval": "延期审批",
        "decision": "行政处罚决定",
        "no_penalty_decision": "不予行政处罚决定",
        "education": "批评教育",
        "commitment": "承诺书",
        "service": "送达",
        "publicity": "公示",
        "payment": "缴纳罚款",
        "transfer": "移送司法机关",
        "closing": "结案",
    },
)

Recording = labelled(
    "Recording",
    {"none": "无记录", "text": "文字记录", "audio": "录音", "video": "音像记录"},
)

ActResult = labelled(
    "ActResult",
    {
        "corrected": "已整改",
        "not_corrected": "逾期未整改",
        "refused": "拒不执行",
        "approved": "同意",
        "rejected": "不同意",
        "returned": "退回补充",
        "requested": "申请",
        "waived": "放弃",
    },
)

ServiceMethod = labelled(
    "ServiceMethod",
    {
        "on_the_spot": "当场交付",
        "direct": "直接送达",
        "left": "留置送达",
        "mail": "邮寄送达",
        "electronic": "电子送达",
        "public_notice": "公告送达",
        "entrusted": "委托送达",
    },
)

Branch = labelled(
    "Branch",
    {
        "initial": "首次查处（责令限期改正并处罚）",
        "overdue_uncorrected": "逾期未改正",
        "refused_execution": "拒不执行",
        "refused_correction": "拒不改正",
        "accident": "发生生产安全事故",
    },
)

Target = labelled("Target", {"unit": "生产经营单位", "person": "个人"})

PenaltyType = labelled(
    "PenaltyType",
    {
        "warning": "警告",
        "fine": "罚款",
        "confiscation": "没收违法所得、没收非法财物",
        "suspension": "责令停产停业整顿",
        "closure": "责令关闭",
        "licence_suspension": "暂扣许可证件",
        "licence_revocation": "吊销许可证件",
        "qualification_downgrade": "降低资质等级",
        "employment_restriction": "限制从业",
        "detention": "行政拘留",
    },
)

Outcome = labelled(
    "Outcome",
    {
        "penalty": "给予行政处罚",
        "no_penalty": "不予行政处罚",
        "not_established": "违法事实不能成立",
        "transfer": "移送司法机关",
    },
)

Adjustment = labelled(
    "Adjustment",
    {
        "none": "一般",
        "lighter": "从轻",
        "mitigated": "减轻",
        "heavier": "从重",
        "exempt": "不予处罚",
    },
)

Harm = labelled("Harm", {"none": "没有造成危害后果", "minor": "危害后果轻微", "serious": "危害后果较重"})

AccidentGrade = labelled(
    "AccidentGrade",
    {"ordinary": "一般事故", "larger": "较大事故", "major": "重大事故", "extraordinary": "特别重大事故"},
)

CertKind = labelled("CertKind", {"enforcement": "行政执法证", "supervision": "行政执法监督证"})

CertStatus = labelled("CertStatus", {"valid": "有效", "suspended": "暂扣", "revoked": "注销或吊销"})

MitigationGround = labelled(
    "MitigationGround",
    {
        "minor_age": "已满十四周岁不满十八周岁（行政处罚法第三十条）",
        "limited_capacity": "尚未完全丧失辨认或者控制能力（行政处罚法第三十一条）",
        "eliminated_harm": "主动消除或者减轻违法行为危害后果（第三十二条第一项）",
        "coerced": "受他人胁迫或者诱骗实施违法行为（第三十二条第二项）",
        "confessed": "主动供述行政机关尚未掌握的违法行为（第三十二条第三项）",
        "meritorious": "配合行政机关查处违法行为有立功表现（第三十二条第四项）",
        "other_law": "法律、法规、规章规定其他应当从轻或者减轻的（第三十二条第五项）",
    },
)

# Who performed an act when it was not the deciding agency itself (行政处罚法 arts. 17–20, 24).
BodyKind = labelled(
    "BodyKind",
    {
        "township": "乡镇人民政府",
        "subdistrict": "街道办事处",
        "agency_unit": "本机关内设机构或派出机构（如执法大队、中队）",
        "zone": "开发区、工业园区等管理机构",
        "other_agency": "其他行政机关",
        "other": "其他组织",
    },
)

BodyRelation = labelled(
    "BodyRelation",
    {
        "agency": "以本机关名义实施（内设机构、派出机构）",
        "entrusted": "受委托（行政处罚法第二十条）",
        "authorised": "法律、法规授权（行政处罚法第十九条）",
        "devolved": "承接县级部门行政处罚权（行政处罚法第二十四条）",
        "centralised": "相对集中行政处罚权（行政处罚法第十八条第二款）",
        "assisting": "以自身职责协助（安全生产法第九条第二款），无委托、授权或赋权",
        "none": "无委托、授权或赋权",
    },
)
