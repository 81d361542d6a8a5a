"""Generate tests/privacy/labelled.jsonl: synthetic documents with labelled identifier spans.

    .venv/bin/python tests/privacy/make_labelled.py            # rewrite labelled.jsonl
    .venv/bin/python tests/privacy/make_labelled.py --check    # fail if the file is stale

Spans are computed while the text is assembled (never hand-counted).  Every value
is fake: names are invented pairings, phone numbers use the 555-01xx fictional range
or made-up exchanges, health card numbers and SINs are random digits with a valid
Luhn check digit (or deliberately invalid next to a keyword), postal codes are random.

Planted documents (kind "planted") put identifier sentences into realistic case text;
clean documents ("clean") are hand-written clinical texts full of look-alikes.
"""
from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from clean_texts import CLEAN_TEXTS  # noqa: E402

OUT = HERE / "labelled.jsonl"
MARK = re.compile(r"\[\[([A-Z_]+)\|(.*?)\]\]", re.S)


def build(marked: str) -> tuple[str, list[dict]]:
    """Turn 'Call [[PHONE|416-555-0123]] now' into text + spans."""
    out, spans, pos = [], [], 0
    length = 0
    for m in MARK.finditer(marked):
        pre = marked[pos:m.start()]
        out.append(pre)
        length += len(pre)
        val = m.group(2)
        spans.append({"kind": m.group(1), "start": length, "end": length + len(val)})
        out.append(val)
        length += len(val)
        pos = m.end()
    out.append(marked[pos:])
    text = "".join(out)
    for s in spans:
        assert text[s["start"]:s["end"]]  # non-empty
    return text, spans


# ----------------------------------------------------------------------------- values
def luhn_check_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


class Gen:
    def __init__(self, seed: int = 20240417):
        self.r = random.Random(seed)

    def digits(self, n: int, first: str = "123456789") -> str:
        return self.r.choice(first) + "".join(self.r.choice("0123456789") for _ in range(n - 1))

    def health_card(self, valid: bool = True) -> str:
        payload = self.digits(9)
        check = luhn_check_digit(payload)
        if not valid:
            check = str((int(check) + self.r.randint(1, 9)) % 10)
        d = payload + check
        fmt = self.r.choice(["plain", "space", "dash", "space_vc", "dash_vc", "plain_vc", "space_vc1"])
        vc = "".join(self.r.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(2))
        return {
            "plain": d,
            "space": f"{d[:4]} {d[4:7]} {d[7:]}",
            "dash": f"{d[:4]}-{d[4:7]}-{d[7:]}",
            "space_vc": f"{d[:4]} {d[4:7]} {d[7:]} {vc}",
            "dash_vc": f"{d[:4]}-{d[4:7]}-{d[7:]}-{vc}",
            "plain_vc": f"{d}{vc}",
            "space_vc1": f"{d[:4]} {d[4:7]} {d[7:]} {vc[0]}",
        }[fmt]

    def sin(self, valid: bool = True) -> str:
        payload = self.r.choice("1234567") + "".join(self.r.choice("0123456789") for _ in range(7))
        check = luhn_check_digit(payload)
        if not valid:
            check = str((int(check) + self.r.randint(1, 9)) % 10)
        d = payload + check
        fmt = self.r.choice(["space", "dash", "plain", "space"])
        return {"space": f"{d[:3]} {d[3:6]} {d[6:]}", "dash": f"{d[:3]}-{d[3:6]}-{d[6:]}", "plain": d}[fmt]

    def phone(self) -> str:
        area = self.r.choice(["416", "647", "437", "905", "289", "613", "343", "705", "249", "519", "226", "807", "365"])
        ex = self.r.choice(["555", "555", "555", str(self.r.randint(200, 989))])
        line = f"01{self.r.randint(0, 99):02d}" if ex == "555" else f"{self.r.randint(0, 9999):04d}"
        fmt = self.r.choice(["paren", "dash", "dot", "space", "plus1", "one_dash", "paren_ext", "dash_ext", "paren_nospace"])
        ext = self.r.choice([" ext. ", " x", " ext ", ", ext. "]) + str(self.r.randint(2, 4999))
        return {
            "paren": f"({area}) {ex}-{line}",
            "paren_nospace": f"({area}){ex}-{line}",
            "dash": f"{area}-{ex}-{line}",
            "dot": f"{area}.{ex}.{line}",
            "space": f"{area} {ex} {line}",
            "plus1": f"+1 {area} {ex} {line}",
            "one_dash": f"1-{area}-{ex}-{line}",
            "paren_ext": f"({area}) {ex}-{line}{ext}",
            "dash_ext": f"{area}-{ex}-{line}{ext}",
        }[fmt]

    def postal(self) -> str:
        first = "ABCEGHJKLMNPRSTVXY"
        rest = "ABCEGHJKLMNPRSTVWXYZ"
        fsa = self.r.choice("KLMNP") + str(self.r.randint(0, 9)) + self.r.choice(rest) if self.r.random() < 0.8 else \
            self.r.choice(first) + str(self.r.randint(0, 9)) + self.r.choice(rest)
        ldu = str(self.r.randint(0, 9)) + self.r.choice(rest) + str(self.r.randint(0, 9))
        return fsa + self.r.choice([" ", " ", " ", ""]) + ldu

    def date(self, birth: bool = False) -> str:
        y = self.r.randint(1925, 1965) if birth else self.r.randint(2019, 2025)
        mo = self.r.randint(1, 12)
        d = self.r.randint(1, 28)
        months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]
        abbr = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        fmt = self.r.choice(["iso", "dmy", "mdy_slash", "long", "long_abbr", "dmon", "dmonyr_dash", "ordinal", "dots", "ymd_slash", "fr", "sept"])
        fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
              "décembre"]
        return {
            "iso": f"{y}-{mo:02d}-{d:02d}",
            "dmy": f"{d:02d}/{mo:02d}/{y}",
            "mdy_slash": f"{mo}/{d}/{y}",
            "long": f"{months[mo - 1]} {d}, {y}",
            "long_abbr": f"{abbr[mo - 1]}. {d}, {y}" if abbr[mo - 1] != "May" else f"May {d} {y}",
            "dmon": f"{d} {abbr[mo - 1]} {y}",
            "dmonyr_dash": f"{d:02d}-{abbr[mo - 1]}-{y}",
            "ordinal": f"{d}th of {months[mo - 1]}, {y}" if d not in (1, 2, 3, 21, 22, 23) else f"{d} {months[mo - 1]} {y}",
            "dots": f"{d:02d}.{mo:02d}.{y}",
            "ymd_slash": f"{y}/{mo:02d}/{d:02d}",
            "fr": f"{d} {fr[mo - 1]} {y}",
            "sept": f"Sept. {d}, {y}" if mo == 9 else f"{d}th {months[mo - 1]} {y}",
        }[fmt]


FIRST = """Margaret Jean-Paul Priya Daniel Olivia Mohammed Chantal Robert Mei Kwame Sophie Gurpreet Liam Isabelle Thomas
Fatima Andre Nadia Brian Ayesha Luc Ewa Giovanni Hannah Tariq Jennifer Marie-Claude Rajesh Linda Dmitri Susan Keisha
Paul Sarah Amir Elena Gordon Roxanne Kenji Yvonne Joseph Ngozi Helene Patrick Deborah Samuel Angela Wojciech Leila
Vincent Joanne Oksana Kevin Rosalie Hamza Carmen Dennis Noor Bernard Tiffany Emeka Siobhan Aurelie Jasmeet""".split()
# a few first names deliberately NOT on the shipped list (tests recall honestly)
FIRST_RARE = ["Bartholomew", "Eunji", "Oluwadamilare", "Thandiwe", "Ignatius", "Ximara"]
LAST = """Tremblay Gagnon Roy Cote Bouchard Gauthier Morin Lavoie Fortin Gagne Ouellet Pelletier Belanger Levesque Bergeron
Leblanc Paquette Girard Simard Boucher Smith Brown Wilson MacDonald Campbell Anderson Taylor Thompson Martin Li Wang
Chen Singh Patel Nguyen Kim Khan Ahmed Hussain Okafor Mensah Adeyemi Kowalski Novak Rossi Ferreira Silva Santos
O'Brien McNeil Fraser Sinclair Murphy Walsh Chowdhury Sharma Gill Dhillon Grewal Sandhu Cohen Levy Haddad Khoury
Kovalenko Petrov Ivanova Yamamoto Nakamura Park Choi Lopez Garcia Hernandez Abdi Osman Wójcik Van der Berg""".split()
STREETS = """Maple Elm Oak Birch Cedar Pine Willow Lakeshore Riverside Hillcrest Sunnyside Parkview Victoria Wellington
Dufferin Bathurst Yonge Bloor Dundas Queen King Main Church Albert Front Bay Division Princess Brock Colborne Talbot
Wharncliffe Huron Erie Algonquin Laurentian Montrose Glenwood Ashgrove Bramble Kingsway Lorne Ridout Rideau Bank
Somerset Carling Merivale Baseline Woodroffe""".split()
TYPES = ["Street", "St", "St.", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Drive", "Dr", "Crescent", "Cres",
         "Court", "Way", "Lane", "Place", "Terrace", "Trail"]
CITIES = ["Toronto ON", "Sudbury, ON", "Thunder Bay, Ontario", "Kingston, ON", "London, Ontario", "Ottawa ON",
          "Hamilton, ON", "Timmins, ON", "Barrie ON", "Windsor, Ontario", "North Bay, ON", "Peterborough ON"]
DOMAINS = ["gmail.com", "hotmail.ca", "yahoo.ca", "rogers.com", "sympatico.ca", "outlook.com", "bell.net", "clinicmail.ca"]


def name(g: Gen, rare_ok: bool = True) -> tuple[str, str]:
    first = g.r.choice(FIRST_RARE) if (rare_ok and g.r.random() < 0.08) else g.r.choice(FIRST)
    last = g.r.choice(LAST)
    if last == "Van":
        last = "Van der Berg"
    return first, last


def address(g: Gen) -> str:
    num = str(g.r.randint(1, 9999))
    street = g.r.choice(STREETS)
    if g.r.random() < 0.25:
        street += " " + g.r.choice(["Park", "Hill", "Valley", "Ridge", "Creek"])
    typ = g.r.choice(TYPES)
    d = g.r.choice(["", "", "", " East", " W", " North", " S"])
    base = f"{num} {street} {typ}{d}"
    unit = g.r.random()
    if unit < 0.15:
        return f"Unit {g.r.randint(1, 40)}, {base}"
    if unit < 0.3:
        return f"{g.r.randint(1, 2400)}-{base}"
    if unit < 0.42:
        return f"{base}, Apt {g.r.randint(1, 30)}{g.r.choice('ABC')}"
    if unit < 0.5:
        return f"{base}, Suite {g.r.randint(100, 900)}"
    return base


def mrn(g: Gen) -> tuple[str, str]:
    """(prefix text, MRN value) — the value is the labelled span."""
    choices = [
        ("MRN: ", g.digits(8, "0123456789")),
        ("MRN ", g.digits(7)),
        ("chart #", g.r.choice(["A-", "B", "C-"]) + g.digits(5)),
        ("Chart No. ", g.digits(6)),
        ("chart number ", g.digits(7)),
        ("hospital number ", "H" + g.digits(7, "0123456789")),
        ("Patient ID: ", "PT-" + g.digits(5)),
        ("medical record number ", g.digits(4) + "-" + g.digits(3)),
        ("Hospital #: ", g.digits(8)),
        ("MRN#", g.digits(9, "0123456789")),
        ("patient ID ", g.r.choice(["QX", "ZR", "PAT"]) + g.digits(6)),
        ("Hosp #: ", g.digits(7, "0123456789")),
        ("Encounter no. ", f"{g.r.randint(2019, 2025)}-{g.digits(6, '0123456789')}"),
    ]
    return g.r.choice(choices)


def site_mrn(g: Gen) -> str:
    return g.r.choice([
        f"SMH-{g.digits(7, '0123456789')}",
        f"UHN:{g.digits(7)}",
        f"TOH {g.digits(8)}",
        f"EC-{g.digits(3)}-{g.digits(4)}",
    ])


def age(g: Gen) -> str:
    n = g.r.randint(90, 104)
    return g.r.choice([
        f"{n}-year-old", f"{n} year old", f"{n}-yr-old", f"{n} years old", f"aged {n}", f"age {n}", f"{n} yo", f"{n} y/o",
        f"Age: {n}", f"{n} years of age",
    ])


def M(kind: str, value: str) -> str:
    return f"[[{kind}|{value}]]"


# ----------------------------------------------------------------------------- sentences
def ident_sentences(g: Gen) -> dict[str, list]:
    """Sentence factories per kind; each returns marked text."""

    def s_name():
        f, l = name(g)
        which = g.r.randint(0, 8)
        if which == 0:
            return f"The patient, {M('NAME', f + ' ' + l)}, agreed to the plan."
        if which == 1:
            return f"Seen with her son, {M('NAME', g.r.choice(FIRST) + ' ' + g.r.choice(LAST))}, who manages her blister packs."
        if which == 2:
            return f"Presenter: Dr. {M('NAME', f + ' ' + l)} (family physician, {g.r.choice(['Kenora', 'Cochrane', 'Brantford', 'Pembroke'])})."
        if which == 3:
            hon = g.r.choice(["Mr.", "Mrs.", "Ms.", "Mr", "Ms"])
            return f"{hon} {M('NAME', l)} reports pain 7/10 despite the Tylenol #3."
        if which == 4:
            return f"{M('NAME', f + ' ' + l)} was started on pregabalin 75 mg BID by the previous physician."
        if which == 5:
            return f"Case presented by Dr. {M('NAME', f[0] + '. ' + l)}; hub panel Dr. {M('NAME', g.r.choice(LAST))} and Dr. {M('NAME', g.r.choice(FIRST) + ' ' + g.r.choice(LAST))}."
        if which == 6:
            return f"Please send the consult note to Dr {M('NAME', l)} at the clinic."
        if which == 7:
            if g.r.random() < 0.5:
                return f"Pt name: {M('NAME', l.upper() + ', ' + f)}"
            return f"Emergency contact: {M('NAME', g.r.choice(FIRST) + ' ' + g.r.choice(LAST))} (daughter)."
        return f"According to {M('NAME', f + ' ' + l)}, the pharmacy dispenses weekly."

    def s_hc():
        v = g.health_card(valid=True)
        which = g.r.randint(0, 4)
        if which == 0:
            return f"OHIP: {M('HEALTH_CARD', v)}"
        if which == 1:
            return f"Health card number {M('HEALTH_CARD', v)} was on the requisition."
        if which == 2:
            return f"The requisition listed {M('HEALTH_CARD', v)} in the top corner."
        if which == 3:
            bad = g.health_card(valid=False)
            return f"HCN {M('HEALTH_CARD', bad)} (version code to be confirmed)."
        bad = g.health_card(valid=False)
        return f"Her OHIP number is {M('HEALTH_CARD', bad)}."

    def s_sin():
        which = g.r.randint(0, 3)
        if which == 0:
            return f"SIN: {M('SIN', g.sin(True))}"
        if which == 1:
            return f"The ODSP form included his social insurance number, {M('SIN', g.sin(g.r.random() < 0.5))}."
        if which == 2:
            return f"Disability paperwork shows {M('SIN', g.sin(True))} as the applicant number."
        return f"S.I.N. {M('SIN', g.sin(False))} recorded by the social worker."

    def s_phone():
        which = g.r.randint(0, 4)
        if which == 0:
            return f"Call the clinic at {M('PHONE', g.phone())} to book the follow-up."
        if which == 1:
            return f"Tel: {M('PHONE', g.phone())}   Fax: {M('PHONE', g.phone())}"
        if which == 2:
            return f"Her cell is {M('PHONE', g.phone())}; she prefers texts."
        if which == 3:
            return f"Pharmacy fax {M('PHONE', g.phone())}."
        area = g.r.choice(["416", "613", "705"])
        return f"Phone {M('PHONE', area + '555' + '01' + str(g.r.randint(10, 99)))} (home)."

    def s_email():
        f, l = name(g, rare_ok=False)
        local = g.r.choice([f"{f}.{l}", f"{f[0]}{l}", f"{l}{g.r.randint(1, 99)}", f"{f}_{l[:3]}"]).lower().replace(" ", "").replace("'", "")
        local = local.replace("é", "e").replace("ó", "o")
        addr = f"{local}@{g.r.choice(DOMAINS)}"
        which = g.r.randint(0, 2)
        if which == 0:
            return f"She emailed photos of the rash from {M('EMAIL', addr)}."
        if which == 1:
            return f"Email: {M('EMAIL', addr)}"
        return f"Results were sent to {M('EMAIL', addr)} by mistake."

    def s_address():
        a = address(g)
        pc = g.postal()
        which = g.r.randint(0, 4)
        if which == 4:
            rural = f"{g.r.randint(100, 9999)} {g.r.choice(['Highway', 'Hwy', 'Concession Road', 'County Road', 'Sideroad'])} {g.r.randint(2, 99)}"
            return f"Address: {M('ADDRESS', rural + ', RR ' + str(g.r.randint(1, 5)) + ', ' + g.r.choice(['Lanark', 'Wawa', 'Kirkland Lake', 'Elliot Lake']))}"
        if which == 0:
            return f"Lives alone at {M('ADDRESS', a)}, {g.r.choice(CITIES)} {M('POSTAL_CODE', pc)}."
        if which == 1:
            return f"Address: {M('ADDRESS', a)}\n{g.r.choice(CITIES)}  {M('POSTAL_CODE', pc)}"
        if which == 2:
            return f"Home care goes to {M('ADDRESS', a)} three times a week."
        return f"The pharmacy at {M('ADDRESS', a)} delivers weekly blister packs."

    def s_postal():
        pc = g.postal()
        which = g.r.randint(0, 2)
        if which == 0:
            return f"Postal code {M('POSTAL_CODE', pc)} falls outside the catchment of the pain program."
        if which == 1:
            return f"{g.r.choice(CITIES)} {M('POSTAL_CODE', pc)}"
        return f"She moved to a rural area ({M('POSTAL_CODE', pc)}) with no physiotherapy nearby."

    def s_date():
        which = g.r.randint(0, 5)
        if which == 0:
            return f"DOB: {M('DATE', g.date(birth=True))}"
        if which == 1:
            return f"Date of birth {M('DATE', g.date(birth=True))}."
        if which == 2:
            return f"Seen in clinic on {M('DATE', g.date())} for a medication review."
        if which == 3:
            return f"Last urine drug test {M('DATE', g.date())}: positive for oxycodone only."
        if which == 4:
            return f"Admitted {M('DATE', g.date())} with an opioid overdose, discharged two days later."
        return f"Born {M('DATE', g.date(birth=True))} in Sault Ste. Marie."

    def s_mrn():
        which = g.r.randint(0, 2)
        if which == 0:
            p, v = mrn(g)
            return f"{p}{M('MRN', v)}"
        if which == 1:
            p, v = mrn(g)
            return f"Discharge summary ({p}{M('MRN', v)}) attached."
        return f"Imaging report {M('MRN', site_mrn(g))} shows L4-L5 stenosis."

    def s_age():
        a = age(g)
        which = g.r.randint(0, 3)
        if which == 0:
            return f"A {M('AGE', a)} woman living in a retirement home has new hip pain." if "year" in a or "yr" in a else f"Patient {M('AGE', a)}, lives in long-term care."
        if which == 1:
            return f"He is {M('AGE', a)} and still drives." if not a.startswith(("age", "Age", "aged")) else f"Frail, {M('AGE', a)}, CFS 6."
        if which == 2:
            return f"Her husband ({M('AGE', a)}) is her caregiver."
        return f"{M('AGE', a)} F with vertebral compression fracture on hydromorphone 1 mg q4h PRN." if "yo" in a or "y/o" in a else f"Now {M('AGE', a)}, on hydromorphone 1 mg q4h PRN."

    return {
        "NAME": s_name, "HEALTH_CARD": s_hc, "SIN": s_sin, "PHONE": s_phone, "EMAIL": s_email, "ADDRESS": s_address,
        "POSTAL_CODE": s_postal, "DATE": s_date, "MRN": s_mrn, "AGE": s_age,
    }


def header(g: Gen) -> str:
    """A registration-style header block with several identifiers."""
    f, l = name(g)
    lines = [f"Patient: {M('NAME', f + ' ' + l)}"]
    opts = [
        lambda: f"DOB: {M('DATE', g.date(birth=True))}",
        lambda: f"OHIP: {M('HEALTH_CARD', g.health_card())}",
        lambda: (lambda p_v: f"{p_v[0]}{M('MRN', p_v[1])}")(mrn(g)),
        lambda: f"Phone: {M('PHONE', g.phone())}",
        lambda: f"Referring: Dr. {M('NAME', g.r.choice(FIRST) + ' ' + g.r.choice(LAST))}",
    ]
    for fn in g.r.sample(opts, g.r.randint(2, 4)):
        lines.append(fn())
    sep = g.r.choice(["\n", " | ", "; "])
    return sep.join(lines)


def planted_doc(g: Gen, idx: int) -> str:
    body = CLEAN_TEXTS[idx % len(CLEAN_TEXTS)]
    paras = body.split("\n\n")
    sents = ident_sentences(g)
    kinds = list(sents)
    # rotate so each kind is planted in many documents
    chosen = [kinds[(idx + k) % len(kinds)] for k in range(g.r.randint(3, 5))]
    extra = [sents[k]() for k in chosen]
    parts = []
    if idx % 3 == 0:
        parts.append(header(g))
    for p in paras:
        parts.append(p)
        if extra and g.r.random() < 0.6:
            parts.append(extra.pop(0))
    parts.extend(extra)
    return "\n\n".join(parts)


def generate() -> list[dict]:
    g = Gen()
    docs = []
    for i in range(54):
        text, spans = build(planted_doc(g, i))
        docs.append({"id": f"planted-{i:03d}", "group": "planted", "text": text, "spans": spans})
    for i, t in enumerate(CLEAN_TEXTS):
        text, spans = build(t)
        assert not spans
        docs.append({"id": f"clean-{i:03d}", "group": "clean", "text": text, "spans": []})
    return docs


def dumps(docs: list[dict]) -> str:
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)


def main(argv: list[str]) -> int:
    data = dumps(generate())
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != data:
            print(f"{OUT} is stale; rerun make_labelled.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(data, encoding="utf-8")
    docs = [json.loads(x) for x in data.splitlines()]
    counts: dict[str, int] = {}
    for d in docs:
        for s in d["spans"]:
            counts[s["kind"]] = counts.get(s["kind"], 0) + 1
    print(f"wrote {OUT} ({len(docs)} documents)", counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
