"""Hand-written synthetic clinical texts with no identifiers, full of look-alikes.

Used by make_labelled.py both as the clean documents of the labelled set and as
the bodies of the planted documents.  Everything here is fictional and contains
no personal identifier: doses, lab values, scores, eponyms, drug brands, guideline
years, month-year dates, case and session numbers are all deliberate look-alikes.
"""

CLEAN_TEXTS = [
    # 0
    """Case Presentation

A woman in her late 50s with chronic low back pain since a lifting injury in 2009 is on oxycodone CR 40 mg BID plus
oxycodone IR 10 mg q4h PRN (about 4 doses a day), roughly 180 MME. She also takes pregabalin (Lyrica) 150 mg BID and
duloxetine (Cymbalta) 60 mg daily. PHQ-9 of 16, GAD-7 12, BPI interference 7/10. eGFR 58 mL/min/1.73 m2.

Hub Recommendations

1. Review the 2017 Canadian Guideline for Opioids for Chronic Non-Cancer Pain (updated March 2022 in the online tool).
2. Offer a slow taper of 5-10% every 2-4 weeks; hold at any step.
3. Prescribe a naloxone kit and review safe storage.""",
    # 1
    """Hub Recommendations

The patient is a man in his 70s with Parkinson disease and osteoarthritis of both knees. He was started on
hydromorphone 4 mg q4h PRN after a fall in January 2023 and now uses 6-8 doses a day (about 120 MME). Consider the Beers
Criteria (2023 update) before adding any sedating medicine; avoid combining with zopiclone 7.5 mg qhs. Tinel sign was
negative at both wrists. Creatinine 142 µmol/L, ALT 85 U/L, QTc 470 ms on the last ECG.""",
    # 2
    """Family Physician question: can we rotate from fentanyl 25 mcg/h to buprenorphine?

Background: 44-year-old man, chronic neck pain after a motor vehicle collision in 2015, fentanyl patch 25 mcg/h changed
every 72 h plus Tylenol #3 up to 6 a day. COWS 13 during a missed patch last month. Urine drug screen positive for
fentanyl only. He attends session 2023-14 of the Sample ECHO Chronic Pain Hub.

Recommendations: microdosing (Bernese method) starting with Suboxone 0.5 mg daily, increasing over 7-10 days while the
patch continues; stop the patch on day 7. See Case 12 from the March 2021 cycle for a worked schedule.""",
    # 3
    """Case 7 - Fibromyalgia and tramadol

A 38-year-old woman with fibromyalgia (2016 ACR criteria met) takes tramadol 50 mg QID and cyclobenzaprine 10 mg qhs.
Sleep is poor; PSQI 14. PHQ-9 11, GAD-7 9, PCS 32. Past trials: amitriptyline 10-25 mg (dry mouth), nabilone 0.5 mg
(dizziness). The team suggested graded aerobic exercise 3 times a week, CBT-I, and a slow switch from tramadol to
duloxetine 30 mg then 60 mg. Serotonin syndrome risk with tramadol plus SNRI was discussed; Hunter Criteria reviewed.""",
    # 4
    """Session notes - Ontario Health chronic pain ECHO, cycle 4, session 9

Topic: opioid use disorder in primary care. The didactic covered the 2018 CRISM national guideline and the Ontario
Health Quality Standard (2018, updated 2023). Buprenorphine-naloxone is first line; methadone 30 mg start, increase by
no more than 10 mg every 5 days; slow-release oral morphine (Kadian) 200-1200 mg as an alternative. Sublocade 300 mg SC
monthly x 2 then 100 mg. Naloxone: 3 doses of 0.4 mg IM or 4 mg intranasal (Narcan).""",
    # 5
    """Question from the presenting physician

An older man with Lewy body dementia and severe spinal stenosis (L4-L5) has agitation at night. He takes
acetaminophen 1 g TID, hydromorphone 1 mg q6h PRN and quetiapine 12.5 mg qhs. MMSE 18/30, MoCA 14. Falls: 3 in the last
6 months. His daughter asks whether a fentanyl patch 12 mcg/h would help. BP 108/64, HR 88, SpO2 94%.

Hub response: avoid starting a patch in an opioid-naive frail patient; schedule acetaminophen, trial topical
diclofenac 10% to the knees, review with geriatric psychiatry. Addison disease was ruled out (AM cortisol 410 nmol/L).""",
    # 6
    """Crohn disease with chronic abdominal pain

29-year-old with ileocolonic Crohn disease on adalimumab 40 mg every 2 weeks; CRP 18 mg/L, calprotectin 450 ug/g.
Uses codeine 30 mg up to 8 a day from a walk-in clinic. Narcotic bowel syndrome was considered. Hub advice: avoid
escalation, involve GI, consider low-dose amitriptyline 10 mg, and the CAGE-AID was 2/4. Cushing features absent.
Follow up in 4-6 weeks. Refer to Ontario Structured Psychotherapy (OSP).""",
    # 7
    """Key Points

- Calculate total MME: morphine 1, hydromorphone 5, oxycodone 1.5, codeine 0.15, tramadol 0.2, tapentadol 0.4.
- 50 MME and 90 MME are watchful thresholds in the 2017 Canadian Guideline.
- Fentanyl 25 mcg/h is roughly 60-90 MME.
- Methadone conversion is non-linear; do not use a fixed ratio.
- Reassess every 3 months, or every 1-2 weeks during a taper.
- 1-800 lines for patients are listed on the provincial ConnexOntario site.""",
    # 8
    """Follow-up

At 12 weeks she had reduced from 240 MME to 160 MME. Pain 6/10 (was 8/10), PEG 5.3, sleep 6 h. Random UDT x 3 all
expected. She tried mindfulness (MBSR, 8 sessions) and a pool program twice weekly. Next step: reduce OxyNEO 60 mg BID
to 50 mg BID for 4 weeks, then 40 mg BID. Target by December 2024: under 90 MME. Naloxone kit refreshed; lot expires
06/2026.""",
    # 9
    """Complex regional pain syndrome after a distal radius fracture

A 51-year-old woman developed CRPS type 1 (Budapest criteria 4/4) six weeks after a Colles fracture treated with a
cast. Edema, allodynia, color change; Phalen test equivocal. Plan: early physiotherapy with graded motor imagery,
prednisone 30 mg daily x 7 days then taper, vitamin C 500 mg daily for prevention of CRPS on the other side if surgery
is ever needed. Avoid long-term opioids. Bisphosphonate option discussed (pamidronate 60 mg IV once).""",
    # 10
    """Medication overuse headache

A 34-year-old teacher with chronic migraine uses Tylenol #3 on 20 days a month and sumatriptan 100 mg 12 days a
month. HIT-6 score 66, MIDAS 42. Hub recommendations: withdraw codeine over 2-4 weeks, start topiramate 25 mg qhs
titrated by 25 mg weekly to 50 mg BID, or candesartan 8-16 mg. Headache diary, ICHD-3 criteria reviewed. Caffeine
under 200 mg/day. Follow-up at session 2024-03.""",
    # 11
    """Pregnancy and opioid use disorder

A 26-year-old at 14 weeks gestation (G2P1) uses non-prescribed oxycodone 80 mg tablets, 2-3 a day. She wants to stop.
Buprenorphine-naloxone is preferred in pregnancy (Society of Obstetricians and Gynaecologists of Canada, 2022). Start
at 2-4 mg once in mild withdrawal (COWS 8-12), reach 12-16 mg by day 2. Refer to a high-risk obstetrics clinic; neonatal
team aware of NOWS. HIV, HCV and HBV screening; Rh status; TSH 2.1 mIU/L.""",
    # 12
    """Sleep apnea and sedatives

A 63-year-old man with BMI 38, STOP-Bang 6/8, untreated moderate OSA (AHI 24 on a 2022 sleep study) takes morphine SR
60 mg BID plus zopiclone 7.5 mg and lorazepam 1 mg qhs. The team recommended CPAP first, stopping lorazepam by 0.25 mg
every 2 weeks, and not exceeding 50 MME until OSA is treated. Epworth 15. Consider gabapentin 100 mg TID cautiously;
eGFR 45.""",
    # 13
    """Interdisciplinary referral

Referral to the regional interprofessional pain program (wait time about 9-12 months). In the meantime: occupational
therapy assessment, pacing education, and the free online Pain U program. The physiotherapist used the STarT Back tool
(high risk, 7/9) and the Oswestry Disability Index 46%. Social worker to help with ODSP forms. Psychologist offered
ACT, 10 sessions. Kinesiology: 150 minutes a week target.""",
    # 14
    """Overdose history

A 41-year-old man had a non-fatal overdose in the summer of 2023 after buying pressed pills. He is on methadone 90 mg
daily through an OAT clinic and now has a new shoulder injury (rotator cuff tear, Neer and Hawkins tests positive).
Hub advice: split the methadone dose (45 mg BID) for analgesia, add naproxen 500 mg BID with a PPI, physiotherapy,
subacromial injection. Do not add a second full agonist. Take-home naloxone; safer supply discussion.""",
    # 15
    """Depression with high PHQ-9 on opioids

PHQ-9 21 (item 9 = 1), GAD-7 15, on oxycodone/acetaminophen 5/325 (Percocet) 8 tablets a day. The psychiatrist on the
hub panel recommended safety planning, switch sertraline 50 mg to duloxetine 30 mg then 60 mg (cross-taper over 2
weeks), and BounceBack coaching. Columbia suicide severity scale screen negative for plan. Recheck PHQ-9 in 4 weeks.
Lithium level 0.6 mmol/L.""",
    # 16
    """Diabetic neuropathy, CKD and Tylenol #3

A 67-year-old with type 2 diabetes (A1C 8.4%), eGFR 28 mL/min/1.73 m2 and painful peripheral neuropathy (DN4 6/10)
takes Tylenol #3, 2 tablets QID. Codeine and its metabolites accumulate in CKD. Hub recommendations: stop codeine over
2 weeks; pregabalin 25 mg daily max 75 mg BID for eGFR 15-30; topical capsaicin 0.075% QID; consider hydromorphone 0.5 mg
q6h PRN only if needed. Monofilament 4/10 sites. Potassium 5.3 mmol/L.""",
    # 17
    """Low back pain, request for Percocet

A 31-year-old warehouse worker with acute-on-chronic low back pain asks for Percocet. Red flags absent; straight leg
raise negative at 70 degrees; Schober 4 cm. WSIB claim open. Advice from the hub: no opioid for uncomplicated
LBP; NSAID (ibuprofen 400 mg TID x 7 days), heat, walking, return-to-work plan with modified duties. Use the
Keele STarT Back tool. Revisit in 2 weeks.""",
    # 18
    """Cannabis request

A 58-year-old man with lumbar radiculopathy wants medical cannabis. He uses cannabis 1-2 g/day smoked. Hub response:
evidence is modest; if used, prefer oral CBD-predominant oil, start low (CBD 5 mg BID), avoid THC over 10 mg/day,
no driving for 6 h after THC. Nabilone (Cesamet) 0.25 mg qhs is an option. CUDIT-R 14. The 2018 simplified guideline
for prescribing medical cannabinoids in primary care (Canadian Family Physician) was cited.""",
    # 19
    """Breast cancer survivor with aromatase inhibitor arthralgia

A woman in her 60s on letrozole 2.5 mg daily since 2021 has joint pain in the hands and knees. Bone density T-score
-2.1 (osteopenia). Hub: exercise, acupuncture, duloxetine 30-60 mg, or switch to another AI after oncology review.
Avoid tramadol with her tamoxifen history. Vitamin D 1000 IU daily; calcium from diet. BRCA negative. Oncology follow-up
in May.""",
    # 20
    """Osteoarthritis of the knee on hydromorphone

A 72-year-old man with knee OA (Kellgren-Lawrence grade 4) takes Hydromorph Contin 6 mg BID. He is on the surgical
wait list. Hub recommendations: intra-articular corticosteroid (triamcinolone 40 mg), topical diclofenac 1.16% gel
QID, weight loss, GLA:D program. Keep the opioid dose stable until after arthroplasty, then taper. Baker cyst noted
on ultrasound. WOMAC 62/96.""",
    # 21
    """Perioperative buprenorphine

A patient on buprenorphine-naloxone 16 mg daily is booked for a total knee arthroplasty. Current advice (2019 and
later reviews): continue buprenorphine at the usual or split dose (8 mg BID), add multimodal analgesia (acetaminophen
1 g q6h, celecoxib 200 mg BID, ketamine infusion 0.1-0.2 mg/kg/h, regional block), and use a full agonist such as
hydromorphone 2-4 mg PO q3h PRN on top. Communicate with the anesthesiologist at the pre-op clinic.""",
    # 22
    """CKD and morphine neurotoxicity

An 80-year-old woman on morphine 15 mg q4h had myoclonus and hallucinations; eGFR fell from 42 to 19 after a UTI.
Morphine-3-glucuronide accumulates in renal failure. Switch to hydromorphone 0.5-1 mg q4h PRN or a fentanyl patch once
stable; hydrate; check calcium (2.61 mmol/L) and sodium (131 mmol/L). Delirium screen (CAM) positive. Hub referenced the
KDIGO 2024 CKD guideline and the Beers Criteria.""",
    # 23
    """Chronic pelvic pain

A 35-year-old with endometriosis (laparoscopy 2019) and central sensitization. CSI 58. Uses oxycodone 5 mg 2-3 a day.
Hub: pelvic floor physiotherapy, dienogest 2 mg daily per gynecology, amitriptyline 10 mg, avoid opioid escalation,
SOGC 2018 endometriosis guideline. Vulvodynia considered; Q-tip test positive. Re-assess in 6-8 weeks.""",
    # 24
    """Post-herpetic neuralgia

A 76-year-old with PHN in the T6 dermatome since October 2022. Lidocaine 5% patch 12 h on/12 h off, gabapentin
300 mg TID (eGFR 52). Tramadol 50 mg BID added by a walk-in clinic; hub suggested stopping it given SSRI use
(citalopram 20 mg) and QTc 462 ms. Shingrix for prevention in future. Pain 5/10, sleep improved. LANSS 16.""",
    # 25
    """Sickle cell disease and pain crises

A 24-year-old with HbSS disease, 5 admissions in 2023, uses hydromorphone 2 mg 4-6 a day between crises. Hub
recommendations: individualized pain plan for the ED, hydroxyurea adherence, avoid meperidine, evaluate for
avascular necrosis (MRI hips), and consider buprenorphine if OUD criteria are met (DSM-5: 3 of 11). Hemoglobin 78 g/L,
reticulocytes 210 x 10^9/L.""",
    # 26
    """Trigeminal neuralgia

A 69-year-old woman with classic TN (V2 distribution), carbamazepine 200 mg TID, sodium 129 mmol/L. Switch to
oxcarbazepine 150 mg BID titrating to 300-600 mg BID, or lamotrigine. HLA-B*1502 testing if of Southeast Asian
ancestry. Neurosurgical opinion for microvascular decompression; MRI with FIESTA sequence. Pain 9/10 with triggers.""",
    # 27
    """Chronic pain in a patient with alcohol use disorder

A 47-year-old man with AUDIT 22, GGT 180 U/L, AST 96 U/L, ALT 71 U/L, MCV 101 fL, uses acetaminophen 4 g/day and
ibuprofen 2.4 g/day. Hub: limit acetaminophen to 2 g/day, stop NSAID (eGFR 60, hx GI bleed), naltrexone 50 mg daily
(not with opioids) or acamprosate 666 mg TID. CIWA-Ar protocol for withdrawal; thiamine 100 mg daily. Wernicke
encephalopathy signs reviewed.""",
    # 28
    """Whiplash-associated disorder

A 33-year-old after a rear-end collision in July 2024, WAD grade II, Neck Disability Index 40%. Spurling test negative.
Cyclobenzaprine 5 mg qhs x 2 weeks, education, active exercise, graded return to driving. No opioids. Ontario
Minor Injury Guideline applies. Revisit in 3 weeks; refer to physiotherapy, 8 visits. Quebec Task Force classification
discussed.""",
    # 29
    """Ehlers-Danlos syndrome (hypermobile type)

A 27-year-old woman with hEDS (2017 criteria), POTS and widespread pain. Beighton 7/9. Tapentadol (Nucynta) 50 mg BID
started by a previous physician. Hub: physiotherapy focusing on proprioception, compression, salt and fluids for POTS,
avoid further opioid escalation, consider low-dose naltrexone 1.5-4.5 mg (off label). Heart rate rise 42 bpm on
a 10-minute stand test.""",
    # 30
    """Education session 2022-07: opioid tapering

Faculty reviewed the CDC 2022 clinical practice guideline and the 2017 Canadian Guideline. Slides 12-18 covered
tapering rates (10% per month for long-term users), Tapering Decision Tool, and the Opioid Manager. Polls: 64% of
family physicians felt confident. Pre-reading: Busse JW et al. CMAJ 2017;189(18):E659-66. Evaluation response rate
78%. Next cycle starts in September 2025.""",
    # 31
    """Gout and chronic kidney disease

A 64-year-old man with tophaceous gout, eGFR 35, uric acid 540 umol/L, on allopurinol 100 mg daily. Flares treated
with naproxen from a walk-in clinic. Hub: stop NSAIDs, colchicine 0.6 mg daily x 3 days max for flares (dose-adjusted),
prednisone 30 mg x 5 days, titrate allopurinol by 50 mg every 2-4 weeks to target urate under 360 umol/L. HLA-B*5801 if
indicated. ACR 2020 gout guideline.""",
    # 32
    """Spinal cord stimulator question

A 55-year-old with failed back surgery syndrome (L5-S1 fusion 2016) asks about a spinal cord stimulator. Oswestry 52%,
on tapentadol ER 100 mg BID. Hub: referral to a neuromodulation centre, psychological screening first, trial period
of 7-10 days. The NICE TA159 guidance (updated 2014) was cited. 50% pain relief is the usual success criterion.""",
    # 33
    """Older adult with falls

A woman in her 80s (Clinical Frailty Scale 6) fell 2 times in 3 months. Medications: hydromorphone 2 mg q4h PRN,
amitriptyline 25 mg, oxybutynin 5 mg BID, zopiclone 3.75 mg. Hub referenced the STOPP/START criteria and the
Beers Criteria. Deprescribe amitriptyline and oxybutynin, scheduled acetaminophen 650 mg q6h, hip protectors, vitamin D.
TUG 18 s. Orthostatic drop 24/10 mmHg.""",
]
