"""Names of the school-context measures in `context_value` (one vocabulary for importers, pages and models).

`year` is the calendar year in which the academic year ends (2019 = 2018/19); census January 2019 is 2019.
Percentages are 0-100. Money is GBP.
"""

MEASURES: dict[str, str] = {
    "pupils": "Pupils on roll (census NOR)",
    "pct_fsm_ever": "% pupils eligible for FSM at any time in the last 6 years",
    "pct_sen_support": "% pupils with SEN support",
    "pct_ehcp": "% pupils with an EHC plan or statement",
    "pct_eal": "% pupils with English as an additional language",
    "pct_disadvantaged": "% disadvantaged pupils (KS4 cohort)",
    "pct_absence": "% overall absence",
    "pct_persistent_absence": "% persistent absentees",
    "ks2_pupils": "KS2 cohort",
    "ks2_rwm_expected": "% meeting expected standard in reading, writing and maths",
    "ks2_rwm_higher": "% achieving the higher standard in reading, writing and maths",
    "ks2_reading_progress": "KS2 reading progress score",
    "ks2_writing_progress": "KS2 writing progress score",
    "ks2_maths_progress": "KS2 maths progress score",
    "ks4_pupils": "KS4 cohort",
    "ks4_attainment8": "Attainment 8",
    "ks4_progress8": "Progress 8",
    "ks4_eng_maths_grade5": "% grade 5 or above in English and maths",
    "ks4_ebacc_entry": "% entering the EBacc",
    "income": "Total income (GBP)",
    "expenditure": "Total expenditure (GBP)",
    "balance": "Revenue balance (GBP)",
}
