"""Generate the privacy screen's development and held-back sets with a third-party generator (Faker).

    .venv/bin/python benchmarks/screen_devset.py --split dev      > /tmp/dev.jsonl
    .venv/bin/python benchmarks/screen_devset.py --split heldout  > /tmp/heldout.jsonl

Names come from Faker in many locales (never from the screen's own lists); places,
organisations and cited authors in the clean documents come from Faker too.  The
two splits use different seeds: tune on ``dev``, report ``heldout``.  Each line is
``{"id", "split", "text", "spans": [{"kind", "start", "end"}]}``; spans are computed
while the text is assembled.  Every value is fake.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "privacy"))

SEEDS = {"dev": 20261202, "heldout": 977}
# locale -> how to draw (first, last); "zh_CN" and "en_PK" give romanised Chinese and Arabic-origin names
LOCALES = ["en_CA", "fr_CA", "fr_FR", "en_IN", "en_GB", "en_IE", "es_ES", "es_MX", "pl_PL", "zh_CN", "en_PK",
           "nl_NL", "it_IT", "pt_BR", "vi_VN", "tl_PH", "en_NG", "de_DE"]

# Eponyms, drugs and clinical phrases for clean documents (written for this generator, independent of the screen's lists)
EPONYMS = [
    "Parkinson disease", "Parkinson's disease", "Crohn's disease", "Crohn disease", "a positive Tinel sign", "Phalen's test",
    "the Spurling test", "the Beers Criteria", "Apley's scratch test", "Hoffmann sign", "Babinski sign", "Lhermitte sign",
    "the Patrick (FABER) test", "Lasègue sign", "Waddell signs", "Finkelstein test", "McMurray test", "Lachman test",
    "Romberg test", "Trendelenburg gait", "Cushing syndrome", "Addison disease", "Graves disease", "Hashimoto thyroiditis",
    "Raynaud phenomenon", "Sjögren syndrome", "Guillain-Barré syndrome", "Alzheimer disease", "Huntington disease",
    "Lewy body dementia", "Bell's palsy", "Dupuytren contracture", "Paget disease of bone", "Morton neuroma",
    "de Quervain tenosynovitis", "Osgood-Schlatter disease", "Tietze syndrome", "Ehlers-Danlos syndrome",
    "Wernicke encephalopathy", "Korsakoff syndrome", "Munchausen syndrome", "Tourette syndrome", "Marfan syndrome",
    "Barrett esophagus", "Meniere disease", "Kawasaki disease", "Hodgkin lymphoma", "Kaposi sarcoma", "Wilson disease",
    "Gilbert syndrome", "the Glasgow Coma Scale", "the Oswestry Disability Index", "the Roland-Morris questionnaire",
    "the Brief Pain Inventory", "the Clinical Opiate Withdrawal Scale", "the Ottawa ankle rules", "the Wells score",
    "Cockcroft-Gault clearance", "the Kellgren-Lawrence grade", "Heberden nodes", "Bouchard nodes", "Schober test",
    "the Valsalva manoeuvre", "a Baker cyst", "Colles fracture", "the Epley manoeuvre", "Dix-Hallpike testing",
    "Still disease", "Sever disease", "Legg-Calvé-Perthes disease", "Scheuermann kyphosis", "Charcot joint",
    "Brown-Séquard syndrome", "Horner syndrome", "Adson test", "Froment sign", "Durkan test", "Hawkins-Kennedy test",
    "Neer test", "Jobe test", "Thomas test", "Ober test", "Gaenslen test", "Kernig sign", "Brudzinski sign",
]
DRUGS = [
    "Percocet", "Tylenol #3", "Lyrica", "Suboxone", "Sublocade", "OxyNEO", "OxyContin", "Hydromorph Contin", "Dilaudid",
    "Kadian", "M-Eslon", "Targin", "Tramacet", "Zytram XL", "Tridural", "Nucynta", "Butrans", "Belbuca", "Metadol",
    "Methadose", "Narcan", "Cymbalta", "Effexor XR", "Elavil", "Neurontin", "Celebrex", "Arthrotec", "Voltaren Emulgel",
    "Pennsaid", "Advil", "Aleve", "Naprosyn", "Mobic", "Flexeril", "Lioresal", "Zanaflex", "Robaxacet", "Cesamet",
    "Sativex", "Ativan", "Rivotril", "Xanax", "Imovane", "Seroquel", "Remeron", "Desyrel", "Zoloft", "Cipralex",
    "Wellbutrin", "Champix", "Vivitrol", "Antabuse", "Campral", "Lidoderm", "Qutenza", "Botox", "Imitrex", "Aimovig",
    "Emgality", "Nurtec", "Relistor", "Movantik", "Senokot", "RestoraLAX", "Lax-A-Day", "Pantoloc", "Nexium", "Eliquis",
    "Xarelto", "Coumadin", "Lasix", "Synthroid", "Ozempic", "Jardiance", "Lipitor", "Crestor",
    "hydromorphone", "oxycodone", "morphine", "tapentadol", "buprenorphine-naloxone", "methadone", "pregabalin",
    "gabapentin", "duloxetine", "nortriptyline", "amitriptyline", "naltrexone", "nabilone", "tizanidine", "baclofen",
]
ROLES = [
    "the nurse practitioner", "the family physician", "the hub pharmacist", "the addiction medicine specialist",
    "the physiotherapist", "the social worker", "the occupational therapist", "the psychiatrist", "the case presenter",
    "the chronic pain specialist", "the hospitalist", "the registered dietitian", "the Indigenous patient navigator",
]
# Real Canadian places and health organisations (a generator's own list; Faker's en_CA cities are invented from names)
PLACES = [
    "Sudbury", "Timmins", "Kenora", "Sioux Lookout", "Thunder Bay", "Sault Ste. Marie", "North Bay", "Owen Sound",
    "Orillia", "Barrie", "Peterborough", "Belleville", "Kingston", "Cornwall", "Pembroke", "Hamilton", "Brantford",
    "London", "Windsor", "Sarnia", "Chatham", "Stratford", "Guelph", "Kitchener", "Waterloo", "Oshawa", "Whitby",
    "Markham", "Brampton", "Mississauga", "Oakville", "Burlington", "St. Catharines", "Niagara Falls", "Welland",
    "Collingwood", "Huntsville", "Bracebridge", "Parry Sound", "Elliot Lake", "Kapuskasing", "Hearst", "Moosonee",
    "Cochrane", "Dryden", "Fort Frances", "Red Lake", "Attawapiskat", "Moose Factory", "Haliburton", "Lindsay",
    "Cobourg", "Brockville", "Smiths Falls", "Perth", "Renfrew", "Hawkesbury", "Gatineau", "Montreal", "Winnipeg",
]
ORG_PATTERNS = [
    "{place} Family Health Team", "{place} Community Health Centre", "{place} Regional Hospital", "{place} General Hospital",
    "the {place} Nurse Practitioner-Led Clinic", "{place} Health Sciences Centre", "the {place} rapid access addiction clinic",
    "Ontario Health ({place} region)", "the {place} Public Health Unit", "{place} Withdrawal Management Services",
    "the Centre for Addiction and Mental Health", "Women's College Hospital", "St. Michael's Hospital", "Sunnybrook",
    "Mount Sinai Hospital", "Kingston Health Sciences Centre", "Health Sciences North", "Shoppers Drug Mart",
    "the Ontario College of Pharmacists", "the College of Physicians and Surgeons of Ontario", "Queen's University",
    "McMaster University", "the University of Toronto", "Canadian Mental Health Association", "Rexall",
]
CLINICAL = [
    "Taper by 10% of the total daily dose every 2 to 4 weeks.", "Check the PDMP before each renewal.",
    "Offer naloxone and teach the household to use it.", "Review the MME total: 90 mg morphine equivalents is a watchful dose.",
    "Screen with the PHQ-9 and GAD-7 at each visit.", "Use a treatment agreement and urine drug testing as agreed.",
    "Consider buprenorphine micro-induction for patients on full agonists.", "Avoid co-prescribing benzodiazepines.",
    "Set function-based goals with the patient.", "Refer to a chronic pain program if available.",
]


def _mk_faker(locale: str, seed: int):
    from faker import Faker

    f = Faker(locale)
    f.seed_instance(seed)
    return f


class Builder:
    """Assemble text while recording labelled spans."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[dict] = []

    def add(self, s: str, kind: str | None = None) -> None:
        if kind:
            self.spans.append({"kind": kind, "start": self.length, "end": self.length + len(s)})
        self.parts.append(s)
        self.length += len(s)

    def text(self) -> str:
        return "".join(self.parts)


class DevSet:
    def __init__(self, split: str):
        self.split = split
        seed = SEEDS[split]
        self.r = random.Random(seed)
        self.fakers = {loc: _mk_faker(loc, seed + i) for i, loc in enumerate(LOCALES)}
        self.ca = self.fakers["en_CA"]
        from make_labelled import Gen

        self.gen = Gen(seed)

    def person(self) -> tuple[str, str, str]:
        """(first, last, locale) from a random locale; romanised for zh_CN."""
        loc = self.r.choice(LOCALES)
        f = self.fakers[loc]
        if loc == "zh_CN":
            first, last = f.first_romanized_name(), f.last_romanized_name()
        else:
            first, last = f.first_name(), f.last_name()
        roll = self.r.random()
        if roll < 0.10:  # hyphenated given name (Marie-Claude, Jean-Guy)
            first = f"{first}-{self.fakers['fr_CA'].first_name()}"
        elif roll < 0.18:  # double-barrelled surname
            last = f"{last}-{f.last_name() if loc != 'zh_CN' else f.last_romanized_name()}"
        return first.split()[0] if " " in first and self.r.random() < 0.5 else first, last, loc

    def planted(self, i: int) -> dict:
        b = Builder()
        ca = self.ca
        b.add(self.r.choice(["ECHO case summary\n\n", "Case presentation\n\n", "Consult note\n\n", "Résumé de cas\n\n", ""]))
        for _ in range(self.r.randint(1, 3)):
            self._name_sentence(b)
            b.add(" " + self.r.choice(CLINICAL) + " ")
            if self.r.random() < 0.4:
                b.add(self.r.choice(EPONYMS).capitalize() + " was considered; " + self.r.choice(DRUGS) + " was started. ")
            b.add("\n")
        if self.r.random() < 0.35:
            self._other_kind(b)
        org = self.r.choice(ORG_PATTERNS).format(place=self.r.choice(PLACES))
        b.add("\n" + self.r.choice(CLINICAL) + " Discussed at " + org + ".\n")
        return {"id": f"{self.split}-planted-{i:04d}", "split": self.split, "text": b.text(), "spans": b.spans}

    def _name_sentence(self, b: Builder) -> None:
        first, last, loc = self.person()
        full = f"{first} {last}"
        age = self.r.randint(24, 86)
        kind = self.r.randrange(20)
        if kind == 0:
            b.add("Patient: "); b.add(full, "NAME"); b.add(f", {age}, seen for low back pain.")
        elif kind == 1:
            b.add("Name: "); b.add(full, "NAME"); b.add("\nReason for referral: chronic neck pain.")
        elif kind == 2:
            b.add("Pt: "); b.add(full.upper() if self.r.random() < 0.5 else full, "NAME"); b.add(f" ({age}F) on long-term opioids.")
        elif kind == 3:
            b.add(full, "NAME"); b.add(f" is a {age}-year-old with fibromyalgia and poor sleep.")
        elif kind == 4:
            rel = self.r.choice(["partner", "husband", "wife", "daughter", "son", "mother", "father", "sister", "brother", "friend"])
            b.add(f"Her {rel} "); b.add(first, "NAME"); b.add(" attended the visit and helps with medications.")
        elif kind == 5:
            rel = self.r.choice(["daughter", "son", "partner", "caregiver", "niece"])
            b.add(f"His {rel}, "); b.add(full, "NAME"); b.add(", manages the blister packs.")
        elif kind == 6:
            b.add("The patient's mother, "); b.add(full, "NAME"); b.add(", is the substitute decision-maker.")
        elif kind == 7:
            b.add("Dear "); b.add(first, "NAME"); b.add(",\nThank you for presenting this case to the hub.")
        elif kind == 8:
            b.add(self.r.choice(["Regards,\n", "Sincerely,\n", "Thanks,\n", "Cordialement,\n"])); b.add(full, "NAME")
            b.add(self.r.choice([", RN", ", MD", "", ", NP"]))
        elif kind == 9:
            b.add("Send the taper calendar c/o "); b.add(full, "NAME"); b.add(" at the pharmacy.")
        elif kind == 10:
            b.add("PATIENT: "); b.add(full.upper(), "NAME"); b.add(" — REFERRAL FOR OPIOID TAPER.")
        elif kind == 11:
            b.add(self.r.choice(["Mrs. ", "Mr. ", "Ms ", "Mme ", "M. "])); b.add(last, "NAME"); b.add(" reports worsening pain at night.")
        elif kind == 12:
            b.add("Sa fille "); b.add(first, "NAME"); b.add(" l'accompagne à chaque rendez-vous.")
        elif kind == 13:
            b.add("Patiente : "); b.add(full, "NAME"); b.add(f", {age} ans, douleur lombaire chronique.")
        elif kind == 14:
            b.add("Patient: "); b.add(f"{last.upper()}, {first}", "NAME"); b.add(". Chart reviewed.")
        elif kind == 15:
            b.add("She was seen with "); b.add(full, "NAME"); b.add(" at the last visit, who drove her.")
        elif kind == 16:
            b.add(full, "NAME"); b.add(f" reports that {self.r.choice(DRUGS)} helps for about four hours.")
        elif kind == 17:
            b.add("Next of kin: "); b.add(full, "NAME"); b.add(" (" + self.r.choice(["spouse", "son", "daughter"]) + ").")
        elif kind == 18:
            b.add("Her partner, "); b.add(full, "NAME"); b.add(", works nights and is worried about overdose.")
        else:
            b.add("Case presented by "); b.add(full, "NAME"); b.add(f", {self.r.choice(ROLES)[4:]}, on behalf of the team.")

    def _other_kind(self, b: Builder) -> None:
        g = self.gen
        k = self.r.randrange(5)
        if k == 0:
            b.add("OHIP: "); b.add(g.health_card(), "HEALTH_CARD"); b.add(". ")
        elif k == 1:
            b.add("Phone: "); b.add(g.phone(), "PHONE"); b.add(". ")
        elif k == 2:
            b.add("Lives near "); b.add(g.postal(), "POSTAL_CODE"); b.add(". ")
        elif k == 3:
            b.add("DOB: "); b.add(g.date(birth=True), "DATE"); b.add(". ")
        else:
            b.add("Email "); b.add(self.ca.user_name() + "@" + self.ca.free_email_domain(), "EMAIL"); b.add(". ")

    def _company(self) -> str:
        """A Faker company with a corporate ending ("Harris PLC"); bare surname lists are indistinguishable from people."""
        for _ in range(20):
            c = self.ca.company()
            if c.split()[-1].rstrip(".") in ("Inc", "Ltd", "LLC", "PLC", "Group", "Sons", "Corp", "Ltd"):
                return c
        return "Acme Medical Inc"

    def clean(self, i: int) -> dict:
        """A clinical text dense with eponyms, drugs, places, organisations, roles and cited authors."""
        ca, r = self.ca, self.r
        lines = [r.choice(["Hub recommendations", "Guidance summary", "Case discussion", "Key points"]) + "\n"]
        for _ in range(r.randint(6, 10)):
            k = r.randrange(7)
            if k == 0:
                lines.append(f"{r.choice(EPONYMS).capitalize()} should be considered; {r.choice(EPONYMS)} was negative.")
            elif k == 1:
                lines.append(f"Switch from {r.choice(DRUGS)} to {r.choice(DRUGS)}; avoid {r.choice(DRUGS)} with {r.choice(DRUGS)}.")
            elif k == 2:
                city = r.choice(PLACES)
                org = r.choice(ORG_PATTERNS).format(place=r.choice(PLACES))
                lines.append(f"Referral options in {city} and {r.choice(PLACES)}, {ca.province()}: {org} and the {city} Pain Clinic.")
            elif k == 3:
                a, b2 = ca.last_name(), self.fakers[r.choice(LOCALES[:9])].last_name()
                initials = "".join(r.choice("ABCDEFGHJKLMNPRSTW") for _ in range(r.randint(1, 2)))
                lines.append(r.choice([
                    f"See {a} et al. ({r.randint(2005, 2024)}) for the trial data.",
                    f"{a} {initials}, {b2} {initials[:1]}, et al. CMAJ. {r.randint(2010, 2024)};{r.randint(100, 196)}:E{r.randint(100, 999)}.",
                    f"As {a} and {b2} ({r.randint(2010, 2024)}) showed, tapering is feasible.",
                ]))
            elif k == 4:
                lines.append(f"{r.choice(ROLES).capitalize()} and {r.choice(ROLES)} reviewed the plan with the family physician.")
            elif k == 5:
                org = r.choice(ORG_PATTERNS).format(place=r.choice(PLACES))
                lines.append(f"The program at {org} offers group CBT; {self._company()} supplies the devices. {r.choice(CLINICAL)}")
            else:
                lines.append(r.choice(CLINICAL) + f" {r.choice(DRUGS)} {r.choice([5, 10, 25, 75, 150])} mg daily was continued.")
        return {"id": f"{self.split}-clean-{i:04d}", "split": self.split, "text": "\n".join(lines) + "\n", "spans": []}

    def documents(self, planted: int, clean: int) -> list[dict]:
        return [self.planted(i) for i in range(planted)] + [self.clean(i) for i in range(clean)]


def generate(split: str, planted: int = 600, clean: int = 320) -> list[dict]:
    """The documents of one split (dev or heldout)."""
    return DevSet(split).documents(planted, clean)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=sorted(SEEDS), default="dev")
    ap.add_argument("--planted", type=int, default=600)
    ap.add_argument("--clean", type=int, default=320)
    args = ap.parse_args(argv)
    for doc in generate(args.split, args.planted, args.clean):
        print(json.dumps(doc, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
