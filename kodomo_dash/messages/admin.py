"""UI text of the administration screens added after the first auth pages: audit log details,
privacy checklist items and user administration. (Base keys alog.*, privacy.*, uadmin.* are in auth.py.)
"""

MESSAGES = {
    # ---------- audit log page
    "alog.action.login": {"ja": "ログイン", "en": "Login"},
    "alog.action.login_failed": {"ja": "ログイン失敗", "en": "Login failed"},
    "alog.action.logout": {"ja": "ログアウト", "en": "Logout"},
    "alog.action.search": {"ja": "検索", "en": "Search"},
    "alog.action.view_child": {"ja": "こどもカード閲覧", "en": "Child card view"},
    "alog.action.form_save": {"ja": "入力・保存", "en": "Form save"},
    "alog.action.export": {"ja": "出力", "en": "Export"},
    "alog.action.setting_change": {"ja": "設定変更", "en": "Setting change"},
    "alog.action.access_denied": {"ja": "権限による拒否", "en": "Access denied"},
    "alog.action.alert": {"ja": "大量閲覧の警告", "en": "Mass-download alert"},
    "alog.action.retention": {"ja": "保存期間による削除", "en": "Retention prune"},
    "alog.user.any": {"ja": "すべてのユーザー", "en": "All users"},
    "alog.verify.title": {"ja": "改ざん検証", "en": "Chain verification"},
    "alog.verify.empty": {"ja": "操作ログはまだありません。", "en": "The audit log is empty."},
    "alog.filter.title": {"ja": "操作ログの絞り込み", "en": "Filter the audit log"},
    "alog.child.help": {
        "ja": "宛名番号（数字・英字のみ）。氏名では検索できません（ログに氏名は記録しません）。",
        "en": "Resident ID only. The log holds no names, so names cannot be searched.",
    },
    "alog.bad_child": {
        "ja": "宛名番号は英数字で32文字までです。",
        "en": "A resident ID is at most 32 letters or digits.",
    },
    "alog.bad_range": {"ja": "開始日が終了日より後になっています。", "en": "The start date is after the end date."},
    "alog.none": {"ja": "条件に合う記録はありません。", "en": "No rows match."},
    "alog.limit": {"ja": "新しい順に最大{limit}件まで表示します。", "en": "Newest first, at most {limit} rows."},
    "alog.col.seq": {"ja": "番号", "en": "Seq"},
    "alog.col.occurred_at": {"ja": "日時（UTC）", "en": "When (UTC)"},
    "alog.col.username": {"ja": "ユーザー", "en": "User"},
    "alog.col.role": {"ja": "役割", "en": "Role"},
    "alog.col.action": {"ja": "操作", "en": "Action"},
    "alog.col.page": {"ja": "画面", "en": "Screen"},
    "alog.col.resident_id": {"ja": "宛名番号", "en": "Resident ID"},
    "alog.col.target": {"ja": "対象", "en": "Target"},
    "alog.col.n_children": {"ja": "人数", "en": "Children"},
    "alog.col.detail": {"ja": "詳細", "en": "Detail"},
    "alog.col.threshold": {"ja": "基準（人）", "en": "Threshold"},
    "alog.col.window_minutes": {"ja": "時間枠（分）", "en": "Window (min)"},
    "alog.alerts.title": {"ja": "大量閲覧・出力の警告", "en": "Mass view / download alerts"},
    "alog.alerts.caption": {
        "ja": "1人の利用者が{window}分間に{threshold}人を超えるこどもを閲覧・出力すると記録されます（尼崎市の運用）。",
        "en": "Raised when one user views or exports more than {threshold} children within {window} minutes "
        "(Amagasaki).",
    },
    "alog.alerts.none": {"ja": "警告はありません。", "en": "No alerts."},
    "alog.settings": {
        "ja": "保存期間：{days}日（`kodomo audit retention --days 日数` で変更、`kodomo audit prune` で適用）",
        "en": "Retention: {days} days (change with `kodomo audit retention --days N`, apply with "
        "`kodomo audit prune`)",
    },
    "alog.export": {"ja": "CSVを作成", "en": "Make CSV"},
    "alog.download": {"ja": "CSVをダウンロード", "en": "Download CSV"},
    # ---------- privacy checklist
    "privacy.read_only": {
        "ja": "過去の年度の点検結果です（閲覧のみ。記録は変更できません）。",
        "en": "A past year's check: read only (the record cannot be changed).",
    },
    "privacy.no_right": {"ja": "閲覧のみの権限です。", "en": "You may view but not save."},
    "privacy.not_recorded": {"ja": "未記録", "en": "Not recorded"},
    "privacy.recorded": {
        "ja": "実施日 {done_on}　担当者 {person}（{saved_by} が {saved_at} に保存）",
        "en": "Checked {done_on} by {person} (saved by {saved_by} at {saved_at})",
    },
    "privacy.item": {"ja": "項目{n}", "en": "Item {n}"},
}
