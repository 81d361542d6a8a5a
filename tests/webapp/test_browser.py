"""Real-browser tests: Debian Chromium driven by Playwright against a real server over a real KB.

Skipped when /usr/bin/chromium is missing, unless KB_REQUIRE_BROWSER=1 (CI), where that is a failure.
With KB_SCREENSHOT=1 the physician test also writes docs/screenshot.png.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from webapp_testutil import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("KB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (KB_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(web_kb_home, tmp_path):
    """A real werkzeug server in a thread on a random port, over a private copy of the real KB."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from index.kb import KnowledgeBase
    from kb_settings import Settings
    from webapp import create_app
    from webapp.users import add_user

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:  # request lines carry query text: keep them out
            pass

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    settings = Settings(home=home)
    add_user(settings, "cara", PASSWORD, "curator")
    app = create_app(settings, kb=KnowledgeBase(settings))
    srv = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield {"url": f"http://127.0.0.1:{srv.server_port}", "home": home}
    srv.shutdown()
    t.join(5)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.problems = problems  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def test_physician_searches_reads_answer_opens_passage_and_marks(page, server):
    url = server["url"]
    page.goto(url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    page.get_by_label("Your clinical question").fill("how fast can I taper oxycodone 120 mg/day?")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#answer-h")
    answer = page.locator("#answer .answer-list li").first
    assert "[1]" in answer.inner_text()
    assert page.locator("#hit-1 h3").inner_text().endswith("Tapering long-term opioid therapy")
    assert page.locator("#hit-1 mark").count() >= 1
    if os.environ.get("KB_SCREENSHOT") == "1":
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=False)
    # the citation marker jumps to its source card
    page.locator("#answer a.cite").first.click()
    assert page.url.endswith("#hit-1") or "#hit-" in page.url
    # open the cited document at the passage
    page.locator("#hit-1 a.open-doc").click()
    page.wait_for_selector("#passage")
    assert page.url.endswith("#passage")
    box = page.locator("#passage").bounding_box()
    assert box is not None and 0 <= box["y"] < 900, "the passage is scrolled into view"
    marked = " ".join(page.locator(".in-passage, mark.focus").all_inner_texts())
    assert "5 to 10 percent" in marked or "oxycodone" in marked.lower()
    assert page.locator("a", has_text="Back to results").count() == 1
    page.go_back()
    page.wait_for_selector("#hit-1")
    page.locator("#hit-1").get_by_role("button", name="Not helpful").click()
    page.wait_for_selector(".flash")
    assert "feedback was recorded" in page.locator(".flash").inner_text()
    row = sqlite3.connect(server["home"] / "webapp.db").execute(
        "SELECT doc_id, verdict, query FROM feedback").fetchone()
    assert row == ("web-taper", "not_helpful", "")  # query logging is off: the question text is not kept
    assert page.problems == [], page.problems  # no CSP violations or script errors


def test_document_page_shows_a_table_as_a_table(page, server, tmp_path):
    """A document with a dosing table renders it as a table (screenshot: docs/document-table.png)."""
    page.goto(server["url"] + "/documents/web-apap")
    table = page.locator(".doc-body table.doc-table")
    table.wait_for()
    assert page.locator(".doc-body table.doc-table thead th").all_inner_texts() == [
        "Patient group", "Maximum per day", "Note"]
    assert page.locator(".doc-body table.doc-table tbody tr").count() == 3
    cell = page.locator(".doc-body table.doc-table tbody tr").first.locator("td").last
    assert "<script>alert('cell')</script>" in cell.inner_text(), "hostile cell text shows as text"
    assert page.locator(".doc-body ol.doc-list > li").count() == 3
    assert page.locator(".doc-body ol.doc-list ul.doc-list > li").count() == 2
    box = table.bounding_box()
    assert box is not None and box["width"] > 300
    out = ROOT / "docs" / "document-table.png" if os.environ.get("KB_SCREENSHOT") == "1" else \
        tmp_path / "document-table.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    assert page.problems == [], page.problems


def test_untrusted_text_is_inert_in_browser(page, server):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server["url"] + "/?q=negative+urine+drug+test+prescribed+opioid")
    page.wait_for_selector("#hit-1")
    page.goto(server["url"] + "/documents/web-xss")
    assert "<script>alert(1)</script>" in page.locator(".doc-body").inner_text()
    assert dialogs == []


def test_phone_width_has_no_horizontal_scroll(browser, server):
    ctx = browser.new_context(viewport={"width": 360, "height": 740})
    pg = ctx.new_page()
    pg.goto(server["url"] + "/?q=bup+micro+induction+from+90+MME+oxy")
    pg.wait_for_selector("#hit-1")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360
    ctx.close()


def test_curator_uploads_finds_and_deletes(page, server, tmp_path):
    url = server["url"]
    page.goto(url + "/curate/")
    assert "/login" in page.url
    page.get_by_label("User name").fill("cara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1:has-text('Curator area')")
    doc = tmp_path / "ketamine-infusion.md"
    doc.write_text("---\ntitle: Ketamine infusion referral\ntype: guideline\n---\n# Ketamine\n\n"
                   "Refer refractory neuropathic pain for a ketamine infusion assessment at a pain clinic.\n")
    page.goto(url + "/curate/upload")
    page.set_input_files("#files", str(doc))
    page.get_by_label("Source organisation").fill("Browser Test Org")
    page.get_by_role("button", name="Upload and index").click()
    page.wait_for_selector("#outcome-h")
    assert "added" in page.locator("table").inner_text()
    page.goto(url + "/?q=ketamine+infusion+referral")
    assert page.locator("#hit-1 h3").inner_text().endswith("Ketamine infusion referral")
    page.goto(url + "/curate/documents?q=ketamine")
    page.get_by_role("link", name="Delete Ketamine infusion referral").click()
    page.get_by_role("button", name="Delete document").click()
    page.wait_for_selector(".flash")
    assert "Deleted ketamine-infusion" in page.locator(".flash").inner_text()
    page.goto(url + "/?q=ketamine+infusion+referral")
    assert "Ketamine infusion referral" not in page.locator("main").inner_text()
    assert page.problems == [], page.problems


PANCREATITIS_CASE = """---
id: web-pancreatitis
title: ECHO case - chronic pancreatitis pain in a man on oxycodone
type: echo-case
source: Sample Project ECHO Hub
published: 2022-05-01
reviewed: 2024-05-01
sample: true
---
# ECHO case - chronic pancreatitis pain in a man on oxycodone

Illustrative sample content, not clinical advice.

## Case presentation

A man in his fifties with chronic pancreatitis has daily epigastric pain radiating to the back. He takes oxycodone
for pancreatitis pain and reports poor sleep, weight loss and fear of eating because meals worsen his pancreatitis.

## Question from the presenting physician

How should his chronic pancreatitis pain be managed?
"""


@pytest.fixture
def three_state_server(web_kb_home, tmp_path):
    """The real KB plus a case with no recommendation, served by a real werkzeug server in a thread."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from index.kb import KnowledgeBase
    from kb_settings import Settings
    from webapp import create_app

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:
            pass

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    doc = tmp_path / "pancreatitis.md"
    doc.write_text(PANCREATITIS_CASE)
    settings = Settings(home=home)
    kb = KnowledgeBase(settings)
    assert kb.ingest_paths([doc]).documents == 1
    srv = make_server("127.0.0.1", 0, create_app(settings, kb=kb), threaded=True, request_handler=QuietHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    t.join(5)


def test_page_shows_the_three_answer_states(page, three_state_server):
    import urllib.parse

    def ask(q: str) -> None:
        page.goto(three_state_server + "/?" + urllib.parse.urlencode({"q": q}))
        page.wait_for_selector("#answer")

    ask("how fast can I taper oxycodne 120 mg/day?")
    assert page.locator("#answer").get_attribute("data-status") == "answered"
    spelling = page.locator(".spelling").inner_text()
    assert "Showing results for" in spelling and "oxycodone" in spelling and "search instead for" in spelling
    first = page.locator("#answer .answer-list li").first.inner_text()
    assert "[1]" in first and "Tapering long-term opioid therapy" in first and "Guideline" in first
    page.locator(".exact-link").click()  # search instead for the words as typed
    page.wait_for_selector("#answer")
    assert page.locator(".spelling").count() == 0

    ask("chronic pancreatitis pain management on oxycodone")
    assert page.locator("#answer").get_attribute("data-status") == "no_direct_answer"
    assert page.locator("#answer .answer-list").count() == 0
    assert "No passage answers this directly" in page.locator("#answer").inner_text()
    assert page.locator("#hit-1").count() == 1

    ask("asdf qwer zxcv")
    assert page.locator("#answer").get_attribute("data-status") == "out_of_scope"
    assert "does not appear to cover" in page.locator("#answer").inner_text()
    assert page.locator("#answer-h").inner_text() == "Not covered"
    assert "probably not relevant" in page.locator("#sources-h").inner_text()
    assert page.locator(".cards > li").count() <= 3
    assert page.problems == [], page.problems
