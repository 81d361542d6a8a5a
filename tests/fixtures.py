"""Small documents in every supported format, written on demand so tests read real files."""
from __future__ import annotations

import json
from pathlib import Path

MD = """---
id: fx-taper
title: Opioid tapering basics
type: guideline
source: Fixture Programme
published: 2021-05-01
reviewed: 2018-02-01
tags: [tapering, mme]
basis: 2022 CDC Clinical Practice Guideline for Prescribing Opioids for Pain
sample: true
---
# Opioid tapering basics

Illustrative sample content, not clinical advice.

## Taper speed

For long-term opioid therapy, reduce by about 10% of the current dose per month. A faster taper of 10% per week
suits patients who have taken opioids for only weeks. Pause when withdrawal or pain flares.

## Naloxone

Offer take-home naloxone to anyone taking 50 MME per day or more.
"""

HTML = """<!doctype html><html><head><title>UDT page</title>
<meta name="kb:id" content="fx-udt"><meta name="kb:type" content="guideline">
<meta name="kb:source" content="Fixture Lab Service"><meta name="kb:published" content="2020-01-15">
<meta name="kb:reviewed" content="2024-01-15"><meta name="kb:tags" content="urine-drug-testing, oud">
<style>body{color:red}</style><script>var secret = "SCRIPT-TEXT";</script></head>
<body><header>SITE-HEADER banner</header><nav><a href="/">NAV-LINK Home</a></nav>
<main><h1>Urine drug testing</h1><p>Illustrative sample content.</p>
<h2>Immunoassay limits</h2><p>Standard opiate immunoassays often miss oxycodone and fentanyl; ask the lab for
a specific assay when the prescribed opioid is absent.</p>
<h3>Confirmatory testing</h3><ul><li>Use mass spectrometry to confirm unexpected results.</li></ul>
<table><tr><th>Drug</th><th>Window</th></tr><tr><td>Morphine</td><td>2-3 days</td></tr></table>
</main><footer>FOOTER-TEXT copyright</footer></body></html>"""

TXT = """Buprenorphine start at home
===========================

Illustrative sample content, not clinical advice.

Readiness
---------

Wait until the clinical opiate withdrawal scale (COWS) is at least 12 before the first dose.

First day
---------

Give 2 to 4 mg sublingual buprenorphine, then repeat every one to two hours to a day-one maximum near 12 mg.
"""

TXT_META = "id: fx-bup-home\ntype: echo-case\nsource: Fixture Hub\npublished: 2023-09-01\nreviewed: 2023-09-01\ntags: [buprenorphine, oud]\n"

JSONL = [
    {"_id": "fx-j1", "title": "Gabapentinoids", "text": "Pregabalin and gabapentin help some neuropathic pain. Start low and titrate."},
    {"_id": "fx-j2", "title": "Acetaminophen ceiling", "text": "Keep acetaminophen at or below 4 g per day, and 3 g in older adults or liver disease."},
]

# An ECHO case that poses a question and recommends nothing: the "no direct answer" state of the answer stage
# (tests/test_answer.py) and of the served page (tests/webapp/test_browser.py).
PANCREATITIS_ID = "fx-pancreatitis"
PANCREATITIS_CASE = """---
id: fx-pancreatitis
title: ECHO case - chronic pancreatitis pain in a man on oxycodone
type: echo-case
source: Fixture ECHO Hub
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


def write_pancreatitis_case(folder: Path) -> Path:
    """Write the no-recommendation case into folder; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pancreatitis.md"
    path.write_text(PANCREATITIS_CASE)
    return path


def write_pdf(path: Path, pages: list[tuple[str, str]], title: str = "Methadone basics", keywords: str = "methadone") -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_keywords(keywords)
    for heading, body in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body)
    pdf.output(str(path))


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Neuropathic pain ladder"
    d.core_properties.keywords = "neuropathic-pain"
    d.add_heading("Neuropathic pain ladder", level=1)
    d.add_paragraph("Illustrative sample content, not clinical advice.")
    d.add_heading("First line", level=2)
    d.add_paragraph("Start with a gabapentinoid, a tricyclic antidepressant or duloxetine.")
    d.add_heading("Second line", level=2)
    d.add_paragraph("Tramadol or a cannabinoid may be considered when first-line options fail.")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Drug", "Start dose"
    t.cell(1, 0).text, t.cell(1, 1).text = "Pregabalin", "25 to 75 mg at night"
    d.save(str(path))


PDF_PAGES = [
    ("Methadone basics", "Illustrative sample content. Methadone has a long and variable half-life."),
    ("Starting doses", "In opioid use disorder, a usual starting dose is 10 to 30 mg daily, raised by no more than "
     "5 to 10 mg every five days."),
    ("QTc monitoring", "Check an ECG at baseline and when the dose passes 100 mg daily, looking for QTc prolongation."),
]


def write_all(folder: Path) -> Path:
    """Write one file per format into folder; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taper.md").write_text(MD)
    (folder / "udt.html").write_text(HTML)
    (folder / "bup.txt").write_text(TXT)
    (folder / "bup.meta.yaml").write_text(TXT_META)
    (folder / "small.jsonl").write_text("\n".join(json.dumps(r) for r in JSONL) + "\n")
    (folder / "small.meta.yaml").write_text("type: other\nsource: Fixture Collection\n")
    write_pdf(folder / "methadone.pdf", PDF_PAGES)
    (folder / "methadone.meta.yaml").write_text("id: fx-methadone\ntype: guideline\nsource: Fixture Programme\n"
                                                 "published: 2019-06-01\nreviewed: 2019-06-01\n")
    write_docx(folder / "neuro.docx")
    (folder / "neuro.meta.yaml").write_text("id: fx-neuro\ntype: guideline\nsource: Fixture Programme\n")
    return folder


def make_kb(home: Path, **overrides):
    """A KnowledgeBase on `home` with default settings (the model is shared process-wide)."""
    from index.kb import KnowledgeBase
    from kb_settings import Settings

    return KnowledgeBase(Settings.from_env(home=home, **overrides))


def load_benchmark(name: str):
    """benchmarks/<name>.py as a module, loaded once per process (benchmarks/ is scripts, not a package)."""
    import importlib.util
    import sys

    key = f"pp_bench_{name}"
    if key not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
