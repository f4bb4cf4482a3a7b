"""UI text of the rules screen (screens/rules.py; keys rules.)."""

MESSAGES = {
    "rules.lead": {
        "ja": "尼崎市方式（表 8-2・表 8-3）の点数と条件を編集し、新しい版として保存します。保存前に、"
        "リストに入るこども・外れるこどもの人数を確認できます。",
        "en": "Edit the Amagasaki points and parameters (tables 8-2, 8-3) and save them as a new version. "
        "Before saving you see who would enter and leave the list.",
    },
    "rules.version": {"ja": "現在の版: 第{version}版（{created_by}、{created_at}）", "en": "Current: version {version} ({created_by}, {created_at})"},
    "rules.items": {"ja": "項目と点数", "en": "Items and points"},
    "rules.params": {"ja": "条件の値", "en": "Parameters"},
    "rules.col.key": {"ja": "記号", "en": "Key"},
    "rules.col.label": {"ja": "項目", "en": "Item"},
    "rules.col.section": {"ja": "区分", "en": "Section"},
    "rules.col.points": {"ja": "点数", "en": "Points"},
    "rules.col.enabled": {"ja": "使う", "en": "On"},
    "rules.col.value": {"ja": "値", "en": "Value"},
    "rules.note": {"ja": "変更の理由（任意）", "en": "Reason for the change (optional)"},
    "rules.preview": {"ja": "変更の影響", "en": "Effect of the change"},
    "rules.save": {"ja": "新しい版として保存", "en": "Save as a new version"},
    "rules.saved": {"ja": "第{version}版として保存しました。", "en": "Saved as version {version}."},
    "rules.unchanged": {"ja": "変更はありません。", "en": "Nothing changed."},
    "rules.changes": {"ja": "変更した箇所", "en": "What changed"},
    "rules.history": {"ja": "版の履歴", "en": "Version history"},
    "rules.read_only": {"ja": "この役割では閲覧のみです。", "en": "Your role can view only."},
}
