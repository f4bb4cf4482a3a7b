"""UI text of the child search screen (screens/child_search.py; keys csearch.)."""

MESSAGES = {
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
}
