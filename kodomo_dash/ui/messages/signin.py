"""UI text of sign-in (auth.): the password and TOTP steps, lockout and session messages."""

MESSAGES = {
    "auth.logout": {"ja": "ログアウト", "en": "Log out"},
    "auth.logged_out": {"ja": "ログアウトしました。", "en": "You have logged out."},
    "auth.scope.ward": {"ja": "担当区 {codes}", "en": "Wards {codes}"},
    "auth.scope.school": {"ja": "担当校 {codes}", "en": "Schools {codes}"},
    "auth.role.admin": {"ja": "システム管理者", "en": "Administrator"},
    "auth.role.manager": {"ja": "こども家庭課（管理者）", "en": "Manager"},
    "auth.role.yotaikyo": {"ja": "要対協調整機関", "en": "Yotaikyo office"},
    "auth.role.ward_staff": {"ja": "区職員", "en": "Ward staff"},
    "auth.role.school": {"ja": "学校", "en": "School"},
    "auth.role.ssw": {"ja": "スクールソーシャルワーカー", "en": "School social worker"},
    "auth.role.evaluator": {"ja": "評価担当", "en": "Evaluator"},
    "auth.idle_warning": {
        "ja": "操作がないまま約{minutes}分たつと、自動的にログアウトします。入力中の内容は保存してください。",
        "en": "Without activity you will be signed out in about {minutes} min. Save what you are typing.",
    },
}
