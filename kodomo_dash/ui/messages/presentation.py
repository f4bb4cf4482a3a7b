"""UI text of the presentation screen (screens/presentation.py; keys pres.)."""

MESSAGES = {
    "pres.title": {"ja": "成果報告会", "en": "Year-end presentation"},
    "pres.prev": {"ja": "前へ", "en": "Previous"},
    "pres.next": {"ja": "次へ", "en": "Next"},
    "pres.position": {"ja": "{i} / {n}", "en": "{i} / {n}"},
    "pres.make": {"ja": "{fmt} を作成", "en": "Make {fmt}"},
    "pres.download": {"ja": "{fmt} をダウンロード", "en": "Download {fmt}"},
    "pres.made": {"ja": "{fmt} を作成しました（操作履歴に記録済み）。", "en": "{fmt} made (recorded in the audit log)."},
    "pres.notes": {"ja": "発表者メモ", "en": "Presenter notes"},
    "pres.no_export": {"ja": "この役割ではダウンロードできません。", "en": "Your role may not download the deck."},
}
