"""Word lists used by the name detector to stay quiet on clinical text.

NOT_NAME_WORDS are capitalised words that look like names in Title Case text
(headings, eponyms, organisations, drug brands, places) and must never be taken
as a first or last name.  Compared case-insensitively.
"""
from __future__ import annotations

_RAW = """
a an and the of for with without to in on at by from or nor but as if then than so that this these those
there their they them he she his her hers him it its we our you your who whom whose which what when where why how
is are was were be been being has have had do does did done will would shall should can could may might must
not no yes all any each every some many more most few other such own same very just also only new old
case cases presentation presentations presenter presented presenting recommendation recommendations recommended
hub hubs spoke spokes echo session sessions summary background history assessment plan plans impression
question questions answer answers discussion discussions consideration considerations follow followup follow-up
family physician physicians doctor doctors clinician clinicians nurse nurses practitioner practitioners pharmacist
pharmacists team teams panel panelist panelists specialist specialists psychiatrist psychiatry psychologist
social worker workers occupational therapist therapists physiotherapist physiotherapy kinesiologist dietitian
patient patients client clients resident residents partner partners practice practices primary care
chronic acute pain pains opioid opioids opiate addiction addictions medicine medicines mental health wellness
use disorder disorders substance substances alcohol cannabis tobacco smoking treatment treatments therapy therapies
management manage managing taper tapering tapered dose doses dosing daily weekly monthly morning evening night
key points point takeaway takeaways goal goals objective objectives learning outcome outcomes overview introduction
conclusion conclusions reference references resource resources appendix table figure note notes section sections
canadian canada ontario ontarian toronto ottawa  london kingston sudbury thunder bay windsor waterloo
kitchener guelph barrie peterborough oshawa mississauga brampton  vaughan niagara sarnia timmins
north south east west northern southern eastern western central greater region regional provincial province
national federal city county district township village town rural urban remote community communities first nations
nation nations metis inuit indigenous
health healthcare hospital hospitals clinic clinics centre center centres centers institute university college
school faculty department ministry network networks program programs programme service services council
association society foundation agency board committee office group groups unit units ward wards
guideline guidelines standard standards criteria criterion consensus statement statements report reports
review reviews study studies trial trials evidence quality safety practice tool tools toolkit calculator
scale score scores index questionnaire inventory survey screen screening test tests sign signs symptom symptoms
syndrome syndromes disease diseases disorder condition conditions body bodies palsy phenomenon reflex maneuver
manoeuvre manoeuver test procedure law rule rules classification stage stages grade type types
medical clinical surgical emergency department dept urgent
drug drugs medication medications prescription prescriptions pharmacy formulary
morphine hydromorphone oxycodone codeine tramadol tapentadol fentanyl methadone buprenorphine naloxone naltrexone
gabapentin pregabalin duloxetine amitriptyline nortriptyline venlafaxine cyclobenzaprine baclofen acetaminophen
ibuprofen naproxen celecoxib diclofenac meloxicam ketorolac lorazepam clonazepam diazepam alprazolam zopiclone
quetiapine trazodone mirtazapine sertraline citalopram escitalopram fluoxetine paroxetine bupropion lithium
tylenol oxyneo oxycontin percocet suboxone sublocade lyrica cymbalta effexor elavil neurontin kadian statex
hydromorph contin dilaudid jurnista tramacet ultram durela ralivia tridural nucynta duragesic metadol methadose
cesamet sativex nabilone celebrex advil motrin aleve voltaren arthrotec mobicox toradol ativan rivotril valium
xanax imovane seroquel desyrel remeron zoloft celexa cipralex prozac paxil wellbutrin abilify zyprexa risperdal
narcan kinesio botox lidoderm
parkinson parkinson's alzheimer alzheimer's crohn crohn's cushing cushing's addison addison's hodgkin hodgkin's
tinel tinel's phalen phalen's lewy beers graves hashimoto raynaud raynaud's sjogren sjögren guillain barre barré
tourette tourette's huntington huntington's asperger asperger's   wernicke korsakoff munchausen ehlers
danlos   lasegue waddell waddell's  babinski romberg kernig brudzinski finkelstein 
mcmurray   yergason trendelenburg  gaenslen schober schirmer epley hallpike tietze 
dupuytren osgood schlatter   achilles gehrig   kawasaki kaposi marfan meniere
meniere's menière  hirschsprung lyme         
  steven-johnson     cheyne  kussmaul virchow virchow's
     mini mental cage audit dast phq gad cows cows bpi pegs peg oswestry
fibromyalgia arthritis osteoarthritis rheumatoid sciatica radiculopathy neuropathy migraine headache
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
mr mrs ms miss mx dr drs prof professor sir madam
street st avenue ave road rd boulevard blvd drive crescent cres court ct way lane ln place pl terrace
trail parkway circle highway hwy square gate grove heights line sideroad concession
male female man woman men women boy girl son daughter mother father wife husband spouse sister brother
year years old age aged month months week weeks day days hour hours
please consider continue continued start started stop stopped avoid ensure discuss discussed offer offered
reassess reassessed review reviewed refer referred referral monitor monitoring check recheck document documented
current currently previous previously recent recently initial initially ongoing overall general specific
positive negative normal abnormal left right bilateral upper lower mild moderate severe high low
thanks thank welcome hello dear regards sincerely
unknown anonymous redacted withheld removed none see same self adult elderly older younger young middle aged
senior seniors youth child children infant baby teen teenager mr. various multiple several anyone someone nobody
sample example illustrative fictional fictitious synthetic de-identified deidentified anonymized
"""

NOT_NAME_WORDS: frozenset[str] = frozenset(w.lower() for w in _RAW.split())

# Words that, when they follow a candidate "First Last" pair, show it is part of
# an organisation or place name (e.g. "Elisabeth Bruyere Hospital").
INSTITUTION_WORDS: frozenset[str] = frozenset(
    w.lower()
    for w in """
hospital hospitals centre center centres centers clinic clinics institute university college school
health foundation society association hub network program house home lodge manor pavilion wing building
campus site street st avenue ave road rd boulevard blvd drive dr crescent cres court ct way lane ln place
terrace trail parkway park square memorial award lecture prize fund chair library hall criteria scale
pharmacy pharmacies drug drugs station valley falls river lake bay island township county region village mills
beach harbour harbor inc ltd corporation company foundation trust
score index test sign syndrome disease method technique procedure
""".split()
)

# Honorifics introducing a person's name.
HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Mme", "Mlle", "M.")

# Particles that can sit inside a family name ("van der Berg", "de Souza").
NAME_PARTICLES = ("de", "da", "di", "du", "del", "della", "van", "von", "der", "den", "la", "le", "dos", "das", "bin", "al", "el", "ter")
