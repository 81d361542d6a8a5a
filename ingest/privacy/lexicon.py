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

# Honorifics introducing a person's name, as written before the optional full stop
# ("Dr. Jane Smith", "Mme Tremblay", "M. Gagnon"); names.HONORIFIC_RE is built from this tuple.
HONORIFICS = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Drs", "Prof", "Mme", "Mlle", "M", "Sr", "Fr", "Rev")

# Particles that can sit inside a family name ("van der Berg", "de Souza", "St. Pierre"), case as written;
# names.PARTICLES is built from this tuple.
NAME_PARTICLES = (
    "de", "da", "di", "du", "del", "della", "des", "van", "von", "der", "den", "la", "le", "dos", "das", "bin", "ibn",
    "al", "el", "ter", "ten", "St", "St.", "Van", "Von", "De", "Di", "Da", "Del", "La", "Le", "Mac", "Al", "El",
)

# Clinical vocabulary that a name model or a surname list can mistake for a person:
# eponyms (signs, tests, diseases, scales), drug and brand names, clinical roles.
CLINICAL_WORDS: frozenset[str] = frozenset(
    w.lower()
    for w in """
spurling spurling's apley apley's hawkins kennedy neer jobe faber fadir patrick gaenslen's thomas ober lachman
mcmurray's drawer hoffmann hoffman hoffmann's lhermitte lhermitte's adson wright roos allen allen's froment
durkan finkelstein's tinel phalen's bouchard heberden heberden's baker baker's colles smith's barton barton's
bennett bennett's boutonniere dupuytren's paget paget's osgood-schlatter sever sever's morton morton's
bell bell's horner horner's brown-sequard guillain-barre charcot charcot's marie tooth charcot-marie-tooth
glasgow apgar braden norton morse wells geneva caprini padua mallampati kellgren lawrence kellgren-lawrence
beighton ottawa canadian nexus oswestry roland morris roland-morris womac koos dash quickdash borg karnofsky
ecog clinical frailty rockwood folstein moca montreal beck hamilton zung edinburgh epds audit-c cage-aid
opioid risk tool ort sopp soapp soapp-r comm dast-10 pdmp narcotics glasgow-blatchford child-pugh meld
cockcroft gault cockcroft-gault ckd-epi mdrd friedewald framingham
beers stopp start stopp/start
valsalva heimlich trendelenburg fowler fowler's sims semi-fowler
hashimoto's graves' grave's addison's cushing's conn conn's wilson wilson's gilbert gilbert's
alzheimer parkinsonism parkinsonian crohn's bell's raynaud's sjogren's sjögren's reiter reiter's behcet behçet
kawasaki's still still's whipple whipple's hirschsprung's huntington's tourette's asperger's munchausen's
korsakoff's wernicke's lewy body bodies pick pick's creutzfeldt jakob creutzfeldt-jakob tay sachs tay-sachs
down down's turner turner's klinefelter marfan's ehlers-danlos meniere's menière's lyme's legg calve perthes
legg-calve-perthes scheuermann scheuermann's baastrup bertolotti maigne tietze's mondor kienbock kienböck
de quervain quervain quervain's osgood schlatter's morton's hallux hoffa sinding larsen sinding-larsen
brodie bankart hill-sachs salter harris salter-harris weber maisonneuve monteggia galeazzi jones smith
kaposi's hodgkin's non-hodgkin burkitt ewing ewing's wilms wilms' barrett barrett's zollinger ellison
mallory weiss mallory-weiss boerhaave stevens-johnson steven johnson's fournier fournier's ludwig ludwig's
apgar's glasgow's naranjo naranjo's likert dsm dsm-5 icd icd-10 icd-11 who cdc fda nice cfpc cpso cmpa
acetaminophen oxycodone/acetaminophen hydromorphone morphine codeine buprenorphine/naloxone methadone
kadian m-eslon ms-contin hydromorph-contin oxyneo targin tramadol tramacet zytram tridural ultracet
nucynta belbuca butrans probuphine sublocade suboxone zubsolv metadol methadose naloxone narcan kloxxado
lyrica gralise neurontin cymbalta effexor savella elavil aventyl pamelor flexeril lioresal zanaflex
tizanidine robaxin methocarbamol orphenadrine norflex skelaxin celebrex vioxx arcoxia mobic naprosyn
anaprox vimovo pennsaid voltaren emulgel aleve advil motrin tylenol percocet endocet oxycocet roxicet
vicodin norco lortab dilaudid demerol meperidine talwin pentazocine fentanyl duragesic abstral onsolis
sufenta remifentanil ketamine ketalar lidocaine xylocaine lidoderm capsaicin zostrix qutenza botox
dysport xeomin imitrex maxalt zomig relpax amerge axert frova aimovig emgality ajovy vyepti nurtec ubrelvy
cesamet sativex epidiolex nabilone dronabinol marinol syndros cannabidiol cbd thc
ativan xanax valium rivotril klonopin restoril serax halcion dalmane imovane zopiclone sublinox ambien
seroquel zyprexa risperdal abilify rexulti vraylar latuda invega haldol loxapac nozinan
zoloft paxil prozac celexa cipralex lexapro luvox effexor pristiq wellbutrin zyban remeron trintellix
brintellix desyrel oleptro trazodone lithium carbolith epival depakote tegretol lamictal topamax keppra
dilantin trileptal gabapentin pregabalin duloxetine milnacipran venlafaxine desvenlafaxine amitriptyline
nortriptyline imipramine desipramine clomipramine cyclobenzaprine baclofen tizanidine dantrolene
prednisone medrol depo-medrol kenalog celestone solu-medrol dexamethasone decadron
lipitor crestor zocor pravachol metformin glucophage januvia jardiance forxiga ozempic trulicity victoza
lantus levemir tresiba humalog novorapid synthroid eltroxin coumadin warfarin eliquis xarelto pradaxa
lasix hctz altace ramipril coversyl norvasc amlodipine lisinopril losartan cozaar diovan atacand micardis
nexium pantoloc tecta losec prevacid pariet zantac pepcid gravol maxeran stemetil zofran senokot lax-a-day
restoralax colace dulcolax movantik relistor entereg naloxegol methylnaltrexone
vivitrol revia naltrexone antabuse disulfiram campral acamprosate champix varenicline nicorette nicoderm
physiotherapist physiotherapists chiropractor chiropractors osteopath massage kinesiologist kinesiologists
psychotherapist counsellor counselor counsellors counselors anesthesiologist anaesthetist anesthetist
rheumatologist neurologist neurosurgeon physiatrist orthopaedic orthopedic orthopaedics surgeon surgeons
internist gastroenterologist cardiologist oncologist geriatrician pediatrician paediatrician obstetrician
gynecologist gynaecologist dermatologist psychiatrist psychiatrists pharmacologist toxicologist
paramedic paramedics coordinator navigator midwife doula chaplain receptionist administrator manager
director chair lead fellow resident intern locum registrar hospitalist coroner ombudsman
colleague colleagues everyone all folks team friends tai chi qigong reiki yoga pilates
""".split()
)

# Places and organisations that read like names in Title Case.
PLACE_WORDS: frozenset[str] = frozenset(
    w.lower()
    for w in """
ontario quebec québec alberta manitoba saskatchewan nunavut yukon labrador newfoundland brunswick scotia prince edward
columbia british nova new york boston chicago detroit buffalo montreal montréal vancouver calgary edmonton winnipeg regina
saskatoon halifax moncton fredericton charlottetown victoria whitehorse yellowknife iqaluit gatineau hull laval longueuil
hamilton burlington oakville milton halton peel durham york simcoe muskoka haliburton kawartha lakes northumberland
belleville trenton cobourg brockville cornwall hawkesbury pembroke renfrew arnprior carleton kanata nepean orleans
orléans gloucester stittsville barrhaven smiths falls perth kemptville napanee picton prince edward county quinte
lindsay orillia collingwood wasaga midland penetanguishene owen sound hanover walkerton kincardine goderich
stratford woodstock ingersoll tillsonburg simcoe brantford cambridge st catharines welland thorold pelham grimsby
fort erie port colborne chatham kent leamington essex amherstburg tecumseh lasalle strathroy st thomas aylmer
elliot lake espanola blind river sault ste marie wawa marathon geraldton kenora dryden sioux lookout fort frances
red lake moosonee attawapiskat moose factory kashechewan fort albany peawanuck kapuskasing hearst cochrane iroquois
falls kirkland temiskaming haileybury new liskeard north bay sturgeon parry mattawa huntsville bracebridge gravenhurst
markham richmond hill newmarket aurora whitby ajax pickering scarborough etobicoke north york east york
mississauga brampton caledon bolton georgetown orangeville shelburne guelph fergus elora kitchener waterloo
niagara-on-the-lake sunnybrook sinai baycrest bridgepoint holland bloorview camh uhn unity trillium humber scarborough
lakeridge southlake mackenzie stevenson william osler osler kingston hotel dieu providence st joseph's joseph st
michael's michael's mcmaster queen's queens western laurentian lakehead nipissing trent brock ryerson metropolitan
tmu carleton uottawa mcgill dalhousie memorial laval sherbrooke ubc ualberta usask umanitoba ohip oma ocfp cpso rnao
cep cfpc cma cpsa hqo cadth ccsa camh-ohtn ohtn echo opioid pain rxfiles nnadap nodapp nidda idapp mohltc mhltc
""".split()
)

# Clinical or place words kept as stop words even though a census list has them as a name.
ALWAYS_STOP: frozenset[str] = frozenset("beers new north east fort falls lake still prince peel tai chi".split())

# Company and firm endings: "Harris PLC", "Davis Group", "Kemp and Sons" name organisations, not people.
CORPORATE_WORDS: frozenset[str] = frozenset("inc ltd llc llp plc corp co group sons partners associates limited gmbh".split())
