"""How fast the reviewer web app's pages render in a campaign of N files (default 10,000).

    python bench/campaign_pages.py                 # N=10,000 on SQLite in a temporary folder
    python bench/campaign_pages.py -n 2000 --db postgresql://user@host/scratch

Builds a store directly (one machine run, N files spread over 20 units, two reviewers per file,
a few thousand decisions), reusing one real machine result so the build takes seconds, not a
batch review; then renders through the Flask test client (server-side work, no network) and
prints the median and worst wall time over --repeat requests of:
 - a reviewer's queue (first page and a page deep in the list),
 - the file page of a file with findings,
 - the lead's progress page, and the disagreement page.
Not a test: figures depend on the machine; record them with the date (README, bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))


def build(url: str, n: int) -> tuple[object, list[int]]:
    from argon2 import PasswordHasher

    from casereview.batch import BatchOptions, review_batch
    from casereview.campaign import service
    from casereview.campaign.models import (
        Assignment,
        Campaign,
        CaseRecord,
        Decision,
        FileVersion,
        MachineResult,
    )
    from casereview.campaign.store import open_store

    service._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    sample = ROOT / "casefiles" / "11-qingshanhu-songda-chaoqi.yaml"
    result = next(
        iter(review_batch([sample], BatchOptions(roster=ROOT / "casefiles" / "roster.yaml", workers=0)))
    )
    text = sample.read_text(encoding="utf-8")
    result_json = result.model_dump_json()
    keys = service.finding_keys([f.model_dump() for f in result.findings])
    store = open_store(url=url)
    with store.write() as session:
        users = [service.add_user(session, "lead", "组长", "lead", "bench-pass-1", "省厅")]
        for i in range(40):
            users.append(
                service.add_user(
                    session, f"r{i:02d}", f"评查{i:02d}", "reviewer", "bench-pass-1", f"单位{i % 20}"
                )
            )
        from casereview.score.profile import load_profile

        campaign = Campaign(
            name="基准",
            folder=".",
            profile=service._snapshot(session, load_profile()),
            reviewers_per_file=2,
            created_by="bench",
        )
        session.add(campaign)
        session.flush()
        run = service._new_run(session, campaign, "bench", "durable", "bench")
        cases, versions, rest = [], [], []
        for i in range(n):
            unit = f"单位{i % 20}"
            status = ("assigned", "in_review", "disputed", "signed_off")[i % 4] if i % 4 != 3 else "agreed"
            case = CaseRecord(
                id=i + 1,
                campaign_id=campaign.id,
                case_key=f"（基准）应急罚〔2026〕{i}号",
                case_number=f"（基准）应急罚〔2026〕{i}号",
                unit=unit,
                title="基准案卷",
                status=status,
            )
            cases.append(case)
            version = FileVersion(
                id=i + 1,
                case_id=case.id,
                number=1,
                path=f"{i}.yaml",
                content_hash=f"{i:064d}",
                content=text,
                origin="initial",
                created_by="bench",
            )
            versions.append(version)
            rest.append(
                MachineResult(
                    run_id=run.id,
                    version_id=version.id,
                    status="reviewed",
                    score=85.0,
                    grade="良好",
                    result_json=result_json,
                )
            )
            a, b = users[1 + (i + 1) % 40], users[1 + (i + 21) % 40]  # never unit i % 20
            rest.append(Assignment(case_id=case.id, reviewer_id=a.id, slot=1, created_by="bench"))
            rest.append(Assignment(case_id=case.id, reviewer_id=b.id, slot=2, created_by="bench"))
            if status == "disputed":
                for slot, user, action in ((1, a, "confirm"), (2, b, "override")):
                    rest.append(
                        Decision(
                            version_id=version.id,
                            slot=slot,
                            kind="finding",
                            target=keys[0],
                            action=action,
                            reason="基准",
                            revision=slot,
                            author_id=user.id,
                        )
                    )
        for rows in (cases, versions, rest):  # parents first: the rows carry explicit ids
            session.add_all(rows)
            session.flush()
        target_ids = [users[2].id]
    return store, target_ids


def timed(client, path: str, repeat: int) -> tuple[float, float, int]:
    times = []
    status = 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        status = response.status_code
    return statistics.median(times), max(times), status


def login(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": username, "password": "bench-pass-1", "csrf_token": csrf})
    return client


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default=None, help="store URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    from sqlalchemy import select

    from casereview.campaign.models import Assignment, CaseRecord, User
    from casereview.server.app import create_app

    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='casereview-bench-')}/campaign.db"
    start = time.perf_counter()
    store, _ = build(url, args.n)
    backend = store.engine.url.get_backend_name()
    print(f"store with {args.n} files built in {time.perf_counter() - start:.1f} s ({backend})")
    app = create_app(store, secret_key="bench")
    reviewer = login(app, "r01")
    lead = login(app, "lead")
    with store.session() as session:
        me = session.scalar(select(User.id).where(User.username == "r01"))
        mine = session.scalars(
            select(Assignment.case_id).where(Assignment.reviewer_id == me).order_by(Assignment.case_id)
        ).all()
        disputed = session.scalar(select(CaseRecord.id).where(CaseRecord.status == "disputed").limit(1))
    deep = max(1, len(mine) // 50 // 2)
    rows = [
        ("reviewer queue, page 1", reviewer, "/queue"),
        (f"reviewer queue, page {deep}", reviewer, f"/queue?page={deep}"),
        ("file page", reviewer, f"/files/{mine[len(mine) // 2]}"),
        ("lead progress page", lead, "/lead"),
        ("disagreement page", lead, f"/lead/files/{disputed}/resolve"),
    ]
    print(f"| page ({args.n} files, {len(mine)} in this reviewer's queue) | median ms | worst ms | status |")
    print("|---|---|---|---|")
    for label, client, path in rows:
        median, worst, status = timed(client, path, args.repeat)
        print(f"| {label} | {median * 1000:.1f} | {worst * 1000:.1f} | {status} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
