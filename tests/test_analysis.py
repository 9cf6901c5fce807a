"""Cross-case analysis: 同案异罚 outliers named with their peer group; per-agency figures."""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from casereview.analysis import CaseSummary, analyse, like_case_outliers  # noqa: E402


def summary(
    i: int, amount: float, item="SX-2021-99-1", tier=2, agency="甲区应急管理局", **facts
) -> CaseSummary:
    penalty = {
        "benchmark_item": item,
        "tier": tier,
        "amount": amount,
        "target": "unit",
        "branch": "initial",
        "basis_article": 99,
        "f_headcount": 40 + i,
        **facts,
    }
    return CaseSummary(
        index=i,
        file=f"c{i:03}.yaml",
        status="reviewed",
        case_number=f"应急罚〔2024〕{i}号",
        agency=agency,
        region="360111",
        score=100.0,
        grade="优秀",
        three_systems=1.0,
        counts={"veto": 0, "deduct": 0, "warn": 0, "review": 0},
        penalties=[penalty],
        outcome="penalty",
        fine_total=amount,
        benchmark_stated=True,
    )


def generated_batch(seed: int = 7) -> list[CaseSummary]:
    rng = random.Random(seed)
    batch = [summary(i, rng.choice([14000, 15000, 16000, 15000])) for i in range(12)]
    batch += [summary(100 + i, rng.choice([60000, 65000, 70000]), tier=4) for i in range(6)]
    batch.append(summary(999, 45000))  # planted: tier-2 fine three times the group's median
    return batch


def test_planted_outlier_found_with_peer_group():
    outliers, groups = like_case_outliers(generated_batch())
    assert [o.file for o in outliers] == ["c999.yaml"]
    o = outliers[0]
    assert o.group["benchmark_item"] == "SX-2021-99-1" and o.group["tier"] == 2
    assert o.median == 15000 and o.deviation > 1.9
    assert len(o.peers) == 13 and {"c000.yaml", "c011.yaml"} <= {p["file"] for p in o.peers}
    assert "SX-2021-99-1 第2阶次" in o.message and "应急罚〔2024〕0号" in o.message
    assert "令第12号" in o.basis
    assert {g["tier"] for g in groups} == {2, 4}


def test_ratio_and_min_group_are_configurable():
    batch = generated_batch()
    assert like_case_outliers(batch, ratio=3.0)[0] == []
    small = [summary(1, 10000), summary(2, 50000)]
    assert like_case_outliers(small)[0] == []  # fewer than 3 in the group
    assert like_case_outliers(small, min_group=2, ratio=0.3)[0]


def test_categorical_circumstances_split_groups_numeric_do_not():
    batch = [summary(i, 15000, f_first_offence=True) for i in range(3)]
    batch += [summary(10 + i, 40000, f_first_offence=False) for i in range(3)]
    outliers, groups = like_case_outliers(batch)
    assert outliers == [] and len(groups) == 2  # f_headcount differs per case but is not in the key
    # a caller that knows which facts the tier reads can make them part of the key
    _, exact = like_case_outliers(batch, tier_facts={"SX-2021-99-1": {"f_headcount"}})
    assert len(exact) == 6


def test_no_benchmark_no_group():
    s = summary(1, 10000, item=None)
    assert like_case_outliers([s, s, s]) == ([], [])


def test_agency_and_campaign_figures():
    batch = generated_batch()
    quiet = summary(500, 0, agency="乙区应急管理局")
    quiet.penalties, quiet.outcome, quiet.benchmark_stated = [], "no_penalty", None
    failing = summary(501, 15000, agency="乙区应急管理局")
    failing.vetoed, failing.grade, failing.score, failing.benchmark_stated = True, "不合格", 0.0, False
    rejected = CaseSummary(index=502, file="bad.yaml", status="rejected", rejection=["bad.yaml:1：无法解析"])
    a = analyse([*batch, quiet, failing, rejected])
    c = a["campaign"]
    assert c["files"] == len(batch) + 3 and c["rejected"] == 1
    assert c["pass_rate"] == (len(batch) + 1) / (len(batch) + 2)
    assert c["benchmark_stated_rate"] == len(batch) / (len(batch) + 1)
    agencies = {r["agency"]: r for r in a["agencies"]}
    yi = agencies["乙区应急管理局"]
    assert yi["no_penalty_cases"] == 1 and yi["penalty_cases"] == 1 and yi["veto_rate"] == 0.5
    assert not yi["zero_penalty"]
    assert a["rejected"] == [{"file": "bad.yaml", "reasons": ["bad.yaml:1：无法解析"]}]
    assert a["like_cases"]["outliers"][0]["file"] == "c999.yaml"
    assert sum(b["count"] for b in a["histogram"]) == len(batch) + 2
    only_quiet = analyse([quiet])["agencies"][0]
    assert only_quiet["zero_penalty"]  # 零处罚 / 只检查不处罚 signal


def test_an_ungraded_files_reference_score_is_not_averaged_or_drawn():
    graded = summary(1, 10000)
    graded.score = 60.0
    open_case = summary(2, 10000)  # 未结案: scored 100 for reference only
    open_case.score, open_case.grade, open_case.graded = 100.0, None, False
    a = analyse([graded, open_case])
    assert a["campaign"]["average_score"] == 60.0
    assert a["agencies"][0]["average_score"] == 60.0
    assert [b["count"] for b in a["histogram"] if b["count"]] == [1]
    nothing_graded = analyse([open_case])
    assert nothing_graded["campaign"]["average_score"] is None
    assert sum(b["count"] for b in nothing_graded["histogram"]) == 0


def test_a_streamed_batch_analysis_keeps_no_summary_and_equals_analyse():
    import gc

    from casereview.analysis import BatchAnalysis

    def files() -> list[CaseSummary]:
        bad = CaseSummary(index=50, file="bad.yaml", status="rejected", rejection=["bad.yaml:1：无法解析"])
        return [*generated_batch(), bad]

    batch = BatchAnalysis()
    for s in files():
        batch.add(s)
    del s
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, CaseSummary)]  # each file folded in, dropped
    assert batch.result() == analyse(files())


def test_outlier_messages_in_the_analysis_equal_each_outliers_own():
    """`result()` words each group's peers once for all its outliers: the messages must be the
    ones each outlier gives alone — an outlier among its group's shown peers is named without
    itself, a file fined twice in one group is left out twice, and groups of every size."""
    rng = random.Random(3)
    batch = [summary(0, 90000)]  # the group's first member: among the peers every outlier shows
    batch += [summary(i, rng.choice([10000, 15000, 15000, 40000])) for i in range(1, 40)]
    batch += [summary(200 + i, rng.choice([30000, 70000]), tier=4) for i in range(5)]
    twice = summary(5, 95000)
    twice.penalties.append(dict(twice.penalties[0], amount=1000))  # two fines, one group
    batch[5] = twice
    result = analyse(batch)
    outliers, _ = like_case_outliers(batch)
    assert len(outliers) > 10 and {"c000.yaml", "c005.yaml"} <= {o.file for o in outliers}
    shown = result["like_cases"]["outliers"]
    assert [o["message"] for o in shown] == [o.message for o in outliers]
    for o in shown:  # each names the first ten of its peers, itself left out, and how many in all
        named = o["message"].split("同组案件：")[1].split("），")[0]
        peers = [p["case_number"] for p in o["peers"] if p["file"] != o["file"]][:10]
        more = f" 等 {o['group_size'] - 1} 件" if o["group_size"] - 1 > len(peers) else ""
        assert named == "、".join(peers) + more


def test_entries_made_in_another_process_fold_into_the_same_analysis():
    """`review` makes each file's entry in the worker that reviewed it (`BatchAnalysis.entry`) and
    folds the unpickled copy in the parent (`add_entry`): the analysis must equal folding the
    summaries themselves — rejected, ungraded, vetoed, unstated files and fractional fines included."""
    import pickle

    from casereview.analysis import BatchAnalysis

    rng = random.Random(11)
    batch = generated_batch()
    for i, s in enumerate(batch):
        s.fine_total = s.fine_total + rng.choice([0.1, 0.2, 0.7])  # summed in batch order
        s.codes = [("BM-006", "裁量基准事项与处罚依据条款不一致", "deduct")] if i % 3 else []
        s.agency = rng.choice(["甲区应急管理局", "乙区应急管理局", None])
        s.region = rng.choice(["360111", None])
    batch[1].score, batch[1].grade, batch[1].graded = 100.0, None, False
    batch[2].vetoed, batch[2].grade, batch[2].score = True, "不合格", 0.0
    batch[3].benchmark_stated, batch[3].outcome = None, None
    batch.insert(
        4, CaseSummary(index=4, file="bad.yaml", status="rejected", rejection=["bad.yaml:1：无法解析"])
    )
    maker, parent = BatchAnalysis(), BatchAnalysis()
    for s in batch:
        parent.add_entry(pickle.loads(pickle.dumps(maker.entry(s))))
    result = parent.result()
    assert result == analyse(batch)
    for row in result["agencies"]:  # the figures worked out here from the summaries themselves
        mine = [s for s in batch if (s.agency or "（未知）") == row["agency"]]
        reviewed = [s for s in mine if s.reviewed]
        total = 0
        for s in reviewed:
            total = total + (s.fine_total or 0)
        assert (row["files"], row["reviewed"], row["fine_total"]) == (len(mine), len(reviewed), total)
        assert row["passed"] == sum(s.passed for s in reviewed)
        assert row["veto_rate"] == (sum(s.vetoed for s in reviewed) / len(reviewed) if reviewed else None)
        stated = [s.benchmark_stated for s in reviewed if s.benchmark_stated is not None]
        assert row["benchmark_stated_rate"] == (sum(stated) / len(stated) if stated else None)
        graded = [s.score for s in reviewed if s.graded]
        assert row["average_score"] == (round(sum(graded) / len(graded), 1) if graded else None)
    assert result["rejected"] == [{"file": "bad.yaml", "reasons": ["bad.yaml:1：无法解析"]}]
    ranked = sorted((-(s.score or 0), s.counts["deduct"], s.file) for s in batch if s.reviewed)
    assert [r["file"] for r in result["ranking"]] == [file for _, _, file in ranked]


def test_an_entry_and_a_summary_row_from_the_result_equal_what_its_summary_gives(tmp_path):
    """A review makes each file's entry from the result itself (`BatchAnalysis.entry_of`, no
    `CaseSummary`), and the HTML sink its row for the summary pages (`html.summary_row`): each
    must be what the summary gives, on generated, partial (unknown facts), broken and sample
    files."""
    from casereview.analysis import BatchAnalysis
    from casereview.batch import make_context, review_one
    from casereview.load import load_roster
    from casereview.packs.loader import load_rulebook
    from casereview.report.html import SummaryRow, summary_row
    from casereview.score.profile import load_profile
    from test_golden_results import write_golden_corpus

    book, profile = load_rulebook(), load_profile()
    contexts: dict[Path, object] = {}
    pairs = write_golden_corpus(tmp_path)
    chosen = [pair for i, pair in enumerate(pairs) if i % 5 == 0 or "broken" in pair[0].parts]
    batch, kinds = BatchAnalysis(), set()
    for index, (path, roster) in enumerate(chosen):
        if roster not in contexts:
            contexts[roster] = make_context(book, profile, load_roster(roster), "oracle")
        result = review_one(path, contexts[roster])
        s = CaseSummary.of(result, index, f"cases/{index + 1}.html")
        assert batch.entry_of(result) == batch.entry(s), path.name
        row = SummaryRow._make(summary_row(result, s.page))
        assert row._asdict() == {
            **{k: getattr(s, k) for k in SummaryRow._fields if k not in ("vetoes", "pending")},
            "vetoes": s.counts["veto"],
            "pending": s.counts["review"],
        }, path.name
        kinds.add((result.status, result.score is not None and result.score.graded))
    assert {("rejected", False), ("reviewed", True), ("reviewed", False)} <= kinds


def _result(findings: list[tuple[str, str, str]], file: str = "a.yaml"):
    from casereview.evaluate.findings import Finding, Location
    from casereview.review import CaseResult

    return CaseResult(
        file=file,
        status="reviewed",
        findings=[
            Finding(
                code=code,
                rule_id=code,
                title=title,
                severity=severity,
                severity_label=severity,
                category="x",
                message="m",
                basis=[],
                location=Location(file=file, field="case"),
            )
            for code, title, severity in findings
        ],
    )


def test_a_summary_lists_each_code_once_and_counts_every_finding():
    """Codes in the order first found, each with its own title and severity (a code seen again
    with another title, in another file, keeps that title); the four severities counted."""
    drawn = [("B-1", "乙", "deduct"), ("A-1", "甲", "veto"), ("B-1", "乙", "deduct"), ("C-1", "丙", "info")]
    first = CaseSummary.of(_result(drawn), 0)
    assert first.codes == [("B-1", "乙", "deduct"), ("A-1", "甲", "veto"), ("C-1", "丙", "info")]
    assert first.counts == {"veto": 1, "deduct": 2, "warn": 0, "review": 0}
    second = CaseSummary.of(_result([("A-1", "甲", "veto"), ("B-1", "乙（新）", "warn")], "b.yaml"), 1)
    assert second.codes == [("A-1", "甲", "veto"), ("B-1", "乙（新）", "warn")]
    assert second.counts == {"veto": 1, "deduct": 0, "warn": 1, "review": 0}
    # one (code, title, severity) for every file: the summaries a worker sends together carry one
    assert second.codes[0] is first.codes[1]
    assert all(sys.intern(text) is text for entry in first.codes + second.codes for text in entry)


def test_analysis_imports_no_table_module() -> None:
    """The analysis names a peer group's branch from packs.schema: importing it (a JSON-only
    review's parent, before the workers start) loads none of the five table modules (~30 ms)."""
    import subprocess

    engine = str(ROOT / "engine")
    code = "import sys, casereview.analysis; print(sorted(m for m in sys.modules if 'packs.tables' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": engine}
    )
    assert out.stdout.strip() == "[]"
    from casereview.analysis import describe_group
    from casereview.packs.tables.statute import BRANCH_LABELS

    assert (
        describe_group({"branch": "refused_execution", "target": "unit"}).count(
            BRANCH_LABELS["refused_execution"]
        )
        == 1
    )
