"""Regular-expression tables of the privacy screen: what each kind of identifier looks like.

Data only: the detectors in ``detectors.py`` decide what a match means (checksums, context,
exemptions).  Compiling these patterns is the one thing done at import.  This module is
long because the tables are; there is no logic to split out.
"""
from __future__ import annotations

import re

UP = "A-ZÀ-ÖØ-Þ"  # capital letters, Latin-1 accents included
LO = "a-zß-öø-ÿ"  # lower-case letters
NUM_L = r"(?<![\w.,/@#$-])(?<!\d[.,]\s)"  # left edge of a free-standing number
NUM_R = r"(?![\w@-]|[.,/]\d)"  # right edge

URL_RE = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+", re.IGNORECASE)
EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")

HCN_RE = re.compile(NUM_L + r"(\d{4})([ -]?)(\d{3})\2(\d{3})(?:(?:[ -]|\2)([A-Z]{1,2}))?" + r"(?![\w@-]|[.,/]\d)")
HCN_MIXED_RE = re.compile(NUM_L + r"\d{4}[ -]?\d{3}[ -]?\d{3}(?:[ -]?[A-Z]{1,2})?(?![\w@-]|[.,/]\d)")
HCN_CONTEXT_RE = re.compile(
    r"\b(?:OHIP|HCN|health[ -]?card|health\s+(?:card\s+)?(?:number|no\b\.?|#|num\b)|health\s+insurance\s+(?:number|no\b\.?|#)|"
    r"carte\s+sant[eé]|num[eé]ro\s+d'assurance[ -]maladie|version\s+code)",
    re.IGNORECASE,
)
SIN_RE = re.compile(NUM_L + r"(\d{3})([ -]?)(\d{3})\2(\d{3})" + NUM_R)
SIN_CONTEXT_CS_RE = re.compile(r"\bS\.?I\.?N\b|\b[Ss]ocial [Ii]nsurance|\bSocial Insurance|\bNAS\b|[Aa]ssurance sociale")

PHONE_RE = re.compile(
    r"(?<![\w.+/-])(?<!\d[ .])"
    r"(?P<num>(?:\+\s?1[ .-]?|1[ .-])?(?:\((?P<a1>\d{3})\)[ .-]?|(?P<a2>\d{3})(?P<sep>[ .-]))(?P<ex>\d{3})[ .-]\d{4})"
    r"(?P<ext>\s*(?:,\s*)?(?:x|ext\.?|extension|poste)\s*\d{1,6})?"
    r"(?![\w-]|[.,/]\d)",
    re.IGNORECASE,
)
PHONE_PLAIN_RE = re.compile(NUM_L + r"(?:\+?1)?\d{10}" + NUM_R)

POSTAL_RE = re.compile(
    r"(?<![\w-])([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])([ -]?)(\d[ABCEGHJ-NPRSTV-Z]\d)(?![\w-])"
)

_MONTHS_FULL = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
)
_MONTHS_ABBR = r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|janv|f[ée]vr?|avr|juil|sept|oct|nov|d[ée]c"
MONTH = rf"(?:(?:{_MONTHS_FULL})|(?:{_MONTHS_ABBR})\.?)"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
ORD = r"(?:st|nd|rd|th|er|e)?"
YEAR4 = r"(?:18|19|20)\d{2}"

DATE_PATTERNS = [
    # 2023-04-17, 2023/04/17, 2023.04.17
    re.compile(rf"(?<![\w./-]){YEAR4}([-/.])(?:0?[1-9]|1[0-2])\1{DAY}(?![\w/]|[.-]\d)"),
    # 17/04/2023, 04-17-2023, 17.04.2023
    re.compile(rf"(?<![\w./-])\d{{1,2}}([-/.])\d{{1,2}}\1{YEAR4}(?![\w/]|[.-]\d)"),
    # 17-Apr-2023, 17 Apr 2023, 17th of April, 2023, le 17 avril 2023
    re.compile(rf"(?<![\w./-]){DAY}{ORD}(?:[ \t]+of|[ \t]*-)?[ \t]*{MONTH}(?:[ \t]*[-,]?[ \t]*)(?:{YEAR4}|(?<=-)\d{{2}})(?![\w/]|[.-]\d)", re.IGNORECASE),
    # April 17, 2023 / Apr. 17th 2023
    re.compile(rf"(?<![\w./-]){MONTH}[ \t]+{DAY}{ORD},?[ \t]+{YEAR4}(?![\w/]|[.-]\d)", re.IGNORECASE),
]
DOB_CONTEXT_RE = re.compile(r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on)?|n[ée]e?\s+le|date\s+de\s+naissance)\b\s*[:#-]?\s*$", re.IGNORECASE)
DOB_VALUE_RE = re.compile(
    rf"\s*[:#-]?\s*(?:(?:{MONTH})[ \t]+{YEAR4}|\d{{1,2}}/\d{{1,2}}/\d{{2}}|\d{{1,2}}/{YEAR4}|{YEAR4}-\d{{2}}|{YEAR4})(?![\w/]|[.-]\d)",
    re.IGNORECASE,
)
DATE_EXEMPT_RE = re.compile(
    r"(?:\b(?:published|publication|reviewed|review\s+date|updated|update|revised|revision|accessed|retrieved|"
    r"modified|created|posted|released|issued|effective|version|copyright|last\s+(?:reviewed|updated|modified|revised)|"
    r"kb:\w+|content|date\s+de\s+publication|mis\s+[àa]\s+jour|consult[ée])\b[^\n]{0,30}$)|(?:^|\n)\s*(?:date|published|reviewed|updated)\s*:\s*$",
    re.IGNORECASE,
)

DATE_CITATION_RE = re.compile(r"\b(?:accessed|retrieved|cited|consulted|available\s+(?:at|from))\b", re.IGNORECASE)

MRN_KEYWORD = (
    r"(?:MRN|MR\s*#|M\.R\.N\.?|medical\s+record\s*(?:number|num\.?|no\.?|#)?|health\s+record\s*(?:number|no\.?|#)|"
    r"chart\s*(?:number|num\.?|no\.?|#|ID)|chart|hosp(?:ital|\.)?\s*(?:number|num\.?|no\.?|#|ID)|patient\s*(?:ID|identifier|number|num\.?|no\.?|#)|"
    r"client\s*(?:ID|number|no\.?|#)|PID|encounter\s*(?:number|no\.?|#|ID)|record\s*(?:number|no\.?|#)|"
    r"dossier\s*(?:n[o°º]\.?|#)?|num[ée]ro\s+de\s+dossier|n[o°º]\s+de\s+dossier)"
)
MRN_RE = re.compile(
    r"\b" + MRN_KEYWORD + r"(?![\w])[ \t]*(?:is|was|=|:|#|-|\.)?[ \t]*(?:[:#-][ \t]*)?"
    r"(?P<id>(?=[A-Z0-9-]*\d)[A-Z0-9](?:[A-Z0-9]|[-/](?=[A-Z0-9])){2,19})(?![\w-])",
    re.IGNORECASE,
)

STREET_TYPES = (
    r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Crescent|Cres|Cr|Court|Crt|Ct|Way|Lane|Ln|Place|Pl|"
    r"Terrace|Terr|Trail|Trl|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Gate|Grove|Heights|Hts|Line|Sideroad|"
    r"Concession|Close|Row|Gardens|Gdns|Mews|Walk|Path|Boul|Chemin|Rue|Promenade|Circuit|Landing|Common|Point|Pointe"
)
STREET_WORD = rf"(?:[{UP}][{LO}'’.]*(?:-[{UP}][{LO}]+)?|\d{{1,3}}(?:st|nd|rd|th)|[{UP}]{{2,}}|St\.?|Ste\.?|Mt\.?)"
ADDRESS_RE = re.compile(
    rf"(?<![\w./#-])"
    rf"(?P<unit>(?:(?:Unit|Apt\.?|Apartment|Suite|Ste\.?|Bureau)[ \t]*#?[ \t]*\w{{1,5}}[ \t]*,?[ \t]*(?:-[ \t]*)?)|\d{{1,5}}[A-Za-z]?[ \t]*-[ \t]*(?=\d))?"
    rf"(?P<num>\d{{1,6}}[A-Za-z]?)(?:[ \t]*-[ \t]*\d{{1,5}})?[ \t]+"
    rf"(?P<name>(?:{STREET_WORD}[ \t]+){{0,3}}{STREET_WORD})[ \t]+"
    rf"(?P<type>(?:{STREET_TYPES})\b\.?|(?i:street|avenue|road|boulevard|drive|crescent|court|lane|place|way)\b)"
    rf"(?P<dir>[ \t]+(?:(?:North|South|East|West|NE|NW|SE|SW)\b|[NSEW]\b\.?))?"
    rf"(?P<unit2>(?:[ \t]*,?[ \t]*(?:Unit|Apt\.?|Apartment|Suite|Ste\.?|#)[ \t]*#?[ \t]*[A-Za-z0-9]{{1,5}}\b))?"
)
ADDRESS_FRENCH_RE = re.compile(
    rf"(?<![\w./#-])\d{{1,6}}[A-Za-z]?,?[ \t]+(?:rue|boulevard|boul\.?|avenue|av\.?|chemin|ch\.?|route|rang|place|promenade|montée)"
    rf"[ \t]+(?:(?:de|du|des|la|le|l'|d'|St-|Ste-|Saint-|Sainte-)[ \t]*)*[{UP}][{LO}'’-]+(?:[ \t]+[{UP}][{LO}'’-]+){{0,2}}"
)
POBOX_RE = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box|C\.?P\.?|Case\s+postale)[ \t]*#?[ \t]*\d{1,6}\b|\bR\.?R\.?[ \t]*#?[ \t]*\d{1,2}\b(?=[ \t]*,)", re.IGNORECASE)
ADDRESS_LABEL_RE = re.compile(
    r"(?:^|(?<=[\n;|]))[ \t]*(?:[-*•][ \t]*)?(?:(?:Home|Mailing|Street|Civic|Residential|Patient)[ \t]+)?(?:Address|Addr\.?|Adresse)[ \t]*:[ \t]*"
    r"(?P<v>(?=[^\n]*\d)[^\n;|]{4,160}?)[ \t.]*(?=$|[\n;|])",
    re.IGNORECASE | re.MULTILINE,
)
ADDRESS_RURAL_RE = re.compile(
    r"(?<![\w./#-])\d{1,6}[ \t]+(?:Highway|Hwy\.?|Route|Rte\.?|Regional[ \t]+Road|County[ \t]+Road|Concession(?:[ \t]+Road)?|"
    r"Side[ \t]?road|Line|Township[ \t]+Road)[ \t]+\d{1,3}[A-Z]?\b"
)
ADDRESS_NAME_STOP = {
    "mg", "mcg", "ml", "units", "unit", "tablets", "tabs", "times", "days", "weeks", "months", "years", "hours", "patients",
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "per", "case", "cases", "session", "sessions", "step", "steps",
    "supreme", "superior", "appeal", "divisional", "federal", "tax", "small", "claims", "family", "best", "key", "next",
    "main", "canadian", "ontario", "pain", "opioid", "chronic", "hub", "echo", "guideline", "guidelines", "point", "points",
}
ADDRESS_TYPE_AMBIGUOUS = {"point", "pointe", "line", "common", "landing", "walk", "path", "row", "close", "gate", "square", "place", "pl", "way", "circuit", "court", "ct", "dr"}
# street types that are also ordinary words: need a comma / line end / direction / unit / postal code after them
ADDRESS_TYPE_WEAK = {"point", "pointe", "line", "common", "landing", "walk", "path", "row", "close", "gate", "circuit"}

AGE_PATTERNS = [
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:[ \t]*-[ \t]*|[ \t]+)(?:years?|yrs?|y)[ \t]*-?[ \t]*old\b", re.IGNORECASE),
    re.compile(r"\b(?:aged?|âgée?|âge)[ \t]*(?:of|:|=|is|was)?[ \t]*(?P<n>9\d|1[01]\d)(?![\w+]|[.,]\d|[ \t]*(?:-|to|–)[ \t]*\d)(?![ \t]*(?:mg|mcg|ml|%|kg|mme|days?|weeks?|months?))", re.IGNORECASE),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)[ \t]*(?:yo|y/o|y\.o\.?|yrs?\s+old|years\s+of\s+age|ans)(?![\w/])", re.IGNORECASE),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)[ \t]*-?[ \t]*(?:YO|yo)(?:[MFmf])\b"),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:y|yo|Y|YO)\b"),
    re.compile(r"(?<![\w.])(?P<n>9\d|1[01]\d)(?:[MF])\b(?=[ \t]+(?:with|presents|presenting|who|patient|pt|w/))"),
]

PHONE_CONTEXT_RE = re.compile(r"\b(?:phone|tel|telephone|t[ée]l[ée]phone|cell|mobile|fax|pager)\b", re.IGNORECASE)
DOB_KEYWORD_RE = re.compile(
    r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthdate|born(?:\s+on|\s+in)?|n[ée]e?\s+(?:le|en))\b", re.IGNORECASE
)
