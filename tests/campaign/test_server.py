"""The reviewer web app through Flask's test client: login, roles, CSRF, escaping, masking, and
forms that are refused with a Chinese message while keeping what the reviewer typed."""

from __future__ import annotations

import re

import pytest

from casereview.campaign import service
from casereview.server.app import create_app

from .helpers import PASSWORD, ids, make_campaign


@pytest.fixture
def store(tmp_path):
    store = make_campaign(f"sqlite:///{tmp_path / 'campaign.db'}", tmp_path)
    service.assign_all(store, None, ["li"], actor="lead")
    return store


@pytest.fixture
def app(store):
    app = create_app(store, secret_key="test")
    app.config["TESTING"] = True
    return app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token(page)})


def test_login_roles_and_csrf(app, store):
    client = app.test_client()
    assert client.get("/queue").status_code == 302  # to the login page
    page = client.get("/login").get_data(as_text=True)
    no_token = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert no_token.status_code == 400 and "安全令牌无效" in no_token.get_data(as_text=True)
    wrong = client.post("/login", data={"username": "li", "password": "nope", "csrf_token": token(page)})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    assert login(client, "li").headers["Location"].endswith("/")
    with store.session() as session:  # stored as an argon2 hash, never the password
        stored = service.get_user(session, "li").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    queue = client.get("/queue")
    assert queue.status_code == 200 and "（洪青）应急罚〔2024〕27号" in queue.get_data(as_text=True)
    assert "default-src 'self'" in queue.headers["Content-Security-Policy"]
    assert client.get("/lead").status_code == 403
    other = app.test_client()
    login(other, "zhao")  # zhao has no seat on any file
    case_id, _ = ids(store, "洪青", "zhao")
    assert other.get(f"/files/{case_id}").status_code == 403


def test_file_page_escapes_and_masks_case_text(app, store):
    case_id, _ = ids(store, "洪青", "li")
    with store.write() as session:
        case = session.get(service.CaseRecord, case_id)
        case.title = '<script>alert("x")</script> 当事人身份证 360102199001011234'
    client = app.test_client()
    login(client, "li")
    html = client.get(f"/files/{case_id}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "360102199001011234" not in html and "3601**********1234" in html
    assert "BM-003" in html and "第 185 行" in html  # finding with its location and excerpt
    assert "《中华人民共和国行政处罚法》" in html  # citation


def _form(html: str) -> dict[str, str]:
    data = {"csrf_token": token(html), "revision": re.search(r'name="revision" value="(\d+)"', html)[1]}
    data["findings"] = re.search(r'name="findings" value="(\d+)"', html)[1]
    for i, key in re.findall(r'name="f(\d+)-key" value="([^"]+)"', html):
        data[f"f{i}-key"] = key
    return data


def test_missing_reason_and_stale_page_keep_the_input(app, store):
    case_id, _ = ids(store, "洪青", "li")
    _, lead = ids(store, "洪青", "lead")
    client = app.test_client()
    login(client, "li")
    page = client.get(f"/files/{case_id}").get_data(as_text=True)
    data = _form(page) | {"f0-action": "override", "f0-reason": "", "item-F-02-points": "1"}
    refused = client.post(f"/files/{case_id}/save", data=data)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "须填写理由" in body
    assert 'value="override" checked' in body  # what was typed is still on the page
    # someone else (the lead, in this reviewer's seat) changes F-02 after the page was loaded
    service.record_decisions(
        store, case_id, lead, [service.DecisionInput("item", "F-02", "score", 3, "三处")], 0, slot=1
    )
    stale = client.post(
        f"/files/{case_id}/save", data=data | {"f0-reason": "有据", "item-F-02-reason": "一处"}
    )
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "已被 王组长" in body and "未保存" in body
    assert 'value="一处"' in body  # the reviewer's input is kept
    with store.session() as session:
        version = service.current_version(session, session.get(service.CaseRecord, case_id))
        assert service.current_decisions(session, version.id, 1)[("item", "F-02")].points == 3
    # after reloading, the reviewer saves on top of the lead's decision
    page = client.get(f"/files/{case_id}").get_data(as_text=True)
    saved = client.post(
        f"/files/{case_id}/save",
        data=_form(page)
        | {"f0-action": "override", "f0-reason": "有据", "item-F-02-points": "1", "item-F-02-reason": "一处"},
    )
    assert saved.status_code == 302


def test_results_page_and_download_for_the_lead(app):
    client = app.test_client()
    login(client, "lead")
    page = client.get("/lead").get_data(as_text=True)
    assert "评查进度" in page and "待评查" in page
    case_id = int(re.search(r"/files/(\d+)\?slot=1", page)[1])
    trail = client.get(f"/files/{case_id}?slot=1").get_data(as_text=True)
    assert "操作记录" in trail and "分配" in trail  # the lead sees who did what on the file
    results = client.get("/lead/results").get_data(as_text=True)
    assert "各单位情况" in results
    download = client.get("/lead/results.json")
    assert download.status_code == 200 and download.get_json()["campaign"] == "2026年第一批"


def test_a_rectified_file_shows_what_changed(app, store, tmp_path):
    from .helpers import CASEFILES, OPTIONS

    fixed = tmp_path / "rectified.yaml"
    text = (CASEFILES / "11-qingshanhu-songda-chaoqi.yaml").read_text(encoding="utf-8")
    fixed.write_text(text + "\n# 整改：补正送达回证\n", encoding="utf-8")
    summary = service.rereview(store, None, fixed, OPTIONS, "lead")
    case_id, _ = ids(store, "洪青", "li")
    client = app.test_client()
    login(client, "li")
    html = client.get(f"/files/{case_id}").get_data(as_text=True)
    assert summary.version == 2 and "第 1 版 → 第 2 版" in html
    assert "仍存在：BM-003" in html and "+# 整改：补正送达回证" in html


def test_the_file_page_of_an_open_case_shows_no_grade(tmp_path):
    """未结案: the sheet's score is a dash, the grade the status, before and after signing."""
    from casereview.campaign.sheet import machine_status

    from .helpers import sign_overriding_all, single_file_campaign

    store = make_campaign(f"sqlite:///{tmp_path / 'campaign.db'}", tmp_path)
    case_id, li, result = single_file_campaign(store, "未结案", tmp_path / "b", "26-xinjian-wei-jiean.yaml")
    assert machine_status(result) == "未结案"
    app = create_app(store, secret_key="test")
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, "li")
    page = client.get(f"/files/{case_id}").get_data(as_text=True)
    assert re.search(r'id="sheet-score">—<', page) and "未结案（不评定等次" in page
    sign_overriding_all(store, case_id, li, result)
    signed = client.get(f"/files/{case_id}").get_data(as_text=True)
    assert "签署：未结案，不评定等次" in signed and " 分，未结案" not in signed


def test_file_page_says_the_machine_grade_is_provisional(app, store):
    """16 (a refused stop order on a major hazard, no transfer): TR-001 holds a veto open that only a
    person can decide, so the machine pre-review is 良好 for now, never 优秀."""
    case_id, _ = ids(store, "濂", "li")
    client = app.test_client()
    login(client, "li")
    html = client.get(f"/files/{case_id}").get_data(as_text=True)
    assert "良好（暂定：" in html and "TR-001" in html
