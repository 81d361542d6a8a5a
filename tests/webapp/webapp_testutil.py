"""Shared helpers for the web app tests (a module of its own so it never collides with another conftest)."""
from __future__ import annotations

import re

from fake_kb import make_doc

PASSWORD = "correct horse battery"

TAPER = (
    "Opioid tapering\n\n"
    "Taper oxycodone slowly: reduce the dose by 5 to 10 percent of the current dose every 2 to 4 weeks. "
    "Faster tapers increase the risk of withdrawal and overdose.\n\n"
    "Offer naloxone to every patient on long-term opioid therapy."
)
BUP = (
    "Buprenorphine micro induction\n\n"
    "Micro induction of buprenorphine starts at 0.5 mg while the full agonist such as oxycodone continues. "
    "Doses rise over 7 days."
)
EVIL = "Evil doc\n\nThis oxycodone note contains <script>alert(1)</script> and <b>bold</b> & ampersands."


def sample_docs() -> list:
    return [
        make_doc("opioid-taper", "Opioid tapering guidance", TAPER, tags=["tapering", "opioids"],
                 source="Ontario Guidance Group", published="2021-03-01", reviewed="2023-01-15"),
        make_doc("bup-micro", "ECHO case: buprenorphine micro induction", BUP, doc_type="echo-case",
                 source="Project ECHO Ontario", published="2015-05-01", reviewed="2016-01-01",
                 tags=["buprenorphine", "oud"]),
        make_doc("evil", "<script>alert('title')</script>", EVIL, tags=["misc"], source="Bad <i>Org</i>"),
    ]


def login(client, name: str, password: str = PASSWORD, csrf: bool = False):
    data = {"username": name, "password": password}
    if csrf:
        data["csrf_token"] = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data=data)


def csrf_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no csrf token in page"
    return m.group(1)


# ---------------------------------------------------------------- documents for the real knowledge base

REAL_DOCS: dict[str, str] = {
    "web-taper.md": """---
id: web-taper
title: Tapering long-term opioid therapy
type: guideline
source: Ontario Sample Guidance Group
published: 2022-04-01
reviewed: 2024-01-10
tags: [tapering, opioids]
sample: true
---
# Tapering long-term opioid therapy

Illustrative sample content, not clinical advice.

## Taper speed

For a patient on oxycodone 120 mg/day for years, taper slowly: reduce by 5 to 10 percent of the current dose
every 2 to 4 weeks. Faster tapers raise the risk of withdrawal, relapse and overdose.

## Naloxone

Offer a take-home naloxone kit to every patient on long-term opioid therapy.
""",
    "web-bup.md": """---
id: web-bup
title: ECHO case - buprenorphine micro-induction from oxycodone
type: echo-case
source: Sample Project ECHO Hub
published: 2016-02-01
reviewed: 2016-02-01
tags: [buprenorphine, oud]
sample: true
---
# Buprenorphine micro-induction

Illustrative sample content, not clinical advice.

## Recommendation

For a patient taking 90 MME of oxycodone, a buprenorphine micro-induction starts at 0.5 mg sublingual once daily
while the full agonist continues, increasing over 7 days before the oxycodone is stopped.
""",
    "web-apap.md": """---
id: web-apap
title: Acetaminophen daily limits
type: guideline
source: Ontario Sample Guidance Group
published: 2023-03-01
reviewed: 2024-02-01
tags: [nsaids]
sample: true
---
# Acetaminophen daily limits

Illustrative sample content, not clinical advice.

## Maximum daily dose

| Patient group | Maximum per day | Note |
|---|---|---|
| Healthy adult | 4 g | <script>alert('cell')</script> split the doses |
| Chronic alcohol use | 2 g | check liver tests first |
| Older adult under 50 kg | 2 g | weigh the patient |

## Counselling

1. Count every product that contains acetaminophen
2. Ask about combination products
   - cold and flu remedies
   - sleep aids
3. Write the daily total on the label
""",
    "web-xss.txt": """Urine drug testing
==================

A negative urine drug test for the prescribed opioid <script>alert(1)</script> needs a confirmatory
mass spectrometry test before any conclusion about diversion. <img src=x onerror=alert(2)>
""",
}


def write_real_docs(folder) -> list:
    """Write the small Markdown corpus used by the real-KB and browser tests."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "web-xss.meta.yaml").write_text(
        "id: web-xss\ntitle: \"Urine drug testing <script>alert('t')</script>\"\ntype: other\n"
        "source: Sample <b>Lab</b>\npublished: 2023-01-01\nreviewed: 2023-01-01\ntags: [urine-drug-testing]\n")
    paths = []
    for name, text in REAL_DOCS.items():
        p = folder / name
        p.write_text(text)
        paths.append(p)
    return paths
