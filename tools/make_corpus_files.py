#!/usr/bin/env python
"""Generate the binary documents (PDF and DOCX) of the Practice Partner sample corpus.

Run from the repository root:

    .venv/bin/python tools/make_corpus_files.py

The source text of every PDF and DOCX document lives in this file (see ``DOCS`` below), written in a
small Markdown-like markup:

* ``# Heading``      -> section heading (PDF: bold 14 pt; DOCX: style "Heading 1")
* ``## Heading``     -> sub-section heading (PDF: bold 12 pt; DOCX: style "Heading 2")
* ``- item``         -> bullet item
* ``1. item``        -> numbered item (the number is kept in the text)
* ``| a | b |``      -> table row (first row is the header row)
* blank line         -> paragraph break

Each document is written to ``corpus/<folder>/<name>.<pdf|docx>`` together with a sidecar
``<name>.meta.yaml`` holding every metadata key. PDF document info carries /Title, /Subject (the
source programme) and /Keywords (comma-separated tags); DOCX core properties carry title, subject and
keywords. Output is deterministic: fixed creation dates, no random content.

All content is illustrative sample material, not clinical advice.
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

META_KEYS = ("id", "title", "type", "source", "published", "reviewed", "tags", "basis", "sample")

# Core PDF fonts only cover Latin-1; map the few typographic characters used in the sources.
_TRANSLIT = {
    "\u2013": "-", "\u2014": " - ", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2265": ">=", "\u2264": "<=", "\u2192": "->", "\u2022": "-", "\u2026": "...", "\u00a0": " ",
    "\u2248": "~", "\u2212": "-",
}

DOCS: list[dict] = []


def doc(name: str, folder: str, fmt: str, meta: dict, body: str) -> None:
    """Register one generated document. ``fmt`` is 'pdf' or 'docx'."""
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ValueError(f"{name}: missing metadata keys {missing}")
    DOCS.append({"name": name, "folder": folder, "fmt": fmt, "meta": meta, "body": body.strip("\n")})


# ---------------------------------------------------------------------------------------------
# Markup parsing
# ---------------------------------------------------------------------------------------------

def parse_blocks(body: str) -> list[tuple[str, object]]:
    """Return a list of (kind, payload): h1/h2/p/bullet/num -> str, table -> list[list[str]]."""
    blocks: list[tuple[str, object]] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush_para():
        if para:
            blocks.append(("p", " ".join(s.strip() for s in para)))
            para.clear()

    def flush_table():
        if table:
            blocks.append(("table", [row[:] for row in table]))
            table.clear()

    for raw in body.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            flush_para()
            flush_table()
            continue
        if stripped.startswith("|"):
            flush_para()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            table.append(cells)
            continue
        flush_table()
        if stripped.startswith("## "):
            flush_para()
            blocks.append(("h2", stripped[3:].strip()))
        elif stripped.startswith("# "):
            flush_para()
            blocks.append(("h1", stripped[2:].strip()))
        elif stripped.startswith("- "):
            flush_para()
            blocks.append(("bullet", stripped[2:].strip()))
        elif re.match(r"^\d+\.\s", stripped):
            flush_para()
            blocks.append(("num", stripped))
        elif para or not line.startswith("  "):
            para.append(stripped)
        else:  # continuation of a list item (indented)
            kind, text = blocks[-1]
            blocks[-1] = (kind, f"{text} {stripped}")
    flush_para()
    flush_table()
    return blocks


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------

def _latin1(text: str) -> str:
    for k, v in _TRANSLIT.items():
        text = text.replace(k, v)
    return text.encode("latin-1", "replace").decode("latin-1")


def write_pdf(d: dict, path: Path) -> None:
    from fpdf import FPDF

    meta = d["meta"]

    class _PDF(FPDF):
        def header(self):
            if self.page_no() == 1:
                return
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 6, _latin1(f"{meta['source']} - illustrative sample content"), align="R")
            self.ln(10)
            self.set_text_color(0, 0, 0)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = _PDF(format="A4")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_title(_latin1(meta["title"]))
    pdf.set_subject(_latin1(meta["source"]))
    pdf.set_keywords(", ".join(meta["tags"]))
    pdf.set_author(_latin1(meta["source"]))
    pdf.set_creator("tools/make_corpus_files.py (fpdf2)")
    pdf.set_creation_date(_dt.datetime.fromisoformat(meta["published"] + "T09:00:00+00:00"))

    blocks = parse_blocks(d["body"])
    # Cover page: title, provenance and the first paragraph (the sample-content notice).
    pdf.add_page()
    pdf.ln(30)
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, _latin1(meta["title"]), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    kind_label = "Case recommendation" if meta["type"] == "echo-case" else "Guidance document"
    for line in (kind_label, meta["source"], f"Published {meta['published']} - reviewed {meta['reviewed']}",
                 f"Based on: {meta['basis']}"):
        pdf.multi_cell(0, 6.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    if blocks and blocks[0][0] == "p":
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6.5, _latin1(str(blocks[0][1])), new_x="LMARGIN", new_y="NEXT")
        blocks = blocks[1:]
    pdf.add_page()

    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, payload in blocks:
        if kind == "h1":
            pdf.ln(4)
            pdf.set_font("Helvetica", "B", 14)
            pdf.multi_cell(0, 8, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("Helvetica", "", 11.5)
            pdf.multi_cell(0, 7, _latin1(str(payload)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        elif kind in ("bullet", "num"):
            pdf.set_font("Helvetica", "", 11.5)
            text = str(payload)
            marker = "-"
            if kind == "num":
                marker, text = text.split(" ", 1)
            pdf.set_x(pdf.l_margin + 3)
            pdf.cell(7, 7, _latin1(marker))
            pdf.multi_cell(width - 10, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "table":
            rows = payload
            pdf.set_font("Helvetica", "", 10)
            ncol = max(len(r) for r in rows)
            with pdf.table(width=width, col_widths=tuple([1] * ncol), text_align="LEFT",
                           line_height=6) as table:
                for row in rows:
                    r = table.row()
                    for cell in row + [""] * (ncol - len(row)):
                        r.cell(_latin1(cell))
            pdf.ln(3)
    pdf.output(str(path))


# ---------------------------------------------------------------------------------------------
# DOCX
# ---------------------------------------------------------------------------------------------

def write_docx(d: dict, path: Path) -> None:
    import docx
    from docx.shared import Pt

    meta = d["meta"]
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)

    cp = document.core_properties
    cp.title = meta["title"]
    cp.subject = meta["source"]
    cp.keywords = ", ".join(meta["tags"])
    cp.author = meta["source"]
    cp.comments = f"Illustrative sample content. Based on: {meta['basis']}"
    fixed = _dt.datetime.fromisoformat(meta["published"] + "T09:00:00")
    cp.created = fixed
    cp.modified = _dt.datetime.fromisoformat(meta["reviewed"] + "T09:00:00")
    cp.last_modified_by = "make_corpus_files.py"
    cp.revision = 1

    document.add_paragraph(meta["title"], style="Title")
    for kind, payload in parse_blocks(d["body"]):
        if kind == "h1":
            document.add_heading(str(payload), level=1)
        elif kind == "h2":
            document.add_heading(str(payload), level=2)
        elif kind == "p":
            document.add_paragraph(str(payload))
        elif kind == "bullet":
            document.add_paragraph(str(payload), style="List Bullet")
        elif kind == "num":
            document.add_paragraph(str(payload))
        elif kind == "table":
            rows = payload
            ncol = max(len(r) for r in rows)
            table = document.add_table(rows=0, cols=ncol)
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                cells = table.add_row().cells
                for j, text in enumerate(row + [""] * (ncol - len(row))):
                    cells[j].text = text
                    if i == 0:
                        for run in cells[j].paragraphs[0].runs:
                            run.bold = True
    document.save(str(path))
    _normalise_docx_zip(path)


def _normalise_docx_zip(path: Path) -> None:
    """Rewrite the zip with fixed timestamps so regenerated files are byte-stable."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(info, data)


# ---------------------------------------------------------------------------------------------
# Sidecars and driver
# ---------------------------------------------------------------------------------------------

def write_sidecar(meta: dict, path: Path) -> None:
    ordered = {k: meta[k] for k in META_KEYS}
    ordered["tags"] = list(ordered["tags"])
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    seen: set[str] = set()
    for d in DOCS:
        if d["meta"]["id"] in seen:
            raise SystemExit(f"duplicate id {d['meta']['id']}")
        seen.add(d["meta"]["id"])
        out_dir = CORPUS / d["folder"]
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{d['name']}.{d['fmt']}"
        if d["fmt"] == "pdf":
            write_pdf(d, target)
        elif d["fmt"] == "docx":
            write_docx(d, target)
        else:
            raise SystemExit(f"unknown format {d['fmt']}")
        write_sidecar(d["meta"], out_dir / f"{d['name']}.meta.yaml")
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


# =============================================================================================
# Document sources
# =============================================================================================

NOTICE = ("Illustrative sample content for the Practice Partner demonstration knowledge base. "
          "It is not clinical advice and does not describe a real patient or a real consultation.")
GNOTICE = ("Illustrative sample content for the Practice Partner demonstration knowledge base. "
           "It summarises published guidance in its own words and is not clinical advice; "
           "consult the source guideline and current product monographs before prescribing.")

CDC2022 = "2022 CDC Clinical Practice Guideline for Prescribing Opioids for Pain"
CAN2017 = "2017 Canadian Guideline for Opioids for Chronic Non-Cancer Pain"
CRISM = "CRISM National Guideline for the Clinical Management of Opioid Use Disorder (2018)"
HUB = "Sample ECHO Chronic Pain Hub"
STEWARD = "Sample Opioid Stewardship Programme"

# >>> DOCUMENTS START
doc("case-taper-kadian-stalled", "cases", "pdf", dict(
    id="case-taper-kadian-stalled",
    title="A morphine taper that stalled at 120 MME: when to consider buprenorphine",
    type="echo-case", source=HUB, published="2018-06-19", reviewed="2019-03-14",
    tags=["tapering", "buprenorphine", "mme", "naloxone"], basis=CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A woman in her 50s with chronic low back pain and bilateral knee pain has been reducing her slow-release morphine (Kadian) over the past year, from 200 mg/day to 120 mg/day (Kadian 60 mg twice daily). The first reductions went smoothly, but each attempt to go below 120 mg/day has produced two to three weeks of restlessness, sweating, yawning, stomach cramps, poor sleep and a flare in back pain. She has twice returned to 120 mg. She remains motivated because she wants to be "clear-headed" for her grandchildren, but she is discouraged. PEG 6/10, PHQ-9 8. No signs of opioid use disorder; urine testing has been consistent with morphine only.

# Question from the presenting physician

The taper has stalled. Should we keep trying small steps, accept 120 mg/day, or try something else?

# Hub recommendations

1. Acknowledge her progress: a reduction of 40% is a real achievement, and pausing is a normal part of tapering. There is no deadline.

2. Option A - smaller, slower steps. Reduce by 10 mg/day (under 10% of the dose) every 4-6 weeks, using Kadian 10 mg or 20 mg capsules to make up the dose, for example 60 mg morning + 50 mg evening. Support withdrawal with clonidine 0.1 mg up to three times daily (check blood pressure), loperamide for diarrhoea, and dimenhydrinate or ondansetron for nausea.

3. Option B - accept the current dose for now. If she is functioning well and has no adverse effects, maintaining 120 MME/day with monitoring is a legitimate choice, although it remains above the 90 MME/day threshold the 2017 Canadian guideline suggests.

4. Option C - rotation to buprenorphine. For patients whose taper stalls because of withdrawal, buprenorphine/naloxone (sublingual) or transdermal buprenorphine allows a transition to a partial agonist with a ceiling effect on respiratory depression. With a standard start she would stop morphine for about 24 hours (slow-release) and begin 2-4 mg when in moderate withdrawal (COWS 12 or more). A low-dose (micro-dosing) approach avoids the withdrawal period and is increasingly preferred: begin 0.5 mg daily while continuing Kadian and stop morphine after about a week at a buprenorphine dose of 8-12 mg.

5. After rotation, if desired, buprenorphine can itself be tapered slowly, typically by 2 mg every 2-4 weeks.

6. Continue non-drug measures: exercise programme, knee strengthening, pain self-management course.

7. Keep naloxone in the home throughout. Review every 2-4 weeks.

# Outcome reported to the hub

The patient chose a low-dose buprenorphine start and at six weeks was on buprenorphine/naloxone 4 mg three times daily with pain similar to before and fewer side effects.
""")

doc("case-sciatica-tramacet-radiculopathy", "cases", "pdf", dict(
    id="case-sciatica-tramacet-radiculopathy",
    title="Lumbar radiculopathy (sciatica) in a man in his 50s taking Tramacet",
    type="echo-case", source=HUB, published="2024-10-22", reviewed="2025-10-21",
    tags=["low-back-pain", "neuropathic-pain", "physiotherapy", "referral"], basis=CDC2022 + "; " + CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A man in his 50s, a warehouse supervisor, has had right-sided low back pain radiating to the lateral calf and dorsum of the foot for four months. Examination shows a positive straight-leg raise at 40 degrees, mild weakness of great toe extension (4+/5) and reduced sensation over the dorsum of the foot, consistent with an L5 radiculopathy. Reflexes are symmetrical. No bladder or bowel symptoms, no saddle anaesthesia, no fever or weight loss. MRI shows an L4-5 disc herniation contacting the right L5 nerve root. He takes Tramacet (tramadol 37.5 mg/acetaminophen 325 mg) two tablets three times a day and ibuprofen 400 mg three times daily. He is off work. Sleep is poor because of leg pain.

# The presenting physician's question

Is pregabalin worth trying for sciatica? When should I refer to a surgeon, and is tramadol reasonable in the meantime?

# Hub recommendations

1. Red flags: none today. Review them with him (cauda equina symptoms, progressive weakness) and make sure he knows to seek emergency care if they appear.

2. Natural history: most disc herniations with radiculopathy improve over 6-12 weeks, and many herniations regress on repeat imaging. Four months with persisting motor weakness, however, justifies a surgical opinion.

3. Referral: refer to a spine surgeon, or to a spine assessment programme where available (Ontario's rapid access clinics for low back pain offer timely assessment). Options include an epidural steroid injection for short-term leg pain relief or microdiscectomy, which gives faster relief of leg pain than conservative care, although outcomes converge at 1-2 years.

4. Gabapentinoids: trials of pregabalin in acute and chronic sciatica have not shown meaningful benefit over placebo, and side effects are common. The hub did not recommend routine pregabalin for sciatica. If a neuropathic agent is tried, duloxetine or a tricyclic (nortriptyline 10-25 mg at night) may help sleep; stop if no benefit after an adequate trial.

5. Tramadol: short-term use is acceptable, but do not escalate. Tramadol 225 mg/day is about 45 MME. Note that combining it with any serotonergic antidepressant requires caution. Plan a taper once leg pain improves, reducing by one tablet every week.

6. NSAID: continue at the lowest effective dose for the short term with attention to GI and renal risk; a PPI if over 65 or with GI history.

7. Physiotherapy: directional-preference exercises (mechanical diagnosis and therapy approach), nerve mobilisation, walking, and staying active. Bed rest is not advised.

8. Work: modified duties with lifting restrictions; complete forms in terms of abilities.

9. Follow-up in 2-4 weeks, sooner if weakness progresses.
""")

doc("case-crps-lower-limb-long-standing", "cases", "pdf", dict(
    id="case-crps-lower-limb-long-standing",
    title="Long-standing CRPS of the foot on high-dose opioids",
    type="echo-case", source=HUB, published="2023-03-07", reviewed="2025-02-25",
    tags=["crps", "tapering", "referral", "mme", "psychological-therapy"], basis="Complex Regional Pain Syndrome practical diagnostic and treatment guidelines, 5th edition (2022); " + CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A woman in her 40s developed complex regional pain syndrome (CRPS type I) of the left foot after an ankle fracture six years ago. She walks with crutches and avoids weight-bearing. The foot is cool and mottled, with atrophic skin and stiff toes. She has tried gabapentin, pregabalin, amitriptyline and a series of lumbar sympathetic blocks. She takes oxycodone CR 60 mg twice daily and oxycodone IR 10 mg four times daily - 160 mg oxycodone, about 240 MME/day. Pain is 8/10; she rarely leaves home. PHQ-9 is 17. She has a history of an eating disorder in adolescence.

# Question from the presenting physician

She has seen every specialist. What is left to offer, and what should I do about the opioid dose?

# Hub recommendations

1. Chronic CRPS is hard to treat, but function can still improve. Shift the focus from cure to function and quality of life.

2. Interdisciplinary pain programme: refer to an interdisciplinary programme that offers intensive rehabilitation with graded motor imagery, graded exposure to feared movements and weight-bearing, desensitisation and psychological therapy. This is the approach with the best evidence for long-standing CRPS.

3. Neuromodulation: spinal cord stimulation or dorsal root ganglion stimulation can be considered for refractory CRPS, after psychological assessment, through a specialised centre.

4. Opioids: there is little evidence that opioids help CRPS, and 240 MME/day carries substantial risk. Discuss a slow taper (5-10% of the total daily dose every 4 weeks), starting with the immediate-release doses, or a rotation to buprenorphine. Make changes only alongside increased support - not as a stand-alone step.

5. Naloxone kit for the household now.

6. Depression: treat actively; consider an SNRI, coordinate with mental health services. Given the eating disorder history, monitor weight and be cautious with medications that affect appetite.

7. Practical rehabilitation now: a physiotherapist to start partial weight-bearing, mirror therapy at home (10 minutes several times a day), contrast baths if tolerated.

8. Bone health: prolonged non-weight-bearing leads to osteoporosis; check vitamin D and consider a bone density scan.

9. Follow-up every 2-4 weeks.
""")

doc("case-ptsd-chronic-pain-cannabis", "cases", "pdf", dict(
    id="case-ptsd-chronic-pain-cannabis",
    title="PTSD, chronic pain and daily cannabis in a former first responder on oxycodone",
    type="echo-case", source=HUB, published="2024-05-14", reviewed="2025-11-04",
    tags=["mental-health", "cannabis", "sleep", "psychological-therapy", "naloxone"], basis=CAN2017 + "; VA/DoD Clinical Practice Guideline for PTSD (2023)", sample=True), """
""" + NOTICE + """

# Case presentation

A man in his 40s, a former paramedic, has chronic neck and low back pain after a vehicle collision on duty and post-traumatic stress disorder with nightmares, hypervigilance and avoidance. He takes oxycodone CR 20 mg twice daily (60 MME/day) and uses dried cannabis (THC-dominant) every evening "to turn my brain off" and to sleep. He has tried sertraline and stopped it because of sexual side effects. PCL-5 is 52; PHQ-9 is 14; he reports no suicidal thoughts. He drinks rarely. He is on long-term disability. His spouse says his sleep is fragmented by nightmares, and he sometimes wakes shouting.

# The presenting physician's question

His pain, PTSD and cannabis use seem tangled together. What should I prioritise?

# Hub recommendations

1. Treat PTSD as central. Untreated PTSD amplifies pain, sleep disturbance and substance use. Trauma-focused psychotherapy is first-line: cognitive processing therapy, prolonged exposure, or EMDR. Programmes for first responders and veterans (including occupational stress injury clinics) may be accessible through his employer or workplace insurer.

2. Medication for PTSD: an SSRI or venlafaxine; venlafaxine 75-225 mg/day could help both PTSD and pain and may cause fewer sexual side effects than sertraline for some people (discuss honestly). Prazosin for nightmares has mixed evidence but can be tried (1 mg at bedtime, increasing slowly; watch for postural hypotension).

3. Cannabis: daily THC may reduce nightmares in the short term, but evidence does not support cannabis as a treatment for PTSD and regular use is associated with worse PTSD outcomes and cannabis use disorder. Discuss his goals; if he wants to cut down, reduce gradually and expect withdrawal insomnia for 1-2 weeks. Advise against driving within at least 6 hours of use.

4. Opioid: 60 MME is moderate. Combined sedation from opioid and cannabis at night needs discussion, and naloxone should be in the home. No urgency to taper; revisit when PTSD treatment is under way.

5. Sleep: CBT-I, ideally integrated with trauma therapy; imagery rehearsal therapy for nightmares.

6. Pain: an active rehabilitation programme; CBT or ACT for chronic pain, which combine well with trauma work.

7. Suicide risk: first responders with PTSD and chronic pain have elevated risk. Ask at every visit and give the 9-8-8 crisis line.

8. Review every 2-4 weeks; share the plan with his psychologist.
""")

doc("case-acute-fracture-on-chronic-opioids", "cases", "pdf", dict(
    id="case-acute-fracture-on-chronic-opioids",
    title="Acute ankle fracture in a woman already taking 90 MME of oxycodone daily",
    type="echo-case", source=HUB, published="2025-05-20", reviewed="2025-11-11",
    tags=["acute-pain", "mme", "naloxone", "nsaids"], basis=CDC2022 + "; " + CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A woman in her 40s with chronic pain from lumbar degenerative disease takes OxyNEO 30 mg twice daily (60 mg oxycodone, 90 MME/day), stable for three years. She slipped on stairs yesterday and sustained a displaced ankle fracture; the orthopaedic team plans open reduction and internal fixation in two days. The emergency department gave her hydromorphone and sent her home with an extra prescription of oxycodone 5 mg, 1-2 tablets every 4 hours as needed. She calls her family physician because the pain is "not touched" and she is worried about running out of her regular OxyNEO, having taken extra.

# Question

How do I manage acute pain on top of chronic opioid therapy, before and after surgery, without creating a new problem?

# Hub recommendations

1. Tolerance means she needs more than an opioid-naive person. Continue her baseline OxyNEO 30 mg twice daily without interruption (including the morning of surgery), and treat the acute pain on top of that baseline.

2. Immediate-release top-up: a reasonable breakthrough dose is about 10-15% of the total daily opioid dose. For 60 mg oxycodone/day, that is oxycodone 5-10 mg every 3-4 hours as needed. This is more than a naive patient would receive, and that is appropriate for a short period.

3. Multimodal analgesia: scheduled acetaminophen 1 g four times daily, an NSAID short course (e.g. naproxen 500 mg twice daily or ibuprofen 400-600 mg three times daily) if no contraindication and acceptable to the orthopaedic team, elevation, ice, and immobilisation. Regional anaesthesia will be offered at surgery.

4. Communicate: tell the surgical and anaesthesia teams her baseline dose. Ask the hospital to avoid stopping her long-acting opioid and to plan discharge analgesia with the family physician.

5. One prescriber: agree that the family physician (or the surgical team) will prescribe all opioids during the acute episode, with a pharmacy-to-pharmacy note.

6. Safety: naloxone kit now - the total daily dose may temporarily exceed 120 MME. Avoid sedatives and alcohol.

7. Exit plan: after surgery, reduce the short-acting top-up over 1-2 weeks as pain settles (for example, every 3 days remove one daily dose) and return to the baseline OxyNEO dose. Write the stop date on the prescription. Dispense small quantities (3-7 days at a time).

8. Follow-up: a phone check 3-5 days after discharge and a visit at 2 weeks.
""")

doc("case-clonazepam-tramadol-older-woman", "cases", "docx", dict(
    id="case-clonazepam-tramadol-older-woman",
    title="Clonazepam and tramadol in a woman in her 70s with dizziness and falls",
    type="echo-case", source=STEWARD, published="2024-08-27", reviewed="2025-09-02",
    tags=["benzodiazepines", "older-adults", "tapering", "mental-health"], basis=CDC2022 + "; American Geriatrics Society Beers Criteria (2023)", sample=True), """
""" + NOTICE + """

# Case presentation

A woman in her 70s has taken clonazepam 0.5 mg twice daily for about fifteen years, originally for panic disorder after a bereavement. For the past two years she has also taken tramadol 50 mg three times daily for knee and hip osteoarthritis (150 mg/day, about 30 MME). She has had two falls this year and reports dizziness on standing, forgetfulness, and feeling "foggy" most mornings. She also takes venlafaxine 75 mg daily, metoprolol and a thiazide diuretic. Sodium is 131 mmol/L. She lives with her sister and values her independence.

# Question from the presenting physician

She is attached to the clonazepam. Where do I start, and is the tramadol contributing to her symptoms?

# Hub recommendations

1. Both drugs contribute to falls and cognitive effects. Tramadol with venlafaxine raises the risk of serotonin toxicity and both can lower sodium (hyponatraemia), which itself causes unsteadiness and confusion. The thiazide adds to this.

2. Start with tramadol, because its harms here are clear and the taper is short: 50 mg twice daily for 2 weeks, 50 mg once daily for 2 weeks, then stop. Replace with scheduled acetaminophen (up to 3 g/day), a topical NSAID for the knees, and a referral to physiotherapy or a community falls-prevention exercise class.

3. Then taper clonazepam slowly over several months. Long-term users need a slow pace: reduce by about 0.125 mg (a quarter of a 0.5 mg tablet) every 2-4 weeks, i.e. roughly 10-25% steps, going slower toward the end. Example: 0.5 mg + 0.375 mg, then 0.375 mg twice daily, then 0.375 + 0.25, and so on. Let her control the pace within agreed limits.

4. Engage her with shared decision-making: explain falls and memory risks and ask what matters to her. Patient-facing deprescribing brochures have been shown to increase successful benzodiazepine tapering in older adults.

5. Treat panic symptoms with CBT; venlafaxine can continue, with sodium monitored.

6. Review the thiazide and orthostatic blood pressure with her; recheck sodium in 2 weeks.

7. Follow up every 2-4 weeks, with home-safety assessment and vision check.
""")

doc("case-fibromyalgia-pregabalin-weight-gain", "cases", "docx", dict(
    id="case-fibromyalgia-pregabalin-weight-gain",
    title="Fibromyalgia: weight gain and dizziness on Lyrica",
    type="echo-case", source=HUB, published="2025-06-17", reviewed="2025-11-18",
    tags=["fibromyalgia", "neuropathic-pain", "sleep", "physiotherapy", "tapering"], basis="2012 Canadian Guidelines for the Diagnosis and Management of Fibromyalgia Syndrome; EULAR revised recommendations for the management of fibromyalgia (2017)", sample=True), """
""" + NOTICE + """

# Case

A woman in her 40s with fibromyalgia has taken pregabalin (Lyrica) 150 mg twice daily for two years. It helped her sleep at first, but she has gained 12 kg, feels dizzy and describes "brain fog" at work as a bookkeeper. Her pain is 6/10 and unchanged over the last year. She also takes cyclobenzaprine 10 mg at night and acetaminophen. She is not on any opioid and would like to avoid one. She walks occasionally but says exercise "flares" her pain.

# Presenting physician's question

Is it worth continuing pregabalin? What are the alternatives for fibromyalgia, and how should I stop it?

# Hub recommendations

1. Pregabalin has modest benefit in fibromyalgia for some people; weight gain, dizziness and cognitive effects are common reasons to stop. Since pain has not improved and side effects are significant, a trial off is reasonable.

2. Taper pregabalin over at least one week, and more comfortably over 4 weeks: 150 mg morning + 75 mg night for 1 week, 75 mg twice daily for 1 week, 75 mg at night for 1 week, then stop. Warn about rebound insomnia, anxiety and sweating; slow down if these appear.

3. Alternatives with evidence in fibromyalgia:
- low-dose amitriptyline 5-10 mg at night, increasing slowly to 25-50 mg; helps sleep; she can stop cyclobenzaprine if amitriptyline is started (they are structurally similar and combining them adds anticholinergic effects);
- duloxetine 30 mg then 60 mg daily, particularly if mood or anxiety symptoms are present;
- milnacipran is approved in some countries but not marketed in Canada.

4. Exercise remains the foundation (EULAR 2017 strong recommendation): graded aerobic exercise such as walking, cycling or warm-water exercise, starting at a level she can manage on a bad day and increasing slowly; strengthening two days a week. A physiotherapist or kinesiologist can design the progression.

5. Sleep: CBT-I; regular schedule; screen for sleep apnea now that weight has increased.

6. Education and self-management: a fibromyalgia self-management programme; pacing; mindfulness-based approaches.

7. Weight: dietitian support; weight often falls after stopping pregabalin.

8. Follow up in 4-6 weeks with the Fibromyalgia Impact Questionnaire or PEG.
""")

doc("case-dementia-long-term-care-butrans", "cases", "docx", dict(
    id="case-dementia-long-term-care-butrans",
    title="Pain assessment and buprenorphine patch in a long-term care resident with dementia",
    type="echo-case", source="Sample Primary Care Pain Network", published="2023-07-11", reviewed="2025-01-28",
    tags=["older-adults", "buprenorphine", "assessment", "osteoarthritis", "renal"], basis="American Geriatrics Society guidance on persistent pain in older persons (2009); " + CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A woman in her 80s living in long-term care has moderate to severe Alzheimer's dementia and cannot reliably report pain. She has severe osteoarthritis of both knees and the lumbar spine and a healed vertebral compression fracture. Staff report that she grimaces and calls out during morning care and transfers, resists being washed, and has been more agitated in the afternoons. She takes acetaminophen 650 mg as needed (rarely given), donepezil and risperidone 0.5 mg twice daily, which was started for agitation. eGFR is 40.

# Question from the presenting physician

How should pain be assessed in someone who cannot tell us, and would a Butrans patch be a reasonable choice?

# Hub recommendations

1. Assess pain with an observational tool. The PAINAD scale (breathing, negative vocalisation, facial expression, body language, consolability; each scored 0-2, total 0-10) or the PACSLAC-II can be used by nursing staff at rest and during care. Record scores before and after analgesic changes.

2. Consider pain as a cause of agitation. Behavioural symptoms in dementia are often driven by untreated pain. A stepped approach that begins with regular analgesia has been shown to reduce agitation in care home residents.

3. Scheduled acetaminophen first: 650 mg three times daily (maximum 3 g/day in frail older adults) rather than as needed, with a 30-minute pre-dose before morning care.

4. If pain remains: a transdermal buprenorphine patch (Butrans) is a reasonable choice: once-weekly application suits care home routines, it does not require dose adjustment in kidney impairment, and it has a lower risk of respiratory depression. Start at 5 mcg/h, changed every 7 days; increase to 10 mcg/h after at least 3 days at the same dose, if needed and tolerated. Rotate application sites. Monitor for nausea, dizziness, constipation, skin reactions and drowsiness.

5. Avoid NSAIDs given kidney impairment and age; a topical NSAID on the knees is acceptable.

6. Review risperidone once pain is treated: antipsychotics in dementia increase the risk of stroke and death, and a taper should be attempted if agitation improves.

7. Non-drug measures: gentle handling and unhurried care, warm packs, seating and positioning advice from physiotherapy or occupational therapy, and music.

8. Re-assess PAINAD after 1 week and after each change; constipation prevention with a scheduled laxative.
""")

doc("case-insomnia-chronic-pain-cbti", "cases", "docx", dict(
    id="case-insomnia-chronic-pain-cbti",
    title="Insomnia in chronic pain: trazodone, quetiapine and a request for something stronger",
    type="echo-case", source=HUB, published="2024-11-26", reviewed="2025-11-25",
    tags=["sleep", "psychological-therapy", "mental-health", "low-back-pain"], basis="American Academy of Sleep Medicine clinical practice guideline for behavioural and psychological treatments for chronic insomnia (2021); " + CAN2017, sample=True), """
""" + NOTICE + """

# Case

A woman in her 50s with chronic low back pain and generalised anxiety reports sleeping 4-5 hours a night for two years. She lies awake worrying and wakes when she turns over. She takes trazodone 100 mg and quetiapine 25 mg at night, oxycodone 5 mg twice daily and duloxetine 60 mg. She naps in the afternoon and drinks coffee until late afternoon. Insomnia Severity Index (ISI) is 21 (clinical insomnia, moderate severity). STOP-Bang is 2. She asks for "a proper sleeping pill".

# The question

Which sleep medication is safest with her opioid, or is there a better approach?

# Hub recommendations

1. CBT for insomnia (CBT-I) is the first-line treatment for chronic insomnia, including insomnia with chronic pain, and its benefits last longer than those of medication. Components: sleep restriction (limiting time in bed to the actual sleep time, then extending), stimulus control (bed for sleep only, get up if awake more than about 20 minutes), cognitive work on worry about sleep, and sleep hygiene.

2. Access: individual or group CBT-I through a sleep clinic or psychologist; validated digital CBT-I programmes and self-help books are effective alternatives when access is limited. Primary care clinicians can deliver brief behavioural therapy for insomnia in 2-4 short visits.

3. Avoid benzodiazepines and Z-drugs with her opioid (additive respiratory depression, falls, dependence). Low-dose quetiapine for sleep is not recommended: it has little evidence for insomnia and carries metabolic and other risks - plan to taper it off (25 mg to 12.5 mg for 2 weeks, then stop).

4. Trazodone can be continued at a lower dose if she feels it helps, but it is not a long-term solution on its own.

5. Pain at night: review whether the oxycodone timing helps, a supportive mattress or pillow positioning, and gentle evening stretching.

6. Caffeine and naps: no caffeine after noon; limit naps to 20 minutes before 3 p.m. or stop them during sleep restriction.

7. Anxiety: CBT for generalised anxiety disorder complements CBT-I; duloxetine continues.

8. Track with a 2-week sleep diary and repeat the ISI at 6-8 weeks.
""")

doc("case-renal-colic-on-oxycontin", "cases", "docx", dict(
    id="case-renal-colic-on-oxycontin",
    title="Renal colic in the emergency department in a man taking OxyContin for chronic pain",
    type="echo-case", source=HUB, published="2025-02-04", reviewed="2025-08-19",
    tags=["acute-pain", "nsaids", "mme", "naloxone"], basis=CDC2022 + "; " + CAN2017, sample=True), """
""" + NOTICE + """

# Case presentation

A man in his 40s with chronic pain after a tibial plateau fracture takes controlled-release oxycodone (OxyContin, now supplied as OxyNEO) 40 mg twice daily, 120 MME/day. He attended the emergency department overnight with severe left flank pain radiating to the groin; CT showed a 5 mm distal ureteric stone with mild hydronephrosis. Renal function is normal. He was given IV ketorolac and hydromorphone and discharged with tamsulosin. He has called the practice asking for extra opioids "because the ER ones were not enough".

# Question

What is a reasonable short-term plan for renal colic when the patient already takes a high daily opioid dose?

# Hub recommendations

1. NSAIDs are first-line for renal colic, in opioid-tolerant people too. They are more effective than opioids for ureteric colic and reduce the need for rescue analgesia. With normal kidney function and no GI or cardiovascular contraindication, prescribe naproxen 500 mg twice daily or ibuprofen 600 mg three times daily for up to a week.

2. Continue his baseline OxyContin without interruption.

3. Short-acting top-up if needed: oxycodone IR 10 mg every 4 hours as needed (about 10% of his daily oxycodone dose), for 3-5 days only, with a clear stop date. Supply a small quantity.

4. Medical expulsive therapy: tamsulosin 0.4 mg daily for up to 4 weeks for distal stones of 5-10 mm; most stones under 5 mm pass spontaneously.

5. Safety net: return to emergency for fever, uncontrolled pain, vomiting or reduced urine output (signs of obstruction with infection require urgent decompression). Arrange urology follow-up and repeat imaging if the stone has not passed in 4 weeks.

6. Naloxone: at 120 MME plus top-ups he should have a kit in the home.

7. Afterward: once the episode resolves, revisit his baseline opioid dose, which is above the 90 MME/day threshold; offer a discussion about tapering when he is well.
""")

doc("guide-opioid-tapering", "guidance", "pdf", dict(
    id="guide-opioid-tapering",
    title="Tapering long-term opioid therapy: a practical guide",
    type="guideline", source=STEWARD, published="2023-01-10", reviewed="2025-10-14",
    tags=["tapering", "mme", "naloxone", "buprenorphine", "mental-health"], basis=CDC2022 + "; " + CAN2017 + "; HHS Guide for Clinicians on the Appropriate Dosage Reduction or Discontinuation of Long-Term Opioid Analgesics (2019)", sample=True), """
""" + GNOTICE + """

# When to consider a taper

Consider reducing or stopping long-term opioid therapy when any of the following apply: the patient asks; pain and function have not improved meaningfully; the dose is high (90 MME/day or more under the 2017 Canadian guideline, or above the level where benefit is demonstrated); there are adverse effects such as sedation, falls, constipation, hypogonadism or opioid-induced hyperalgesia; there is a new risk such as a benzodiazepine, sleep apnea, kidney impairment or an overdose; or the underlying condition has resolved.

A taper is not always indicated. For patients who are stable, functioning well and without serious harms, continuing the current dose with monitoring can be appropriate. The 2022 CDC guideline stresses that opioids should not be discontinued abruptly, and that dose reduction should be a shared decision unless there is a serious and immediate risk.

# Preparing for the taper

- Explain the reasons in terms of the patient's goals and safety.
- Agree on a plan and a review schedule; make clear that pauses are allowed.
- Offer naloxone: tolerance falls during tapering.
- Optimise non-opioid treatment and non-pharmacological therapies first or in parallel.
- Screen for depression, anxiety and suicidal thoughts; treat them.
- Screen for opioid use disorder. If present, offer opioid agonist treatment rather than a taper.

# Pace of the taper

## Long-term use (a year or more)

Reduce by about 10% of the original dose per month, or 5-10% of the current dose every 2-4 weeks. Many patients need 6-12 months or longer; very high doses can take years. The last third of the taper is often the hardest, so steps may need to get smaller (for example 5% of the current dose) as the dose falls.

## Shorter-term use (weeks to a few months)

A faster taper of about 10% of the original dose per week is usually tolerated.

## Faster tapers

A rapid reduction (over days to a few weeks) is reserved for serious safety concerns such as overdose, diversion or severe adverse effects, and should come with naloxone, close monitoring and an offer of treatment for opioid use disorder where relevant. Abrupt stopping is rarely appropriate except for life-threatening toxicity.

# Practical techniques

- Reduce the immediate-release or as-needed doses first, then the long-acting opioid.
- Use available tablet strengths to make steps; where steps are too coarse, combine strengths or switch to a formulation with finer steps.
- Dispense at shorter intervals (weekly or every 2 weeks) so that changes occur at the pharmacy and surplus is avoided.
- When the dose reaches the lowest available strength, lengthen the dosing interval (e.g. once daily, then every other day) before stopping.

## Example: oxycodone CR 80 mg/day (120 MME)

| Weeks | Morning | Evening | Daily total |
|---|---|---|---|
| 0-3 | 40 mg | 40 mg | 80 mg |
| 4-7 | 40 mg | 30 mg | 70 mg |
| 8-11 | 30 mg | 30 mg | 60 mg |
| 12-15 | 30 mg | 20 mg | 50 mg |
| 16-19 | 20 mg | 20 mg | 40 mg |
| 20-23 | 20 mg | 15 mg | 35 mg |
| continue | reduce by 5 mg every 4 weeks | | |

# Managing withdrawal symptoms

- Autonomic symptoms (sweating, anxiety, tachycardia): clonidine 0.1 mg two to three times daily, monitoring blood pressure.
- Diarrhoea: loperamide.
- Nausea: dimenhydrinate or ondansetron.
- Aches: acetaminophen or an NSAID.
- Insomnia: sleep hygiene, CBT-I techniques; avoid starting benzodiazepines.

Withdrawal symptoms are usually most intense in the first week after a reduction and then settle. Protracted symptoms (dysphoria, poor sleep) can persist for weeks to months after stopping. If symptoms are severe, hold the dose or go back to the previous step.

# When the taper stalls

If a taper repeatedly stalls because of withdrawal or pain, consider rotation to buprenorphine (standard or low-dose initiation) or accepting a stable lower dose. Reassess for opioid use disorder if there is loss of control, craving or use of non-prescribed opioids.

# Monitoring

Review at least every 2-4 weeks during active reductions. Track pain and function (PEG), mood (PHQ-9), sleep and withdrawal. Watch for signs of crisis, including suicidal ideation, and for the use of non-prescribed opioids. Continue to provide care after the taper; patients should not be discharged from the practice because they are tapering or stop tapering.
""")

doc("guide-neuropathic-pain-pharmacotherapy", "guidance", "pdf", dict(
    id="guide-neuropathic-pain-pharmacotherapy",
    title="Pharmacological management of chronic neuropathic pain",
    type="guideline", source="Sample Primary Care Pain Network", published="2022-05-24", reviewed="2025-05-20",
    tags=["neuropathic-pain", "renal", "older-adults", "cannabis"], basis="Canadian Pain Society neuropathic pain consensus statement (2014); NeuPSIG pharmacotherapy recommendations for neuropathic pain (2015)", sample=True), """
""" + GNOTICE + """

# Principles

Neuropathic pain arises from a lesion or disease of the somatosensory nervous system: painful diabetic neuropathy, postherpetic neuralgia, radiculopathy, post-surgical nerve injury, chemotherapy-induced neuropathy, spinal cord injury and central post-stroke pain. Descriptors such as burning, shooting, electric, tingling, and allodynia (pain from light touch) suggest it; the DN4 questionnaire can help.

Expect modest benefit: a 30% reduction in pain is a good result, and only a minority of patients achieve it with any single drug. Titrate to an adequate dose before judging a drug, and stop drugs that do not help.

# First-line agents

## Gabapentinoids

- Gabapentin (Neurontin): start 100-300 mg at bedtime; increase by 100-300 mg every 3-7 days to 900-3600 mg/day in three divided doses.
- Pregabalin (Lyrica): start 25-75 mg once or twice daily; increase to 150-600 mg/day in two divided doses.
- Side effects: dizziness, sedation, weight gain, oedema, cognitive slowing. Both are renally cleared; reduce doses when creatinine clearance is below 60 mL/min. Misuse occurs, particularly with opioids, and combination with opioids raises the risk of respiratory depression.

## Tricyclic antidepressants

- Amitriptyline (Elavil) or nortriptyline: start 10 mg at night; increase by 10 mg weekly to 25-75 mg (up to 150 mg).
- Nortriptyline is better tolerated, especially in older adults.
- Side effects: dry mouth, constipation, urinary retention, sedation, orthostatic hypotension, weight gain. Obtain an ECG in people over 40 or with cardiac disease; avoid after recent myocardial infarction and in conduction disorders; dangerous in overdose.

## SNRIs

- Duloxetine (Cymbalta): 30 mg daily for 1-2 weeks, then 60 mg daily (up to 120 mg). Avoid in severe kidney impairment (clearance under 30) and liver disease. Nausea is common early.
- Venlafaxine: 75-225 mg/day; monitor blood pressure.

# Second-line agents

- Tramadol (e.g. Tramacet, Ultram): modest benefit, serotonergic, lowers seizure threshold.
- Opioids: the Canadian Pain Society places them as second-line in neuropathic pain; the NeuPSIG places strong opioids third-line. If used, follow opioid prescribing guidance.
- Topical lidocaine 5% (plaster or compounded cream): useful for localised neuropathic pain (postherpetic neuralgia) and in older adults.
- High-concentration capsaicin 8% patch: applied in clinic for localised pain.

# Third- and fourth-line options

- Cannabinoids (nabiximols spray, nabilone): modest evidence for some neuropathic pain; consider after first- and second-line options.
- Other anticonvulsants (carbamazepine is first-line for trigeminal neuralgia specifically; lamotrigine, topiramate have limited evidence).
- Methadone, lacosamide, botulinum toxin A for focal pain, through a specialist.

# Combination therapy

If a first-line drug gives partial relief with acceptable tolerability, add a second first-line agent from a different class rather than switching (for example gabapentin plus nortriptyline, or pregabalin plus duloxetine). Combinations can lower the doses needed but add side effects.

# Condition-specific points

- Painful diabetic neuropathy: duloxetine, pregabalin, gabapentin and TCAs all have evidence. Check foot care, glycaemic control and kidney function.
- Postherpetic neuralgia: topical lidocaine is attractive in older adults; recombinant zoster vaccine prevents shingles.
- Trigeminal neuralgia: carbamazepine or oxcarbazepine first-line; refer for surgical options if refractory.
- Chemotherapy-induced neuropathy: duloxetine has the best evidence.
- Sciatica/radiculopathy: evidence for gabapentinoids is weak; focus on active rehabilitation.

# Dose adjustment in kidney impairment

| Creatinine clearance | Gabapentin daily total | Pregabalin daily total |
|---|---|---|
| 60 or more | 900-3600 mg | 150-600 mg |
| 30-59 | 400-1400 mg | 75-300 mg |
| 15-29 | 200-700 mg | 25-150 mg |
| under 15 | 100-300 mg | 25-75 mg |

Older adults often need less than the ranges above. Duloxetine should be avoided below a clearance of 30 mL/min.

# Non-drug care

Physical activity, sleep management, psychological therapy, and treatment of the underlying cause remain important alongside medication.
""")

doc("guide-acute-on-chronic-pain", "guidance", "pdf", dict(
    id="guide-acute-on-chronic-pain",
    title="Acute pain in patients on long-term opioids or opioid agonist treatment",
    type="guideline", source=HUB, published="2023-05-16", reviewed="2025-11-11",
    tags=["acute-pain", "buprenorphine", "methadone", "nsaids", "naloxone", "mme"], basis=CDC2022 + "; " + CRISM, sample=True), """
""" + GNOTICE + """

# Key principles

Patients who take opioids every day, for pain or for opioid use disorder, are opioid tolerant. When they have an injury, surgery, a kidney stone or another acute painful condition, their usual dose maintains baseline function and prevents withdrawal but will not treat new pain. They usually need more analgesia than opioid-naive patients, for a limited time.

- Continue the baseline opioid (or methadone or buprenorphine) without interruption, including on the day of surgery.
- Use multimodal, non-opioid analgesia as the foundation.
- Add short-acting opioid on top of the baseline when needed, at doses that reflect tolerance.
- Plan the exit from the start: duration, stop date, and who prescribes.
- Offer naloxone when total doses rise.

# Multimodal foundation

- Acetaminophen scheduled (1 g four times daily; 3 g/day in older adults; 2 g/day in cirrhosis).
- NSAIDs where safe; they are first-line for renal colic and effective for musculoskeletal injury.
- Regional anaesthesia (nerve blocks, epidurals) for surgery and fractures.
- In hospital: ketamine infusions, lidocaine infusions, gabapentinoids in selected cases.
- Ice, elevation, immobilisation, early mobilisation.

# Patients on long-term full agonists

- Baseline: continue the long-acting opioid at the usual dose. If the patient cannot take oral medicines, convert to a parenteral equivalent.
- Top-up: immediate-release opioid at about 10-20% of the total daily dose every 2-4 hours as needed; reassess frequently. Example: baseline oxycodone 60 mg/day, top-up 5-10 mg every 3-4 hours as needed.
- Duration: most acute pain needs extra opioid for 3-7 days; major surgery may need longer with a planned step-down.
- Return to baseline within about 1-2 weeks, then continue any planned taper.

# Patients on buprenorphine

- Continue buprenorphine. Stopping it before surgery is no longer recommended in most cases: it increases relapse risk and complicates care.
- Split the daily dose (every 6-8 hours) to use its analgesic effect; some protocols temporarily increase the dose to 24-32 mg/day.
- Add multimodal analgesia; if a full agonist is needed, high-affinity agents (hydromorphone, fentanyl) at higher than usual doses are used, in a monitored setting.
- For patients on extended-release injection (Sublocade), coordinate with the prescriber; levels remain high for weeks.

# Patients on methadone

- Continue the daily methadone dose; confirm it with the dispensing pharmacy, since doses are often high.
- Methadone's analgesia lasts 6-8 hours; splitting the dose temporarily (e.g. twice or three times daily) can help.
- Add multimodal analgesia and, if needed, a short-acting full agonist at doses reflecting tolerance.
- Avoid adding QT-prolonging drugs without an ECG.
- Communicate with the OAT prescriber on admission and discharge; missed doses in hospital must be communicated to avoid double-dosing or loss of carries.

# Discharge and primary care follow-up

1. One prescriber for all opioids during the episode, with a clear plan shared between the hospital, the family physician and the pharmacy.
2. Small quantities (3-7 days), with a written stop date and a taper for the top-up.
3. Naloxone for the household.
4. Follow-up within a week.
5. For patients in recovery from opioid use disorder, involve their OAT clinic and counsellor; acute pain is a relapse trigger and undertreatment is also a relapse trigger.

# Common pitfalls

- Stopping the long-acting opioid "because the patient is now on IV opioids" and forgetting to restart it.
- Treating tolerant patients with opioid-naive doses, leading to uncontrolled pain and conflict.
- Discharging with a large supply of immediate-release opioid without a taper plan.
- Stopping buprenorphine before elective surgery.
""")

doc("guide-methadone-basics", "guidance", "docx", dict(
    id="guide-methadone-basics",
    title="Methadone basics for primary care: pharmacology, OAT and pain",
    type="guideline", source="Sample Addiction Medicine Consult Service", published="2019-04-23", reviewed="2020-09-15",
    tags=["methadone", "oud", "mme", "urine-drug-testing", "naloxone"], basis=CRISM + "; " + CAN2017, sample=True), """
""" + GNOTICE + """

# Pharmacology

Methadone is a full mu-opioid agonist with NMDA-receptor antagonist activity. It is well absorbed orally, has a long and highly variable half-life (roughly 8-60 hours, often about 24 hours) and accumulates over several days. Steady state is reached after about 5 days at a given dose, which is why dose increases should be spaced at least 5-7 days apart. Metabolism is mainly through CYP3A4 and CYP2B6, so interacting drugs can raise or lower levels substantially.

# Methadone for opioid use disorder

## Role

Methadone is a first-line opioid agonist treatment (OAT) alongside buprenorphine. The CRISM guideline recommends buprenorphine/naloxone as preferred first-line where appropriate, with methadone as an alternative first-line option - particularly for people who have not done well on buprenorphine, who use high-potency opioids heavily, or who prefer it. Methadone improves retention in treatment and reduces mortality.

## Starting doses

- Usual starting dose: 10-30 mg once daily, lower (10-20 mg) for people at higher risk (older age, sedatives, lower tolerance, respiratory disease).
- Increase by 5-10 mg no more often than every 3-5 days during early titration, guided by withdrawal and sedation assessed before each increase.
- Most patients stabilise at 60-120 mg daily. The first two weeks carry the highest risk of overdose because of accumulation.

## Dispensing

Daily witnessed ingestion at a pharmacy initially; take-home doses (carries) are introduced gradually with clinical stability.

# Methadone for pain

Methadone can be effective for chronic pain, including neuropathic pain, and is sometimes used when other opioids have failed. Dosing for pain is usually every 8-12 hours, because analgesia lasts 6-8 hours. Conversion from other opioids is complex and non-linear; it should be done by clinicians experienced with methadone, starting at low doses. Methadone is not counted with a fixed MME factor.

# Safety

## QT prolongation

Methadone prolongs the QT interval in a dose-related way. Obtain an ECG at baseline in people with cardiac risk factors, after reaching a stable dose, when doses exceed about 100-120 mg/day, and when QT-prolonging drugs are added. A QTc over 500 ms calls for action (dose reduction, removing interacting drugs, correcting electrolytes, or switching treatment).

## Interactions

- Increase methadone levels: clarithromycin, erythromycin, fluconazole, ciprofloxacin, some antiretrovirals, fluvoxamine.
- Decrease levels (risk of withdrawal): rifampin, carbamazepine, phenytoin, some antiretrovirals (efavirenz, nevirapine).
- Additive sedation: benzodiazepines, gabapentinoids, alcohol.
- Additive QT effect: citalopram, escitalopram, many antipsychotics, ondansetron at higher doses, some antibiotics and antifungals.

## Overdose risk

Provide naloxone to all patients starting methadone. Because of its long half-life, a methadone overdose may need prolonged monitoring and repeated or infused naloxone.

# Monitoring

- Urine drug testing: methadone and its metabolite EDDP, plus other substances. Standard opiate immunoassays do not detect methadone.
- Narcotics monitoring record checks.
- Regular review of mood, other substance use, and pain.

# Practical points for family physicians

- Confirm the current dose with the dispensing pharmacy before prescribing anything new; doses are often higher than patients recall.
- Never add a new sedative or QT-prolonging drug without checking interactions.
- Missed doses matter: after three or more consecutive missed days, the dose usually needs to be reduced and re-titrated because tolerance falls quickly.
- Hospital admissions and discharges are high-risk transitions; communicate the last dose given and the next dose due to the pharmacy and OAT prescriber.
- Keep constipation, sweating, sexual dysfunction and sleep apnea in mind as common, under-reported adverse effects.

# Regulatory notes

Since 2018, Canadian prescribers no longer require a federal exemption to prescribe methadone; provincial regulatory colleges set training and practice expectations. Many family physicians co-manage patients with OAT clinics.
""")

doc("guide-pain-older-adults", "guidance", "docx", dict(
    id="guide-pain-older-adults",
    title="Managing chronic pain in older adults",
    type="guideline", source="Sample Primary Care Pain Network", published="2023-10-03", reviewed="2025-10-21",
    tags=["older-adults", "nsaids", "renal", "benzodiazepines", "assessment", "physiotherapy"], basis="American Geriatrics Society Beers Criteria (2023); American Geriatrics Society guidance on persistent pain in older persons (2009); " + CAN2017, sample=True), """
""" + GNOTICE + """

# Why older adults are different

Chronic pain affects a large share of people over 65 and is often under-treated, yet older adults are more vulnerable to medication harms. Reduced kidney and liver function, lower muscle mass, multiple medications, cognitive impairment and frailty increase the risk of falls, delirium, constipation, gastrointestinal bleeding and kidney injury. The principle is "start low, go slow", and to pair every medication decision with a non-drug plan.

# Assessment

- Ask about pain directly and repeatedly; many older people under-report it.
- Use simple scales (verbal descriptors or 0-10 numeric) and functional questions: walking, stairs, self-care, sleep.
- For people with dementia who cannot self-report, use an observational tool such as PAINAD or PACSLAC-II, and consider pain as a cause of behavioural change.
- Screen for depression (PHQ-9 or the Geriatric Depression Scale), cognition, falls and frailty.

# Non-drug care

- Exercise: strength, balance and aerobic activity reduce pain and falls; tai chi has good evidence for osteoarthritis and balance.
- Physiotherapy and occupational therapy for aids, home safety and pacing.
- Heat, cold, topical counter-irritants.
- Psychological approaches (CBT, mindfulness) are effective in older adults, including delivered in groups or by telephone.

# Medication choices

## Acetaminophen

First choice for mild to moderate musculoskeletal pain; maximum 3 g/day in frail older adults; count combination products.

## NSAIDs

Topical NSAIDs are preferred for knee and hand osteoarthritis. Avoid long-term oral NSAIDs unless other options fail, and then use with a proton pump inhibitor; avoid if eGFR is below 30, in heart failure, and with anticoagulants.

## Neuropathic agents

Gabapentinoids at reduced, renally adjusted doses; nortriptyline rather than amitriptyline (amitriptyline is on the Beers list for strong anticholinergic effects); duloxetine with attention to sodium and falls. Topical lidocaine is a good option for localised pain.

## Opioids

- Reserve for moderate to severe pain that has not responded to other measures and that limits function.
- Start at 25-50% of usual adult doses and lengthen intervals.
- Preferred agents in kidney impairment: hydromorphone at reduced dose, buprenorphine (transdermal). Avoid codeine, morphine in CKD, meperidine and pentazocine. Use tramadol cautiously (hyponatraemia, seizures, serotonergic interactions, accumulation).
- Prescribe a bowel regimen with every opioid.
- Offer naloxone to the household.

## Medications to avoid or minimise

Benzodiazepines and Z-drugs (falls, cognition), skeletal muscle relaxants such as cyclobenzaprine and methocarbamol (anticholinergic and sedating), and combinations of three or more CNS-active medications.

# Deprescribing

Review every medication at least yearly and after each fall. Taper sedatives and opioids gradually, one at a time, with patient and family involvement. Patient-facing education materials improve success.

# Working with families and care teams

Older adults often receive care from several prescribers and support from family members or home care workers. Agree on one prescriber for analgesics, use a blister pack or dosette prepared by the pharmacy, and give families a written plan describing what each medication is for, which side effects to watch for (drowsiness, confusion, constipation, unsteadiness) and whom to call. In long-term care, align pain assessments with care routines and ask staff to record observational scores before and after changes.

# Table: quick reference

| Drug | Typical starting dose in older adults | Main cautions |
|---|---|---|
| Acetaminophen | 500-650 mg every 6-8 h | Max 3 g/day; liver disease |
| Topical diclofenac | Apply 3-4 times daily | Skin irritation |
| Pregabalin | 25 mg at bedtime | Dizziness, oedema, renal dosing |
| Nortriptyline | 10 mg at bedtime | Anticholinergic effects, ECG |
| Duloxetine | 30 mg daily | Nausea, hyponatraemia, falls |
| Hydromorphone | 0.5-1 mg every 6 h as needed | Sedation, constipation |
| Buprenorphine patch | 5 mcg/h every 7 days | Skin reactions, dizziness |
""")

# >>> DOCUMENTS END

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
