"""UI text of sign-in, child search, child card, audit log, privacy checklist and user admin.

Prefixes: auth.*, csearch.*, ccard.*, alog.*, privacy.*, uadmin.*, sheet.*.
"""

MESSAGES = {
    # ---------- sign-in frame
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
    "nav.hidden": {"ja": "その他", "en": "Other"},
    # ---------- child search
    "csearch.lead": {
        "ja": "氏名（漢字・カナ）、住所、生年月日、性別、通称名で検索します。表記ゆれ（全角/半角、ひらがな/カタカナ、"
        "空白、長音・小書き文字）は名寄せと同じ規則で吸収します。検索内容は記録されません（検索した事実は記録されます）。",
        "en": "Search by name (kanji or kana), address, birth date, sex or alias. Spelling variants are normalised as in "
        "record linkage. What you type is not logged; that you searched is.",
    },
    "csearch.name": {"ja": "氏名（漢字またはカナ）", "en": "Name (kanji or kana)"},
    "csearch.exact": {"ja": "完全一致", "en": "Exact match"},
    "csearch.address": {"ja": "住所（一部）", "en": "Address (part)"},
    "csearch.birth_date": {"ja": "生年月日", "en": "Birth date"},
    "csearch.use_birth_date": {"ja": "生年月日で絞り込む", "en": "Filter by birth date"},
    "csearch.sex": {"ja": "性別", "en": "Sex"},
    "csearch.sex.any": {"ja": "指定しない", "en": "Any"},
    "csearch.sex.1": {"ja": "男", "en": "Male"},
    "csearch.sex.2": {"ja": "女", "en": "Female"},
    "csearch.alias": {"ja": "通称名", "en": "Alias name"},
    "csearch.submit": {"ja": "検索", "en": "Search"},
    "csearch.need_criteria": {"ja": "検索条件を1つ以上入力してください。", "en": "Enter at least one criterion."},
    "csearch.too_long": {
        "ja": "入力が長すぎます（{max}文字まで）。",
        "en": "Input too long (at most {max} characters).",
    },
    "csearch.none": {"ja": "該当するこどもはいません（担当範囲内）。", "en": "No child found within your scope."},
    "csearch.count": {"ja": "{n}件（最大{limit}件まで表示）", "en": "{n} found (showing at most {limit})"},
    "csearch.open": {"ja": "カードを開く", "en": "Open card"},
    "csearch.pick": {"ja": "こどもを選んでカードを開く", "en": "Pick a child to open the card"},
    "csearch.col.resident_id": {"ja": "宛名番号", "en": "Resident ID"},
    "csearch.col.name_kanji": {"ja": "氏名", "en": "Name"},
    "csearch.col.name_kana": {"ja": "カナ", "en": "Kana"},
    "csearch.col.alias_name": {"ja": "通称名", "en": "Alias"},
    "csearch.col.birth_date": {"ja": "生年月日", "en": "Birth date"},
    "csearch.col.sex": {"ja": "性別", "en": "Sex"},
    "csearch.col.age_years": {"ja": "年齢", "en": "Age"},
    "csearch.col.address_text": {"ja": "住所", "en": "Address"},
    "csearch.col.ward_name": {"ja": "区", "en": "Ward"},
    # ---------- child card
    "ccard.pick_first": {
        "ja": "こども検索から対象のこどもを選んでください。",
        "en": "Choose a child from the child search first.",
    },
    "ccard.to_search": {"ja": "こども検索へ", "en": "Go to child search"},
    "ccard.not_found": {
        "ja": "このこどもは見つからないか、担当範囲外です。",
        "en": "This child does not exist or is outside your scope.",
    },
    "ccard.basic": {"ja": "基本情報", "en": "Basic information"},
    "ccard.indicators": {"ja": "19の基本項目とその他の指標", "en": "The 19 basic items and other indicators"},
    "ccard.indicators.caption": {
        "ja": "「データ無し」は、その資料にこのこどもの記録が無い（または名寄せできていない）ことを表します。",
        "en": "「データ無し」 (no data) means the source has no linked record for this child.",
    },
    "ccard.no_data": {"ja": "データ無し", "en": "データ無し (no data)"},
    "ccard.yes": {"ja": "あり", "en": "Yes"},
    "ccard.no": {"ja": "なし", "en": "No"},
    "ccard.timeline": {"ja": "制度利用・健診の経過", "en": "Programme use and check-ups"},
    "ccard.timeline.empty": {"ja": "記録がありません。", "en": "No records."},
    "ccard.household": {"ja": "同一住所の世帯員と制度利用", "en": "Everyone at the same address"},
    "ccard.household.caption": {
        "ja": "福岡市の情報共有画面と同じく、同じ住所に住む人とその制度利用を表示します。",
        "en": "As in Fukuoka's information-sharing screen: everyone at the address and their programme use.",
    },
    "ccard.support": {"ja": "支援状況・スクリーニング", "en": "Support status and screening"},
    "ccard.support.none": {"ja": "スクリーニング・支援の記録はまだありません。", "en": "No screening or support record yet."},
    "ccard.forms": {"ja": "提出された様式", "en": "Forms filed"},
    "ccard.forms.none": {"ja": "提出された様式はありません。", "en": "No forms filed."},
    "ccard.quarantine": {"ja": "隔離された値（元の値のまま）", "en": "Quarantined values (as they came)"},
    "ccard.quarantine.caption": {
        "ja": "⚠ 検証ルールに反したため分析から除外された値です。元の資料の値をそのまま表示しています。",
        "en": "⚠ Values that broke a validation rule, excluded from analysis and shown exactly as they came.",
    },
    "ccard.school_unlinked": {
        "ja": "学校の記録：データ無し（名寄せ未了）",
        "en": "School record: データ無し (not linked)",
    },
    "ccard.tax": {"ja": "税・所得（管理者・要対協のみ）", "en": "Tax and income (admin and yotaikyo only)"},
    "ccard.viewers": {"ja": "このこどもの閲覧履歴", "en": "Who viewed this child"},
    "ccard.sheet": {"ja": "概要シート（PDF）を作成", "en": "Make summary sheet (PDF)"},
    "ccard.sheet.download": {"ja": "概要シートをダウンロード", "en": "Download summary sheet"},
    "ccard.sheet.sections": {"ja": "印刷する項目", "en": "Sections to print"},
    "ccard.alert": {"ja": "大量閲覧の警告", "en": "Mass-view alert"},
    # ---------- audit log page
    "alog.lead": {
        "ja": "ログイン、検索、こどもカードの閲覧、保存、出力、設定変更、権限による拒否の記録です。"
        "ハッシュの連鎖で改ざん・削除を検出します。",
        "en": "Logins, searches, child-card views, saves, exports, setting changes and refusals, hash-chained.",
    },
    "alog.verify.ok": {"ja": "改ざんは検出されませんでした（{n}件を検証）。", "en": "Chain intact ({n} rows checked)."},
    "alog.verify.resumed": {
        "ja": "改ざんは検出されませんでした（前回の検証で問題のなかった No.{after} 以降の{n}件を検証）。",
        "en": "Chain intact ({n} rows added after No.{after}, which an earlier check found intact).",
    },
    "alog.verify.full": {"ja": "全件を検証し直す", "en": "Check every row again"},
    "alog.verify.full.help": {
        "ja": "古い行の書き換えは全件の検証で見つかります（行数に比例して時間がかかります）。",
        "en": "An edit to an old row is found by a full check (time grows with the number of rows).",
    },
    "alog.verify.bad": {"ja": "改ざん・削除を検出しました：", "en": "Tampering or deletion detected:"},
    "alog.user": {"ja": "ユーザー", "en": "User"},
    "alog.child": {"ja": "宛名番号", "en": "Resident ID"},
    "alog.action": {"ja": "操作", "en": "Action"},
    "alog.action.any": {"ja": "すべて", "en": "All"},
    "alog.since": {"ja": "開始日", "en": "From"},
    "alog.until": {"ja": "終了日", "en": "To"},
    "alog.filter": {"ja": "絞り込む", "en": "Filter"},
    "alog.rows": {"ja": "{n}件", "en": "{n} rows"},
    "alog.head": {"ja": "最新の連鎖ハッシュ（外部記録用）", "en": "Chain head (keep a copy elsewhere)"},
    # ---------- privacy checklist
    "privacy.lead": {
        "ja": "福岡市の報告書にある年次の個人情報保護チェック8項目です。項目ごとに実施日・担当者・根拠資料を記録し、"
        "年度ごとに保存します。",
        "en": "Fukuoka's eight annual privacy check items: record date, person and evidence per item, kept per year.",
    },
    "privacy.year": {"ja": "年度", "en": "Fiscal year"},
    "privacy.done_on": {"ja": "実施日", "en": "Date"},
    "privacy.person": {"ja": "担当者", "en": "Person"},
    "privacy.evidence": {"ja": "根拠資料・確認内容", "en": "Evidence"},
    "privacy.save": {"ja": "保存", "en": "Save"},
    "privacy.saved": {"ja": "保存しました。", "en": "Saved."},
    "privacy.done": {"ja": "{done} / {total} 項目 記録済み", "en": "{done} of {total} items recorded"},
    "privacy.missing": {"ja": "実施日と担当者を入力してください。", "en": "Enter a date and a person."},
    # ---------- user admin
    "uadmin.lead": {
        "ja": "利用者の一覧です。権限の取り消しは即時に反映されます（次の操作で画面が閉じます）。",
        "en": "The users. A revoke takes effect on the user's next click.",
    },
    "uadmin.revoke": {"ja": "権限を取り消す", "en": "Revoke"},
    "uadmin.revoked": {"ja": "{user} の権限を取り消しました。", "en": "Revoked {user}."},
    "uadmin.active": {"ja": "有効", "en": "Active"},
    "uadmin.role": {"ja": "役割", "en": "Role"},
    "uadmin.scope": {"ja": "範囲", "en": "Scope"},
    "uadmin.display_name": {"ja": "表示名", "en": "Display name"},
    "uadmin.username": {"ja": "ユーザー名", "en": "Username"},
    "uadmin.self": {"ja": "自分自身の権限は取り消せません。", "en": "You cannot revoke yourself."},
}
