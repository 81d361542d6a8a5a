"""Structured rendering (#11): tables, lists and headings from typed blocks, escaped; the original file as a
download; the way back to the results; and no raw Markdown on any page of the sample corpus."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fake_kb import FakeKB

ROOT = Path(__file__).resolve().parents[2]
CORPUS_FILES = sorted(p for p in (ROOT / "corpus").rglob("*")
                      if p.suffix in {".md", ".html", ".pdf", ".txt", ".docx"} and p.parent.name != "eval"
                      and p.name != "README.md")


def test_document_page_renders_table_lists_and_escapes_cells(real_app):
    c = real_app.test_client()
    html = c.get("/documents/web-apap").get_data(as_text=True)
    soup = BeautifulSoup(html, "lxml")
    body = soup.select_one(".doc-body")
    table = body.select_one("table.doc-table")
    assert [th.get_text() for th in table.select("thead th")] == ["Patient group", "Maximum per day", "Note"]
    assert [tr.select_one("th").get_text() for tr in table.select("tbody tr")] == [
        "Healthy adult", "Chronic alcohol use", "Older adult under 50 kg"]
    assert "<script>alert('cell')" not in html
    assert "&lt;script&gt;alert(&#39;cell&#39;)&lt;/script&gt; split the doses" in html
    ol = body.select_one("ol.doc-list")
    assert [li.get("value") for li in ol.find_all("li", recursive=False)] == ["1", "2", "3"]
    nested = ol.find_all("li", recursive=False)[1].select_one("ul.doc-list")
    assert [li.get_text() for li in nested.find_all("li")] == ["cold and flu remedies", "sleep aids"]
    assert [h.get_text() for h in body.select("h3.doc-heading")] == ["Maximum daily dose", "Counselling"]
    assert "1. Count" not in body.get_text(), "the list number is rendered by the list, not repeated as text"


def test_card_shows_the_table_under_its_header_and_links_back(real_app):
    c = real_app.test_client()
    html = c.get("/", query_string={"q": "maximum acetaminophen per day chronic alcohol use"}).get_data(as_text=True)
    soup = BeautifulSoup(html, "lxml")
    card = next(a for a in soup.select("article.card") if "Acetaminophen daily limits" in a.get_text())
    table = card.select_one("table.doc-table")
    assert table is not None and [th.get_text() for th in table.select("thead th")][0] == "Patient group"
    assert "Chronic alcohol use" in table.get_text()
    assert "|" not in card.select_one(".passage").get_text()
    link = unescape(card.select_one("a.open-doc")["href"])
    assert "back=" in link
    doc = BeautifulSoup(c.get(link.split("#")[0]).get_data(as_text=True), "lxml")
    back = doc.find("a", string=re.compile("Back to results"))
    assert back is not None and back["href"].startswith("/?") and "q=maximum" in back["href"]
    assert doc.select_one("#passage") is not None


def test_back_link_is_never_off_site(real_app):
    html = real_app.test_client().get("/documents/web-apap", query_string={"back": "https://evil.example/x"}) \
        .get_data(as_text=True)
    back = BeautifulSoup(html, "lxml").find("a", string=re.compile("Back to results"))
    assert back["href"] == "/"


def test_original_file_downloads_as_an_attachment_of_its_type(real_app, web_kb_home):
    c = real_app.test_client()
    html = c.get("/documents/web-apap").get_data(as_text=True)
    link = BeautifulSoup(html, "lxml").select_one("p.original a")
    assert link is not None and link.get_text().startswith("Original Markdown file")
    r = c.get(link["href"])
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment;") and "web-apap.md" in r.headers[
        "Content-Disposition"]
    assert r.mimetype == "text/markdown"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.data == (web_kb_home.parent / "docs" / "web-apap.md").read_bytes()
    assert c.get("/documents/no-such-doc/original").status_code == 404


def test_html_original_is_never_served_inline(real_app, tmp_path):
    kb = real_app.extensions["kb"]
    page = tmp_path / "web-page.html"
    page.write_text("<html><head><title>Inline test</title></head><body><h1>Inline test</h1>"
                    "<p>Naloxone <script>alert(1)</script> for everyone.</p></body></html>")
    kb.ingest_paths([page])
    r = real_app.test_client().get("/documents/web-page/original")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


class _CorpusKB(FakeKB):
    """The sample corpus as the real readers produce it, with the real blocks, without embedding anything."""

    def blocks(self, doc_id: str, start: int, end: int) -> list[dict]:
        return [b for b in self.docs[doc_id].sections if b["start"] < end and b["end"] > start]


RAW_MARKDOWN = [
    (re.compile(r"^\s*[-*+•]\s", re.M), "a bullet marker"),
    (re.compile(r"^\s*#{1,6}\s", re.M), "a heading marker"),
    (re.compile(r"^\s*>\s", re.M), "a quote marker"),
    (re.compile(r"\|"), "a table pipe"),
    (re.compile(r"\*\*|__|`"), "emphasis or code markup"),
    (re.compile(r"\]\(|!\["), "link or image markup"),
    (re.compile(r"^\s*-{3,}\s*$|^\s*={3,}\s*$", re.M), "a rule or setext underline"),
]


@pytest.fixture(scope="module")
def corpus_kb():
    from ingest.chunking import ChunkParams, chunk_document
    from ingest.readers import read_path

    from index.kb import block_dict
    from index.types import DocumentRecord, Hit

    records, hits = [], []

    def spans(texts):  # word spans stand in for word pieces: this test is about rendering, not token counts
        return [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]

    for path in CORPUS_FILES:
        for doc in read_path(path):
            m = doc.meta
            records.append(DocumentRecord(m.doc_id, m.title, m.doc_type, m.source, m.published, m.reviewed,
                                          list(m.tags), m.filename, m.basis, doc.text, "h", 1,
                                          [block_dict(s) for s in doc.sections]))
            for c in chunk_document(doc, spans, ChunkParams(max_tokens=180)):
                hits.append(Hit(doc_id=m.doc_id, chunk_id=len(hits), title=m.title, text=c.text, score=1.0,
                                section=" › ".join(c.heading_path), page=c.page, doc_type=m.doc_type, source=m.source,
                                date=m.published, reviewed=m.reviewed, tags=list(m.tags), start=c.start, end=c.end))
    return _CorpusKB(records), hits


def _raw_markdown(text: str) -> list[str]:
    return [why for pattern, why in RAW_MARKDOWN if pattern.search(text)]


def _visible(node) -> str:
    """Text as a reader sees it: one line per block element."""
    for br in node.find_all(["p", "li", "tr", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"]):
        br.insert_before("\n")
    return node.get_text()


def test_no_raw_markdown_on_any_corpus_document_page_or_card(make_app, corpus_kb):
    kb, hits = corpus_kb
    assert len(kb.docs) >= 60 and len(hits) > 300
    app = make_app(kb=kb)
    client = app.test_client()
    problems = []
    tables = 0
    for doc_id in kb.docs:
        html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        body = BeautifulSoup(html, "lxml").select_one(".doc-body")
        tables += len(body.select("table.doc-table"))
        found = _raw_markdown(_visible(body))
        if found:
            problems.append((doc_id, found))
    from flask import get_template_attribute

    from webapp.search import hit_view

    with app.test_request_context("/"):
        render = get_template_attribute("_blocks.html", "render")
        for i, hit in enumerate(hits):
            nodes = hit_view(i, hit)["nodes"]
            found = _raw_markdown(_visible(BeautifulSoup(str(render(nodes)), "lxml")))
            if found:
                problems.append((f"card {hit.doc_id}#{i}", found))
    assert not problems, problems[:10]
    assert tables >= 8, "the corpus's tables display as tables"


def test_hostile_cell_text_is_escaped_in_cards_and_pages(make_app):
    from ingest.models import Block, Document, DocumentMeta

    from index.kb import block_dict
    from index.types import DocumentRecord, Hit
    from ingest.chunking import ChunkParams, chunk_document

    hostile = "<img src=x onerror=alert(1)>"
    doc = Document.from_blocks(DocumentMeta("evil-table", "Evil table"), [
        Block("Evil table", ("Evil table",), None, "heading", level=1),
        Block.table([["Drug", "Note </td><script>x()</script>"], ["Oxycodone", hostile]], ("Evil table",)),
        Block.item(f"item {hostile}", 0, 1, ("Evil table",))])
    rec = DocumentRecord("evil-table", "Evil table", "other", "", "", "", [], "evil.md", "", doc.text, "h", 1,
                         [block_dict(s) for s in doc.sections])
    kb = _CorpusKB([rec])
    app = make_app(kb=kb)
    html = app.test_client().get("/documents/evil-table").get_data(as_text=True)
    assert "<img" not in html and "<script>x()" not in html and "</td><script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    spans = lambda texts: [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]  # noqa: E731
    chunk = chunk_document(doc, spans, ChunkParams())[0]
    hit = Hit(doc_id="evil-table", chunk_id=0, title="Evil table", text=chunk.text, score=1.0, section="",
              page=None, doc_type="other", source="", date="", reviewed="", tags=[], start=chunk.start,
              end=chunk.end, highlights=[[0, len(chunk.text)]])
    from flask import get_template_attribute

    from webapp.search import hit_view

    with app.test_request_context("/"):
        out = str(get_template_attribute("_blocks.html", "render")(hit_view(0, hit)["nodes"]))
    assert "<img" not in out and "<script>" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert out.count("<table") == 1


def test_pdf_document_page_has_page_markers_contents_and_its_table(make_app, corpus_kb):
    kb, _ = corpus_kb
    html = make_app(kb=kb).test_client().get("/documents/guide-opioid-tapering").get_data(as_text=True)
    soup = BeautifulSoup(html, "lxml")
    markers = [p.get_text() for p in soup.select(".doc-body .page-marker")]
    assert markers == ["Page 1", "Page 2", "Page 3", "Page 4"]
    toc = [a.get_text() for a in soup.select("nav.toc a")]
    assert "Practical techniques" in toc and "Managing withdrawal symptoms" in toc
    for a in soup.select("nav.toc a"):
        assert soup.find(id=a["href"][1:]) is not None, "every contents entry leads to its heading"
    table = soup.select_one("#page-3 ~ .table-scroll table.doc-table")
    assert table is not None and table.select("thead th")[0].get_text() == "Weeks"
    assert [td.get_text() for td in table.select("tbody tr")[0].select("th, td")] == ["0-3", "40 mg", "40 mg", "80 mg"]


def test_document_page_focuses_the_answer_sentence_inside_the_passage(make_app, corpus_kb):
    kb, _ = corpus_kb
    doc = kb.docs["guide-opioid-tapering"]
    start = doc.text.index("Reduce by about 10%")
    end = doc.text.index("as the dose falls.") + len("as the dose falls.")
    s = start
    e = doc.text.index(".", s) + 1
    html = make_app(kb=kb).test_client().get(
        "/documents/guide-opioid-tapering", query_string={"start": start, "end": end, "hl": f"{s}-{e},9-x"}
    ).get_data(as_text=True)
    focus = BeautifulSoup(html, "lxml").select("mark.focus")
    assert [m.get_text() for m in focus] == [doc.text[s:e]]
    assert focus[0].get("id") == "passage"
