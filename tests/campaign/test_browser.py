"""End to end in a real browser (Debian's headless Chromium driven by Playwright; no browser is
downloaded): two reviewers review one file — override a finding with a reason, confirm another,
score two human items, sign off — they disagree, the lead resolves it side by side, and the
exported final result carries the resolved score.

The server runs on 127.0.0.1 only, on a free port. Set CASEREVIEW_UPDATE_SCREENSHOT=1 to refresh
the README's screenshot of the file page (reports/campaign-file-page.png).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from casereview.campaign import service
from casereview.server.app import create_app

from .helpers import PASSWORD, ROOT, make_campaign

CHROMIUM = Path(os.environ.get("CASEREVIEW_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT = ROOT / "reports" / "campaign-file-page.png"
CASE = "（洪青）应急罚〔2024〕27号"


@pytest.fixture
def server(tmp_path):
    pytest.importorskip("playwright.sync_api", reason="playwright 未安装（pip install -e '.[test]'）")
    if not CHROMIUM.exists():
        pytest.skip(f"没有 {CHROMIUM}（以 root 运行 scripts/test.sh 会用 apt 安装 chromium）")
    from waitress.server import create_server

    store = make_campaign(f"sqlite:///{tmp_path / 'campaign.db'}", tmp_path, reviewers_per_file=2)
    service.assign_all(store, None, ["li", "zhao"], actor="lead")
    app = create_app(store, secret_key="browser-test")
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def login(browser, base: str, username: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def review(page, first: str, reason: str, screenshot: Path | None = None) -> None:
    page.get_by_role("link", name=CASE).click()
    bm, dead = (page.locator(f"section.finding[data-key^='{code}@']") for code in ("BM-003", "DEAD-002"))
    bm.get_by_label("推翻" if first == "override" else "确认").check()
    if reason:
        bm.locator("input[name$='-reason']").fill(reason)
    dead.get_by_label("确认").check()
    page.get_by_label("文书填写完整、规范（每处扣 1 分） 扣分").fill("2")
    page.get_by_label("文书填写完整、规范（每处扣 1 分） 理由").fill("处罚决定书两处未填写日期")
    page.get_by_label("证据收集全面、合法 扣分").fill("3")
    page.get_by_label("证据收集全面、合法 理由").fill("缺少现场检查照片")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#message")).to_have_text("已保存")
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.get_by_role("button", name="签署评查表").click()
    expect(page.locator("#message")).to_contain_text("已签署")
    expect(page.locator("#signed")).to_contain_text("已于")  # the page shows the sheet as signed
    assert page.get_by_role("button", name="签署评查表").count() == 0


def test_two_reviewers_and_a_lead_end_to_end(server, browser, tmp_path):
    shot = tmp_path / "file-page.png"
    li = login(browser, server, "li")
    # a missing reason is refused in Chinese and nothing typed is lost
    li.get_by_role("link", name=CASE).click()
    li.locator("section.finding[data-key^='BM-003@']").get_by_label("推翻").check()
    li.get_by_label("文书使用规范样式 扣分").fill("1")
    li.get_by_label("文书使用规范样式 理由").fill("样式")
    li.get_by_role("button", name="保存").click()
    expect(li.locator("#error")).to_contain_text("须填写理由")
    assert li.locator("section.finding[data-key^='BM-003@']").get_by_label("推翻").is_checked()
    assert li.get_by_label("文书使用规范样式 理由").input_value() == "样式"
    li.get_by_label("文书使用规范样式 扣分").fill("")
    li.get_by_label("文书使用规范样式 理由").fill("")
    li.goto(f"{server}/queue")
    review(li, "override", "决定书附页载明裁量基准事项和阶次", screenshot=shot)
    assert li.locator("#sheet-score").inner_text() == "90"

    zhao = login(browser, server, "zhao")
    review(zhao, "confirm", "")
    assert zhao.locator("#sheet-score").inner_text() == "80"

    lead = login(browser, server, "lead")
    expect(lead.locator("main")).to_contain_text("存在分歧")
    lead.locator("#disputed").get_by_role("link", name=CASE).click()
    row = lead.locator("#dispute-0")
    assert "推翻：决定书附页载明裁量基准事项和阶次" in row.inner_text() and "确认" in row.inner_text()
    row.locator("input[value='1']").check()
    lead.get_by_label("裁决理由").fill("附页已载明基准，采纳第1席意见")
    lead.get_by_role("button", name="裁决并签署").click()
    expect(lead.locator("p.notice")).to_contain_text("最终得分 90，等次 优秀")

    lead.goto(f"{server}/lead/results")
    with lead.expect_download() as download:
        lead.locator("#download-json").click()
    doc = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    row = next(r for r in doc["files"] if r["case_key"] == CASE)
    assert (row["status"], row["final_score"], row["final_grade"]) == ("resolved", 90, "优秀")
    assert shot.stat().st_size > 10_000
    if os.environ.get("CASEREVIEW_UPDATE_SCREENSHOT"):
        shutil.copy(shot, SCREENSHOT)
