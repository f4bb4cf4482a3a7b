"""Titles of every screen, keyed page.<key> as in kodomo_dash.navigation."""

MESSAGES = {
    "page.data_quality": {"ja": "データ品質", "en": "Data quality"},
    "page.child_search": {"ja": "こども検索", "en": "Child search"},
    "page.child_card": {"ja": "こどもカード", "en": "Child card"},
    "page.linkage_review": {"ja": "名寄せ確認", "en": "Linkage review"},
    "page.screening": {"ja": "スクリーニング", "en": "Screening"},
    "page.rules": {"ja": "ルール設定", "en": "Rule settings"},
    "page.model_card": {"ja": "モデルカード", "en": "Model card"},
    "page.funnel": {"ja": "支援の流れ（ファネル）", "en": "Support funnel"},
    "page.forms_school_sheet": {"ja": "スクリーニングシート", "en": "School screening sheet"},
    "page.forms_ssw_sheet": {"ja": "ヒアリングシート", "en": "SSW hearing sheet"},
    "page.forms_conference": {"ja": "三課協議", "en": "Three-department conference"},
    "page.forms_home_visit": {"ja": "訪問記録", "en": "Home-visit record"},
    "page.progress": {"ja": "提出状況", "en": "Form progress"},
    "page.worklist": {"ja": "担当一覧", "en": "My worklist"},
    "page.outcomes": {"ja": "成果指標", "en": "Outcome indicators"},
    "page.presentation": {"ja": "成果報告会", "en": "Presentation"},
    "page.audit_log": {"ja": "操作履歴", "en": "Audit log"},
    "page.privacy_checklist": {"ja": "プライバシーチェック", "en": "Privacy checklist"},
    "page.admin_users": {"ja": "利用者管理", "en": "Users"},
}

MESSAGES |= {
    "nav.overview": {"ja": "概要", "en": "Overview"},
    "nav.children": {"ja": "こども", "en": "Children"},
    "nav.screening": {"ja": "スクリーニング", "en": "Screening"},
    "nav.support": {"ja": "支援", "en": "Support"},
    "nav.evaluation": {"ja": "評価・報告", "en": "Evaluation"},
    "nav.admin": {"ja": "管理", "en": "Administration"},
}
