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
    add_user(settings, "ada", PASSWORD, "admin")
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
    assert page.evaluate("document.activeElement.id") == "q"  # ready to type
    first = page.evaluate("document.body.querySelector('a[href], button, input, select').textContent")
    assert first.strip() == "Skip to main content"
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
    # the confirmation is inside the card, in view, and the card changed state
    confirmation = page.locator("#hit-1-rated")
    confirmation.wait_for()
    assert "you marked result 1 not helpful" in confirmation.inner_text()
    assert _in_viewport(page, "#hit-1-rated")
    assert "card-rated" in (page.locator("#hit-1").get_attribute("class") or "")
    assert page.locator("#hit-1").get_by_role("button", name="Not helpful").count() == 0
    page.get_by_label("What was wrong? (optional)").select_option("outdated")
    page.locator("#hit-1").get_by_role("button", name="Send reason").click()
    page.locator("#hit-1-rated:has-text('Reason recorded: Out of date')").wait_for()
    assert _in_viewport(page, "#hit-1-rated")
    row = sqlite3.connect(server["home"] / "webapp.db").execute(
        "SELECT doc_id, verdict, query, reason FROM feedback").fetchone()
    assert row == ("web-taper", "not_helpful", "", "outdated")  # query logging is off: the question text is not kept
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


@pytest.fixture
def three_state_server(web_kb_home, tmp_path):
    """The real KB plus a case with no recommendation, served by a real werkzeug server in a thread."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from fixtures import write_pancreatitis_case
    from index.kb import KnowledgeBase
    from kb_settings import Settings
    from webapp import create_app

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:
            pass

    home = tmp_path / "served"
    shutil.copytree(web_kb_home, home)
    doc = write_pancreatitis_case(tmp_path / "case")
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


# ---------------------------------------------------------------- first hour (issue #14) and axe-core

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"


def _in_viewport(pg, selector: str) -> bool:
    box = pg.locator(selector).bounding_box()
    height = pg.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


def _login(pg, url: str, name: str) -> None:
    pg.goto(url + "/login")
    pg.get_by_label("User name").fill(name)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_load_state()


def _axe(pg) -> list[dict]:
    """Run axe-core (vendored 4.x) on the current page; serious and critical violations."""
    pg.add_script_tag(path=str(AXE))
    found = pg.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return {passes: r.passes.length, version: axe.version,
                violations: r.violations.map(v => ({id: v.id, impact: v.impact,
                                                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))};
    }""")
    assert found["version"].startswith("4.") and found["passes"] > 10, found  # axe really ran
    return [v for v in found["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def axe_context(browser):
    """A context whose pages may load axe-core despite the app's CSP (script-src 'self')."""
    made = []

    def factory(width: int = 1100, height: int = 900):
        ctx = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        made.append(ctx)
        return ctx.new_page()

    yield factory
    for ctx in made:
        ctx.close()


def _hold_a_file(url_page, url: str, tmp_path) -> None:
    """Upload a file the privacy screen holds (a phone number), as a curator."""
    doc = tmp_path / "held-note.md"
    doc.write_text("# Follow-up\n\nCall her at 416-555-0199 before the next session about the taper.\n")
    url_page.goto(url + "/curate/upload")
    url_page.set_input_files("#files", str(doc))
    url_page.get_by_role("button", name="Upload and index").click()
    url_page.wait_for_selector("#outcome-h")


def test_search_box_has_focus_on_load(page, server):
    page.goto(server["url"] + "/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("naloxone kit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#hit-1")
    assert "type=" not in page.url and "from=" not in page.url, "no empty parameters in the URL"


def test_phone_shows_the_first_source_above_the_fold(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    pg.goto(server["url"] + "/?q=how+fast+can+I+taper+oxycodone+120+mg/day")
    pg.wait_for_selector("#hit-1")
    notice = pg.locator(".notice").bounding_box()
    assert notice["height"] < 844 / 8, f"the disclaimer takes {notice['height']} px"
    top = pg.locator("#hit-1 h3").bounding_box()
    assert top["y"] + top["height"] <= 844, f"first source starts at {top['y']} px"
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()


def test_quarantine_preview_then_discard(page, server, tmp_path):
    url = server["url"]
    _login(page, url, "cara")
    _hold_a_file(page, url, tmp_path)
    page.goto(url + "/curate/quarantine")
    assert "held since 1" not in page.locator("main").inner_text()
    page.get_by_role("link", name="Preview the redacted text of held-note.md").click()
    preview = page.locator(".redacted-preview").inner_text()
    assert "[PHONE]" in preview and "416-555-0199" not in preview
    page.get_by_role("button", name="Discard").click()
    page.wait_for_selector(".flash")
    assert "Discarded held-note.md" in page.locator(".flash").inner_text()
    assert "Nothing is in quarantine." in page.locator("main").inner_text()
    assert page.problems == [], page.problems


def test_admin_reads_the_audit_log_in_the_app(page, server):
    url = server["url"]
    _login(page, url, "cara")
    page.goto(url + "/curate/documents/web-taper/edit")
    page.get_by_label("Last reviewed").fill("2025-06-30")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector(".flash")
    assert "version" in page.locator(".flash").inner_text()
    _login(page, url, "ada")
    page.goto(url + "/curate/audit")
    page.get_by_label("Action").select_option("edit")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#audit-table tbody tr").first
    text = row.inner_text()
    assert "cara" in text and "web-taper" in text and "2024-01-10 → 2025-06-30" in text
    assert page.locator("#audit-table tbody tr").count() == 1
    assert page.problems == [], page.problems


def test_reindex_progress_updates_without_reloading(page, server):
    url = server["url"]
    _login(page, url, "cara")
    page.goto(url + "/curate/")
    page.get_by_role("button", name="Start re-index").click()
    page.wait_for_selector("#job")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.locator("#job-message[aria-live=polite]").count() == 1
    page.evaluate("window.__sameDocument = true")
    page.locator("#job-state:text-is('done')").wait_for(timeout=120000)
    assert page.evaluate("window.__sameDocument === true"), "the page was not reloaded"
    assert "Published version" in page.locator("#job-message").inner_text()
    assert page.problems == [], page.problems


def test_axe_finds_no_serious_violations_on_physician_pages(axe_context, server):
    url = server["url"]
    for width, height in ((1100, 900), (390, 844)):
        pg = axe_context(width, height)
        for path in ("/", "/?q=how+fast+can+I+taper+oxycodone", "/?q=zzzz+qqqq", "/?q=x&from=2020-99-99",
                     "/documents/web-taper?start=0&end=40#passage", "/login"):
            pg.goto(url + path)
            assert _axe(pg) == [], (width, path)


@pytest.mark.slow  # eleven curator pages at two widths and a re-index (~15-30 s): `make test-slow`, which CI runs
def test_axe_finds_no_serious_violations_on_curator_pages(axe_context, server, tmp_path):
    url = server["url"]
    pg = axe_context(390, 844)
    _login(pg, url, "ada")
    pg.goto(url + "/?q=taper+oxycodone")
    pg.locator("#hit-1").get_by_role("button", name="Not helpful").click()
    pg.locator("#hit-1-rated").wait_for()
    assert _axe(pg) == [], "rated card"
    _hold_a_file(pg, url, tmp_path)
    assert _axe(pg) == [], "upload outcome"
    qid = sqlite3.connect(server["home"] / "catalog.db").execute("SELECT qid FROM quarantine").fetchone()[0]
    pages = ["/curate/", "/curate/upload", "/curate/documents", "/curate/documents/web-taper/edit",
             "/curate/documents/web-taper/delete", "/curate/quarantine", f"/curate/quarantine/{qid}/preview",
             "/curate/feedback", "/curate/gaps", "/curate/audit", "/curate/tokens"]
    for width in (390, 1100):
        pg.set_viewport_size({"width": width, "height": 844})
        for path in pages:
            pg.goto(url + path)
            assert _axe(pg) == [], (width, path)
    pg.goto(url + "/curate/")
    pg.get_by_role("button", name="Start re-index").click()
    pg.wait_for_selector("#job")
    assert _axe(pg) == [], "job page"
    pg.locator("#job-state:text-is('done')").wait_for(timeout=120000)


def test_axe_check_catches_a_violation(axe_context, server):
    """The accessibility check can fail: the old meta refresh is a critical violation for axe-core (an hour's
    delay: a short one would reload the page while axe runs on a slow machine)."""
    pg = axe_context()
    pg.goto(server["url"] + "/")
    pg.evaluate("""() => { const m = document.createElement('meta'); m.httpEquiv = 'refresh';
                           m.content = '3600'; document.head.appendChild(m); }""")
    assert any(v["id"] == "meta-refresh" for v in _axe(pg))
