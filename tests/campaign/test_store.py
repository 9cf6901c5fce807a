"""The campaign store on SQLite and PostgreSQL: nothing overwritten, audit trail, cross-review,
concurrent edits that never lose a decision, disagreements, rectification, rescoring."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from casereview.campaign import create, service
from casereview.campaign.models import AuditEvent, Base, Decision, FileVersion, MachineResult
from casereview.campaign.service import CampaignError, DecisionInput, StaleError
from casereview.campaign.store import open_store

from .helpers import CASEFILES, OPTIONS, PASSWORD, QSH, code_key, ids, make_campaign, revision


def test_migrations_match_the_models(store_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = open_store(url=store_url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    open_store(url=store_url)  # upgrading an up-to-date store is a no-op


def test_a_store_of_the_first_schema_upgrades_in_place_and_keeps_its_files(store_url, tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from casereview.campaign.store import MIGRATIONS, Store, make_engine, migrate

    old = Store(make_engine(store_url))
    migrate(old.engine)
    with old.write() as session:
        service.add_user(session, "lead", "组长", "lead", "口令-足够长-1234", "省厅")
    paths = [CASEFILES / "13-qingshanhu-shenhe-chengban.json"]
    service.create_campaign(old, "旧库", tmp_path, paths, OPTIONS, actor="lead")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.engine.begin() as connection:  # back to the first schema, its files kept
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    old.close()

    store = open_store(url=store_url)
    with store.session() as session:
        rows = service.final_rows(session, service.get_campaign(session, "旧库"))
        assert [r["status"] for r in rows] == ["unassigned"]
    with store.engine.connect() as connection:
        names = {
            i["name"]
            for t in ("case_files", "file_versions", "machine_results")
            for i in inspect(connection).get_indexes(t)
        }
        columns = {c["name"] for c in inspect(connection).get_columns("campaigns")}
    assert not names & {"ix_case_files_campaign_id", "ix_file_versions_case_id", "ix_machine_results_run_id"}
    assert "ix_machine_results_version_id" in names
    assert "building" in columns


def test_reviewers_can_write_while_a_campaign_is_being_created(store_url, tmp_path, monkeypatch):
    store = make_campaign(store_url, tmp_path / "first")
    elsewhere = open_store(url=store_url)  # another process's connection, e.g. the reviewer web app
    review_batch = create.review_batch
    written = []

    class ReviewWhileOthersWrite:
        def __init__(self, paths, options):
            self.run = review_batch(paths, options)
            self.paths, self.book, self.engine = self.run.paths, self.run.book, self.run.engine

        def __iter__(self):
            return self._meanwhile(iter(self.run))

        def each(self, prepare, stored=None):
            return self._meanwhile(self.run.each(prepare, stored))

        def _meanwhile(self, items):
            for item in items:
                if not written:  # mid-review: a reviewer's write must not wait for the whole review
                    with elsewhere.write() as session:
                        service.add_user(session, "qian", "钱评查", "reviewer", PASSWORD, "省厅")
                    written.append(True)
                yield item

    monkeypatch.setattr(create, "review_batch", ReviewWhileOthersWrite)
    paths = [CASEFILES / "13-qingshanhu-shenhe-chengban.json", CASEFILES / "11-qingshanhu-songda-chaoqi.yaml"]
    summary = service.create_campaign(store, "第二批", tmp_path / "second", paths, OPTIONS, actor="lead")
    assert written and (summary.files, summary.reviewed) == (2, 2)
    with store.session() as session:
        assert service.get_user(session, "qian").display_name == "钱评查"
        assert len(service.final_rows(session, service.get_campaign(session, "第二批"))) == 2


def test_an_import_takes_a_large_page_cache_and_gives_it_back(tmp_path, monkeypatch):
    """SQLite: each import chunk's transaction runs with a 64 MB page cache (fewer pages spilled to
    the WAL); the connection goes back to the pool at SQLite's default, so a web app reusing it
    does not keep 64 MB per connection."""
    from casereview.campaign import bulk

    store = make_campaign(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "first")
    cache = lambda session: session.execute(text("PRAGMA cache_size")).scalar()  # noqa: E731
    during, after = [], []
    write, _write = bulk.BulkImport.write, bulk.BulkImport._write
    monkeypatch.setattr(
        bulk.BulkImport,
        "_write",
        lambda self, session, chunk: (during.append(cache(session)), _write(self, session, chunk)),
    )
    monkeypatch.setattr(
        bulk.BulkImport,
        "write",
        lambda self, session, chunk: (write(self, session, chunk), after.append(cache(session))),
    )
    paths = [CASEFILES / "13-qingshanhu-shenhe-chengban.json"]
    service.create_campaign(store, "第二批", tmp_path / "second", paths, OPTIONS, actor="lead")
    assert during == [-bulk.IMPORT_CACHE_KIB] and after == [-bulk.SQLITE_DEFAULT_CACHE_KIB]


def test_sqlite_store_is_a_wal_file_in_the_campaign_folder(tmp_path):
    store = open_store(tmp_path)
    assert (tmp_path / "campaign.db").exists()
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA page_size")).scalar() == 8192  # a new store's pages


def test_a_store_made_with_4_kb_pages_keeps_them_upgrades_and_takes_a_campaign(tmp_path):
    """Stores made before new ones got 8 KB pages (SQLite's default 4 KB, first schema) open,
    upgrade in place and import as before; their page size is left as it is."""
    import sqlite3

    from casereview.campaign.store import make_engine, migrate

    path = tmp_path / "campaign.db"
    old = sqlite3.connect(path)
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")  # what the store's connections did then: the file is made
    old.close()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0001")
    engine.dispose()

    store = open_store(tmp_path)
    paths = [CASEFILES / "13-qingshanhu-shenhe-chengban.json", CASEFILES / "11-qingshanhu-songda-chaoqi.yaml"]
    summary = service.create_campaign(store, "旧库", tmp_path, paths, OPTIONS, actor="lead")
    assert (summary.files, summary.reviewed) == (2, 2)
    with store.session() as session:
        assert len(service.final_rows(session, service.get_campaign(session, "旧库"))) == 2
        assert session.execute(text("PRAGMA page_size")).scalar() == 4096
    store.close()


def test_create_keeps_every_file_its_content_and_machine_result(store_url, tmp_path):
    bad = tmp_path / "files" / "broken.yaml"
    bad.parent.mkdir()
    bad.write_text("case: [\n", encoding="utf-8")
    store = make_campaign(store_url, tmp_path / "files")
    summary = service.create_campaign(
        store, "含错误文件", tmp_path, [CASEFILES / "13-qingshanhu-shenhe-chengban.json", bad], OPTIONS
    )
    assert (summary.files, summary.reviewed, summary.rejected) == (2, 1, 1)
    with store.session() as session:
        campaign = service.get_campaign(session, "含错误文件")
        rows = service.final_rows(session, campaign)
        assert {r["status"] for r in rows} == {"unassigned", "rejected"}
        rejected = next(r for r in rows if r["status"] == "rejected")
        assert rejected["errors"] and "broken.yaml" in rejected["case_key"]
        version = session.scalars(select(FileVersion).where(FileVersion.path == str(bad))).one()
        assert version.content == "case: [\n" and len(version.content_hash) == 64


def test_assignment_is_cross_unit_and_two_per_file(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path, reviewers_per_file=2)
    count, problems = service.assign_all(store, None, None, actor="lead")
    assert count == 6 and problems == []
    with store.session() as session:
        for assignment in session.scalars(select(service.Assignment)):
            case = session.get(service.CaseRecord, assignment.case_id)
            assert assignment.reviewer.unit != case.unit
        case_id, zhang = ids(store, "洪青", "zhang")
        case = session.get(service.CaseRecord, case_id)
        with pytest.raises(CampaignError, match="不能评查本单位案卷"):
            service.assign_one(session, case, session.get(service.User, zhang), 1, "lead")


def test_a_review_is_append_only_with_an_audit_trail(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        result = service.machine_result(session, service.current_version(session, case))
    keys = [code_key(result, "BM-003"), code_key(result, "DEAD-002")]  # the two deductions
    with pytest.raises(CampaignError, match="须填写理由"):
        service.record_decisions(store, case_id, li, [DecisionInput("finding", keys[0], "override")], 0)
    rev = service.record_decisions(
        store,
        case_id,
        li,
        [
            DecisionInput("finding", keys[0], "override", reason="阶次认定有据，见询问笔录"),
            DecisionInput("finding", keys[1], "confirm"),
            DecisionInput("item", "F-02", "score", 2, "决定书两处未填写日期"),
            DecisionInput("item", "E-01", "score", "3", "缺少现场照片"),
        ],
        revision(store, case_id),
    )
    with pytest.raises(CampaignError, match="0 至 4 分"):
        service.record_decisions(store, case_id, li, [DecisionInput("item", "F-02", "score", 9, "x")], rev)
    # change a decision: a new row, the old one kept
    rev = service.record_decisions(
        store, case_id, li, [DecisionInput("item", "F-02", "score", 1, "一处")], rev
    )
    score = service.sign_off(store, case_id, li, rev)
    # machine: BM-003 (L-01, 10) overridden; DEAD-002 (P-02, 5) stands; F-02 1 + E-01 3
    assert score.score == 91 and score.grade == "优秀" and not score.vetoed
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        assert case.status == "signed_off"
        assert (
            session.scalar(select(func.count()).select_from(Decision).where(Decision.target == "F-02")) == 2
        )
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))]
        assert actions.count("decision.score") == 3 and "signoff" in actions
        reasons = {
            e.reason
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.override"))
        }
        assert reasons == {"阶次认定有据，见询问笔录"}
        with pytest.raises(CampaignError, match="已签署"):
            service.record_decisions(
                store, case_id, li, [DecisionInput("item", "F-01", "score", 1, "x")], case.revision
            )
        row = next(
            r
            for r in service.final_rows(session, service.get_campaign(session))
            if r["case_key"] == case.case_key
        )
        assert (row["machine_score"], row["final_score"]) == (85.0, 91.0)


def test_sign_off_needs_every_machine_finding_decided(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    with pytest.raises(CampaignError, match="2 个机器评查问题未确认或推翻"):
        service.sign_off(store, case_id, li, 0)


def test_a_confirmed_review_finding_raises_its_veto_item(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "浔濂", "li")
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        keys = service.finding_keys(
            service.machine_result(session, service.current_version(session, case))["findings"]
        )
    key = next(k for k in keys if k.startswith("TR-001"))  # the transfer candidate; others overruled
    others = [DecisionInput("finding", k, "override", reason="测试：不适用") for k in keys if k != key]
    rev = service.record_decisions(store, case_id, li, [DecisionInput("finding", key, "confirm"), *others], 0)
    score = service.sign_off(store, case_id, li, rev)
    assert score.vetoed and score.vetoes == ["V-04"] and score.score == 0 and score.grade == "不合格"


def test_stale_page_never_loses_a_decision(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    _, lead = ids(store, "洪青", "lead")
    seen = revision(store, case_id)  # both open the file page now
    service.record_decisions(
        store, case_id, li, [DecisionInput("item", "F-01", "score", 1, "样式不规范")], seen, slot=1
    )
    with pytest.raises(StaleError, match=r"已被 李评查 于 .* 修改（扣 1 分）.*未保存"):
        service.record_decisions(
            store, case_id, lead, [DecisionInput("item", "F-01", "score", 0)], seen, slot=1
        )
    # the lead's edit of another item on the same stale page is not a conflict
    service.record_decisions(
        store, case_id, lead, [DecisionInput("item", "F-03", "score", 2, "缺送达回证")], seen, slot=1
    )
    with store.session() as session:
        current = service.current_decisions(
            session, service.current_version(session, session.get(service.CaseRecord, case_id)).id, 1
        )
    assert current[("item", "F-01")].points == 1 and current[("item", "F-03")].points == 2
    # after reloading the page the lead may change it: both decisions stay in the record
    service.record_decisions(
        store, case_id, lead, [DecisionInput("item", "F-01", "score", 0)], revision(store, case_id), slot=1
    )
    with store.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(Decision).where(Decision.target == "F-01")) == 2
        )


def test_concurrent_writers_all_land(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path, reviewers_per_file=2)
    service.assign_all(store, None, ["li", "zhao"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    _, zhao = ids(store, "洪青", "zhao")
    items = ["F-01", "F-02", "F-04", "F-05", "F-06", "F-07"]
    errors: list[Exception] = []

    def write(user: int, item: str) -> None:
        try:
            service.record_decisions(
                store, case_id, user, [DecisionInput("item", item, "score", 1, "并发")], 0
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(u, i)) for i in items for u in (li, zhao)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 12
        revisions = session.scalars(select(Decision.revision)).all()
        assert sorted(revisions) == list(range(1, 13))  # each write got its own revision


def test_two_reviewers_disagree_and_the_lead_resolves(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path, reviewers_per_file=2)
    service.assign_all(store, None, ["li", "zhao"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    _, zhao = ids(store, "洪青", "zhao")
    _, lead = ids(store, "洪青", "lead")
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        result = service.machine_result(session, service.current_version(session, case))
        keys = [code_key(result, "BM-003"), code_key(result, "DEAD-002")]
    for user, first in ((li, "confirm"), (zhao, "override")):
        rev = service.record_decisions(
            store,
            case_id,
            user,
            [
                DecisionInput("finding", keys[0], first, reason="理由"),
                DecisionInput("finding", keys[1], "confirm"),
            ],
            revision(store, case_id),
        )
        service.sign_off(store, case_id, user, rev)
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        assert case.status == "disputed"
        found = service.disagreements(session, case)
    assert [(d.target, d.a.action, d.b.action) for d in found] == [(keys[0], "confirm", "override")]
    with pytest.raises(CampaignError, match="须填写理由"):
        service.resolve(store, case_id, lead, {("finding", keys[0]): "2"}, "", revision(store, case_id))
    score = service.resolve(
        store, case_id, lead, {("finding", keys[0]): "2"}, "采纳赵评查意见", revision(store, case_id)
    )
    assert score.score == 95  # BM-003 overridden, DEAD-002 (5) confirmed
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        assert case.status == "resolved"
        row = next(
            r
            for r in service.final_rows(session, service.get_campaign(session))
            if r["case_key"] == case.case_key
        )
        assert row["final_score"] == 95


def test_rectified_file_is_a_new_version_showing_what_changed(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    original = (CASEFILES / "11-qingshanhu-songda-chaoqi.yaml").read_text(encoding="utf-8")
    same = tmp_path / "same.yaml"
    same.write_text(original, encoding="utf-8")
    with pytest.raises(CampaignError, match="内容与第 1 版相同"):
        service.rereview(store, None, same, OPTIONS, "lead")
    fixed = tmp_path / "rectified.yaml"
    fixed.write_text(original + "\n# 整改：补正\n", encoding="utf-8")
    summary = service.rereview(store, None, fixed, OPTIONS, "lead", note="补正送达")
    assert summary.version == 2
    assert any(line.startswith("仍存在：BM-003") for line in summary.changes)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(FileVersion)) == 4  # 3 files + 1 new version
        case = service.get_case(session, service.get_campaign(session), summary.case_key)
        assert [v.number for v in case.versions] == [1, 2]
        assert any("整改" in line for line in service.content_diff(session, case, 1, 2))


def test_rescore_is_a_new_run_and_keeps_decisions(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "洪青", "li")
    service.record_decisions(store, case_id, li, [DecisionInput("item", "F-01", "score", 1, "x")], 0)
    assert service.rescore(store, None, OPTIONS, "lead") == 3
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(MachineResult)) == 6
        version = service.current_version(session, session.get(service.CaseRecord, case_id))
        assert service.current_decisions(session, version.id, 1)[("item", "F-01")].points == 1
        assert service.machine_result(session, version)["file"].endswith("11-qingshanhu-songda-chaoqi.yaml")


def test_trends_per_unit_across_campaigns(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.create_campaign(
        store, "2026年第二批", tmp_path, [CASEFILES / "13-qingshanhu-shenhe-chengban.json"], OPTIONS
    )
    with store.session() as session:
        rows = service.trends(session)
    assert {(r["campaign"], r["unit"]) for r in rows} >= {("2026年第一批", QSH), ("2026年第二批", QSH)}


def test_added_findings_each_count_and_can_be_withdrawn(store_url, tmp_path):
    store = make_campaign(store_url, tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    case_id, li = ids(store, "宜袁", "li")
    add = DecisionInput("added", "F-02", "add", reason="送达回证未填写日期")
    rev = service.record_decisions(store, case_id, li, [add], 0)
    rev = service.record_decisions(
        store, case_id, li, [DecisionInput("added", "F-02", "add", reason="另一处")], rev
    )
    with pytest.raises(CampaignError, match="须写明具体问题"):
        service.record_decisions(store, case_id, li, [DecisionInput("added", "V-05", "add")], rev)
    with store.session() as session:
        case = session.get(service.CaseRecord, case_id)
        decided = service.current_decisions(session, service.current_version(session, case).id, 1)
        assert sorted(t for k, t in decided if k == "added") == ["F-02#1", "F-02#2"]
        assert service.sheet_score(session, case, 1).deductions["F-02"] == 2
    rev = service.record_decisions(store, case_id, li, [DecisionInput("added", "F-02#1", "withdraw")], rev)
    service.record_decisions(
        store, case_id, li, [DecisionInput("added", "V-05", "add", reason="无询问笔录")], rev
    )
    with store.session() as session:
        score = service.sheet_score(session, session.get(service.CaseRecord, case_id), 1)
        assert score.deductions.get("F-02") == 1 and score.vetoes == ["V-05"] and score.score == 0
