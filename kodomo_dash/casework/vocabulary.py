"""Every workflow code and its Japanese label, defined once (decision 059).

Stages, departments, decisions, reasons, contact methods, support acts and outcomes: the stage
rules (``workflow.rules``), the screens (through ``services``), the funnel and the label table
``wf_code_label`` all use these codes. The label table is seeded from the same words (migration
042 and later), and a test keeps the two in step, so SQL views and Python pages show the same
words; a form definition whose choices are not here is refused when it is loaded.
"""

from __future__ import annotations

from kodomo_dash.config.messages import Localized

PATHS: dict[str, str] = {
    "ward": "区の三課による確認（二次スクリーニング・三課協議・アプローチ）",
    "school": "学校での確認（スクリーニングシート・SSW聞き取り・支援判断）",
}

DEPARTMENTS: dict[str, str] = {
    "childcare_support": "子育て支援課",
    "community_health_welfare": "地域保健福祉課",
    "health": "健康課",
}

SECONDARY_DECISIONS: dict[str, str] = {"pass": "対象（三課協議へ）", "exclude": "対象外"}
SECONDARY_REASONS: dict[str, str] = {
    "in_support": "支援中",
    "enrolled": "所属あり（保育園等）",
    "other": "その他",
}

CONFERENCE_DECISIONS: dict[str, str] = {"approach": "アプローチする", "no_approach": "アプローチしない"}
CONFERENCE_REASONS: dict[str, str] = {
    "in_support_elsewhere": "他の支援・見守りにつながっている",
    "low_need": "現時点で支援の必要性が低い",
    "other": "その他",
}
ASSESSMENT_LEVELS: dict[str, str] = {
    "concern_high": "懸念が大きい",
    "concern_some": "やや懸念がある",
    "no_concern": "懸念なし",
    "unknown": "情報不足・不明",
}

APPROACH_DECISIONS: dict[str, str] = {"start": "アプローチ開始", "not_needed": "アプローチ不要"}
APPROACH_REASONS: dict[str, str] = {
    "moved_out": "転出",
    "enrolled_since": "その後に所属（入園等）",
    "other": "その他",
}

CONTACT_METHODS: dict[str, str] = {"home_visit": "家庭訪問", "phone": "電話", "other": "その他"}
ATTEMPT_RESULTS: dict[str, str] = {
    "contacted": "接触できた",
    "absent": "不在",
    "no_answer": "応答なし",
    "refused": "訪問・連絡を断られた",
    "other": "その他",
}
NEEDS: dict[str, str] = {"yes": "ニーズあり", "no": "ニーズなし"}

SUPPORT_KINDS: dict[str, str] = {"advice": "助言", "information": "情報提供"}
ADVICE: dict[str, str] = {
    "enrolment": "就園について",
    "developmental": "療育等について",
    "other": "その他",
}
INFORMATION: dict[str, str] = {
    "consultation_desk": "相談窓口等",
    "enrolment_procedure": "入園の手続き",
    "developmental_procedure": "療育等の手続き",
    "services": "各種事業やサービス",
    "other": "その他",
}
SUPPORT_CATEGORIES: dict[str, dict[str, str]] = {"advice": ADVICE, "information": INFORMATION}

OUTCOMES: dict[str, str] = {
    "enrolled": "保育園等の就園（手続き）につながった",
    "yotaikyo": "要保護児童対策地域協議会の登録・支援につなげた",
    "consultation_referral": "行政機関等の相談につなげた",
    "other_programme": "他の事業につながった",
}

SCHOOL_DECISIONS: dict[str, str] = {
    "yotaikyo_case_meeting": "要対協ケース会議で支援方針を検討",
    "school_watch": "学校等での見守り",
    "other_support": "その他の支援（相談支援等）",
    "no_support": "支援不要",
}
SCHOOL_REASONS: dict[str, str] = {
    "low_risk": "リスクが低いと判断",
    "already_supported": "既に支援中",
    "other": "その他",
}
SUPPORTED_SCHOOL_DECISIONS = ("yotaikyo_case_meeting", "school_watch", "other_support")

STAGES: dict[str, str] = {
    "secondary": "二次スクリーニング",
    "conference": "三課協議",
    "approach": "アプローチの判断",
    "contact_attempt": "訪問・連絡",
    "contact": "接触（ニーズの有無）",
    "support_act": "支援（助言・情報提供）",
    "outcome": "支援の成果",
    "follow_up": "フォロー",
    "screening_sheet": "スクリーニングシート",
    "ssw_hearing": "SSW聞き取り（ヒアリングシート）",
    "school_decision": "支援の判断",
    "void": "記録の取消",
}
WARD_STAGES = frozenset({"secondary", "conference", "approach", "contact_attempt", "contact", "support_act",
                         "outcome", "follow_up"})  # fmt: skip
SCHOOL_STAGES = frozenset({"screening_sheet", "ssw_hearing", "school_decision"})
# Stages recorded at most once per child (a change is void + new record).
ONCE_PER_CHILD = frozenset({"conference", "approach", "contact", "screening_sheet", "ssw_hearing",
                            "school_decision"})  # fmt: skip

# Every code domain, as stored in wf_code_label (domain, code, label_ja).
# The kinds of fact a build records per child (warehouse/sql/35_events, decision 066), as the card's
# timeline names them. Facts of the extracts, not workflow codes, so they stay out of CODE_DOMAINS.
EVENT_KINDS: dict[str, str] = {
    "moved_in": "転入", "moved_out": "転出", "left_registry": "住基から削除", "checkup": "乳幼児健診",
    "missed_checkup": "健診未受診", "pregnancy_notification": "妊娠届", "prenatal_checkup": "妊婦健診",
    "postnatal_checkup": "産婦健診", "immunisation": "予防接種", "newborn_visit": "訪問", "nurse_contact": "保健師の関わり",
    "allowance": "手当", "public_assistance": "生活保護", "disability_handbook": "障害者手帳", "medical_subsidy": "医療費助成",
    "single_parent_loan": "ひとり親資金貸付", "disability_service": "障害児サービス", "nursery_start": "入園",
    "nursery_end": "退園", "consultation": "児童相談", "temporary_protection": "一時保護", "yotaikyo": "要対協登録",
    "school_absence": "欠席日数", "household_changed": "世帯の変更", "renumbered": "宛名番号の変更",
}  # fmt: skip
EVENT_KINDS_EN: dict[str, str] = {"moved_in": "Moved in", "moved_out": "Moved out", "left_registry": "Gone from the registry",
               "checkup": "Infant check-up", "missed_checkup": "Check-up missed",
               "pregnancy_notification": "Pregnancy notification", "prenatal_checkup": "Prenatal check-up",
               "postnatal_checkup": "Postnatal check-up", "immunisation": "Immunisation", "newborn_visit": "Visit",
               "nurse_contact": "Public-health nurse contact", "allowance": "Allowance",
               "public_assistance": "Public assistance", "disability_handbook": "Disability handbook",
               "medical_subsidy": "Medical subsidy", "single_parent_loan": "Single-parent loan",
               "disability_service": "Disability service", "nursery_start": "Nursery start",
               "nursery_end": "Nursery end", "consultation": "Child consultation",
               "temporary_protection": "Temporary protection", "yotaikyo": "Yotaikyo registration",
               "school_absence": "Days absent", "household_changed": "Household changed",
               "renumbered": "Resident number changed"}  # fmt: skip


def event_kind_label(kind: str, lang: str = "ja") -> str:
    """How the card and the alerts name a kind of fact (not a workflow code: no domain of CODE_DOMAINS)."""
    return (EVENT_KINDS_EN if lang == "en" else EVENT_KINDS).get(kind, kind)


CODE_DOMAINS: dict[str, dict[str, str]] = {
    "path": PATHS,
    "stage": STAGES,
    "department": DEPARTMENTS,
    "secondary_decision": SECONDARY_DECISIONS,
    "secondary_reason": SECONDARY_REASONS,
    "conference_decision": CONFERENCE_DECISIONS,
    "conference_reason": CONFERENCE_REASONS,
    "assessment_level": ASSESSMENT_LEVELS,
    "approach_decision": APPROACH_DECISIONS,
    "approach_reason": APPROACH_REASONS,
    "contact_method": CONTACT_METHODS,
    "attempt_result": ATTEMPT_RESULTS,
    "needs": NEEDS,
    "support_kind": SUPPORT_KINDS,
    "advice": ADVICE,
    "information": INFORMATION,
    "outcome": OUTCOMES,
    "school_decision": SCHOOL_DECISIONS,
    "school_reason": SCHOOL_REASONS,
}

# The same codes in English, for the screen's English toggle (Japanese is the working language).
LABELS_EN: dict[str, dict[str, str]] = {
    "path": {"ward": "Ward check (secondary screening, conference, approach)",
             "school": "School check (screening sheet, SSW hearing, decision)"},
    "stage": {"secondary": "Secondary screening", "conference": "Three-department conference",
              "approach": "Approach decision", "contact_attempt": "Visit or call", "contact": "Contact (needs or not)",
              "support_act": "Support (advice, information)", "outcome": "Outcome of support", "follow_up": "Follow-up",
              "screening_sheet": "Screening sheet", "ssw_hearing": "SSW hearing (hearing sheet)",
              "school_decision": "Support decision", "void": "Record voided"},
    "department": {"childcare_support": "Childcare Support Division",
                   "community_health_welfare": "Community Health and Welfare Division", "health": "Health Division"},
    "secondary_decision": {"pass": "In scope (to the conference)", "exclude": "Out of scope"},
    "secondary_reason": {"in_support": "Already in support", "enrolled": "Enrolled (nursery etc.)", "other": "Other"},
    "conference_decision": {"approach": "Approach", "no_approach": "Do not approach"},
    "conference_reason": {"in_support_elsewhere": "Connected to other support or watch",
                          "low_need": "Low need for support at present", "other": "Other"},
    "assessment_level": {"concern_high": "Serious concern", "concern_some": "Some concern", "no_concern": "No concern",
                         "unknown": "Not enough information"},
    "approach_decision": {"start": "Start the approach", "not_needed": "Approach not needed"},
    "approach_reason": {"moved_out": "Moved out", "enrolled_since": "Enrolled since (nursery etc.)", "other": "Other"},
    "contact_method": {"home_visit": "Home visit", "phone": "Phone", "other": "Other"},
    "attempt_result": {"contacted": "Contacted", "absent": "Not at home", "no_answer": "No answer",
                       "refused": "Visit or call refused", "other": "Other"},
    "needs": {"yes": "Needs found", "no": "No needs"},
    "support_kind": {"advice": "Advice", "information": "Information"},
    "advice": {"enrolment": "On enrolment", "developmental": "On developmental support", "other": "Other"},
    "information": {"consultation_desk": "Consultation desks", "enrolment_procedure": "Enrolment procedure",
                    "developmental_procedure": "Developmental support procedure",
                    "services": "Programmes and services", "other": "Other"},
    "outcome": {"enrolled": "Led to enrolment (procedure)", "yotaikyo": "Registered with and supported by the yotaikyo",
                "consultation_referral": "Referred to a public consultation service",
                "other_programme": "Led to another programme"},
    "school_decision": {"yotaikyo_case_meeting": "Yotaikyo case meeting plans the support", "school_watch": "Watch at school",
                        "other_support": "Other support (counselling etc.)", "no_support": "No support needed"},
    "school_reason": {"low_risk": "Judged low risk", "already_supported": "Already in support", "other": "Other"},
}


def localized(domain: str, code: str | None) -> Localized:
    """One code's label in both languages, for a message parameter (config/messages.py)."""
    code = code or ""
    return Localized(code_label(domain, code, "ja"), code_label(domain, code, "en"))


def code_label(domain: str, code: str, lang: str = "ja") -> str:
    """The label of one code in one language; an unknown code is shown as it is stored."""
    labels = CODE_DOMAINS.get(domain, {}) if lang == "ja" else LABELS_EN.get(domain, {})
    return labels.get(code, code)
