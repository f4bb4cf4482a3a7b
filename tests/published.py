"""Fukuoka FY2025 as published (図表 6-1, 6-2, 7-3, 6-4), in the shape `kodomo report funnel` prints
(the funnel's own stage codes).

Written out once for every test that compares the pipeline's computed funnel with the report.
"""

FUKUOKA_FY2025_FUNNEL = {
    "cohort": 1327,
    "listed": 217,
    "secondary_passed": 151,
    "conference_approach": 80,
    "approach_not_needed": 7,
    "approached": 73,
    "contacted": 57,
    "needs_yes": 45,
    "needs_no": 12,
    "contact_pending": 16,
    "outcomes": {"enrolled": 7, "yotaikyo": 2, "consultation_referral": 2, "other_programme": 2},
    "support_acts": {
        "advice": {"enrolment": 28, "developmental": 8, "other": 11},
        "information": {"consultation_desk": 32, "enrolment_procedure": 20, "developmental_procedure": 4,
                        "services": 11, "other": 5},
    },
}  # fmt: skip
