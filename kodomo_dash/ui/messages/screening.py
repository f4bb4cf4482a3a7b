"""UI text of the screening (sc.), rule-settings (rules.) and model-card (mc.) pages."""

MESSAGES = {
    # ---------- screening
    "sc.lead": {
        "ja": "手法・対象（コホート）・条件を選んで実行すると、リストが下書きとして保存されます。"
        "管理者が確定すると支援の流れに入ります。",
        "en": "Choose a method, a cohort and settings; a run saves the list as a draft. "
        "A manager's acceptance takes it into the support workflow.",
    },
    "sc.capacity.title": {"ja": "訪問できる件数からリストの人数を決める", "en": "List size from visit capacity"},
    "sc.capacity.caption": {
        "ja": "福岡市（令和7年度）の各段階の通過率から、訪問できる件数に見合うリストの人数と見込みを計算します。",
        "en": "From Fukuoka FY2025's pass rates: the list size that fits the visits available, and the expected yield.",
    },
    "sc.capacity.visits": {"ja": "訪問できる件数", "en": "Visits available"},
    "sc.capacity.per_family": {"ja": "1家庭あたりの訪問・電話の回数", "en": "Visits and calls per family"},
    "sc.capacity.list_size": {"ja": "リストの人数（目安）", "en": "List size (suggested)"},
    "sc.capacity.stage": {"ja": "段階", "en": "Stage"},
    "sc.capacity.expected": {"ja": "見込み人数", "en": "Expected children"},
    "sc.run.title": {"ja": "スクリーニングの実行", "en": "Run a screening"},
    "sc.method": {"ja": "手法", "en": "Method"},
    "sc.cohort": {"ja": "対象（コホート）", "en": "Cohort"},
    "sc.cohort.fukuoka_unenrolled_3_6": {"ja": "3～6歳の未就園児（福岡市）", "en": "Unenrolled children aged 3–6 (Fukuoka)"},
    "sc.cohort.school_children": {"ja": "選んだ学校の児童生徒（和泉市）", "en": "Pupils of chosen schools (Izumi)"},
    "sc.cohort.all_children": {"ja": "全てのこども（別府市）", "en": "All children (Beppu)"},
    "sc.schools": {"ja": "学校", "en": "Schools"},
    "sc.selection": {"ja": "リストの決め方", "en": "How the list is cut"},
    "sc.selection.own": {"ja": "手法の既定", "en": "Method's own rule"},
    "sc.selection.top_n": {"ja": "上位N人", "en": "Top N"},
    "sc.selection.threshold": {"ja": "スコアの閾値以上", "en": "Score at or above a threshold"},
    "sc.top_n": {"ja": "上位N人", "en": "Top N"},
    "sc.threshold": {"ja": "スコアの閾値", "en": "Score threshold"},
    "sc.run.submit": {"ja": "実行して下書きを保存", "en": "Run and save a draft"},
    "sc.run.saved": {
        "ja": "実行 {run_id} を下書きとして保存しました（リスト {n} 人／対象 {cohort} 人、除外 {excluded} 人）。",
        "en": "Saved run {run_id} as a draft (list {n} / cohort {cohort}, {excluded} excluded).",
    },
    "sc.progress.start": {"ja": "準備しています…", "en": "Preparing…"},
    "sc.progress.features": {"ja": "学習用のデータを読み込んでいます…", "en": "Reading training data…"},
    "sc.progress.train": {"ja": "類似度モデルを学習しています（初回のみ）…", "en": "Training the similarity model (first time only)…"},
    "sc.progress.save": {"ja": "モデルを保存しています…", "en": "Saving the model…"},
    "sc.progress.card": {"ja": "モデルカードの数値を計算しています…", "en": "Computing the model card's figures…"},
    "sc.progress.done": {"ja": "完了しました。", "en": "Done."},
    "sc.runs.title": {"ja": "保存した実行", "en": "Saved runs"},
    "sc.runs.none": {"ja": "まだ実行がありません。", "en": "No runs yet."},
    "sc.runs.choose": {"ja": "表示する実行", "en": "Run to show"},
    "sc.runs.option": {"ja": "{method}・{n}人・{status}（{run_id}）", "en": "{method}, {n} children, {status} ({run_id})"},
    "sc.status.draft": {"ja": "下書き", "en": "Draft"},
    "sc.status.accepted": {"ja": "確定済み", "en": "Accepted"},
    "sc.status.discarded": {"ja": "破棄", "en": "Discarded"},
    "sc.metric.list": {"ja": "リストの人数", "en": "On the list"},
    "sc.metric.cohort": {"ja": "対象の人数", "en": "Cohort"},
    "sc.metric.excluded": {"ja": "除外した人数", "en": "Excluded"},
    "sc.metric.status": {"ja": "状態", "en": "Status"},
    "sc.accept": {"ja": "このリストを確定する", "en": "Accept this list"},
    "sc.accept.programme": {"ja": "事業（プログラム）", "en": "Programme"},
    "sc.accept.no_programme": {"ja": "この方法・対象に合う事業がありません", "en": "No programme fits this run"},
    "sc.accept.fy": {"ja": "年度", "en": "Fiscal year"},
    "sc.accepted": {
        "ja": "対象者リスト {list_id} を確定しました。二次スクリーニングから「支援の記録」で記録できます。",
        "en": "List {list_id} accepted. Record its steps, from secondary screening, on Support records.",
    },
    "sc.accepted.next": {"ja": "支援の記録を開く", "en": "Open support records"},
    "sc.col.rank": {"ja": "順位", "en": "Rank"},
    "sc.col.resident_id": {"ja": "宛名番号", "en": "Resident ID"},
    "sc.col.ward": {"ja": "区", "en": "Ward"},
    "sc.col.school": {"ja": "学校", "en": "School"},
    "sc.col.score": {"ja": "スコア", "en": "Score"},
    "sc.col.reasons": {"ja": "理由", "en": "Reasons"},
    "sc.col.change": {"ja": "変化", "en": "Change"},
    "sc.col.rank_before": {"ja": "前の順位", "en": "Rank before"},
    "sc.col.rank_after": {"ja": "今の順位", "en": "Rank now"},
    "sc.compare.title": {"ja": "前の実行との比較", "en": "Compare with an earlier run"},
    "sc.compare.choose": {"ja": "比べる実行", "en": "Earlier run"},
    "sc.change.entered": {"ja": "新たに入る", "en": "Enter"},
    "sc.change.left": {"ja": "外れる", "en": "Leave"},
    "sc.change.stayed": {"ja": "残る", "en": "Stay"},
    # ---------- rules
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
    # ---------- model card
    "mc.lead": {
        "ja": "類似度モデルの性能（学習に使わなかったこどもで評価）、4つの手法の比較、公平性の確認です。",
        "en": "How the similarity model performs (on held-out children), the four methods side by side, and fairness.",
    },
    "mc.no_model": {
        "ja": "まだ類似度モデルがありません。スクリーニング画面で類似度モデルを実行すると学習されます。",
        "en": "No similarity model yet. Running the similarity method on the screening page trains one.",
    },
    "mc.metric.auc": {"ja": "AUC", "en": "AUC"},
    "mc.metric.pr_auc": {"ja": "PR-AUC", "en": "PR-AUC"},
    "mc.metric.precision_at": {"ja": "上位{k}人の適合率", "en": "Precision at {k}"},
    "mc.metric.base_rate": {"ja": "支援ケースの割合", "en": "Base rate"},
    "mc.anchors": {
        "ja": "参考: 公表されているAUC — ニュージーランド 0.76、ロサンゼルス（2023年）0.83、デンマーク（2024年）0.87超。",
        "en": "For context: published AUCs — New Zealand 0.76, Los Angeles (2023) 0.83, Denmark (2024) above 0.87.",
    },
    "mc.calibration": {"ja": "較正曲線（予測した確率と実際の割合）", "en": "Calibration (predicted vs observed)"},
    "mc.calibration.x": {"ja": "予測した確率", "en": "Predicted probability"},
    "mc.calibration.y": {"ja": "実際の割合", "en": "Observed rate"},
    "mc.importance": {"ja": "要因の重要度（図表 7-2 の形式）", "en": "Factor importance (in the shape of figure 7-2)"},
    "mc.importance.x": {"ja": "寄与の大きさ（平均|SHAP|）", "en": "Mean |SHAP|"},
    "mc.compare": {"ja": "4つの手法の比較（同じ対象、同じ人数）", "en": "Four methods on one cohort, equal list size"},
    "mc.compare.size": {"ja": "比較するリストの人数", "en": "List size compared"},
    "mc.col.method": {"ja": "手法", "en": "Method"},
    "mc.col.list_size": {"ja": "人数", "en": "List size"},
    "mc.col.precision": {"ja": "適合率", "en": "Precision"},
    "mc.col.recall": {"ja": "再現率", "en": "Recall"},
    "mc.col.auc": {"ja": "AUC", "en": "AUC"},
    "mc.col.precision_need": {"ja": "真のニーズの適合率", "en": "Precision (true need)"},
    "mc.col.recall_need": {"ja": "真のニーズの再現率", "en": "Recall (true need)"},
    "mc.col.expected_precision": {"ja": "期待適合率（合成データのみ）", "en": "Expected precision (synthetic only)"},
    "mc.col.expected_precision.help": {
        "ja": "リストのこどもが支援ケースになる真の確率の平均。相談歴のようにラベルそのものを含む項目では上がらず、"
              "1回の抽選のばらつきもありません。",
        "en": "Mean true probability of the label over the list. Items that contain the label itself (consultation "
              "history) cannot raise it, and it has no noise from one draw of the label.",
    },
    "mc.col.label_columns": {"ja": "ラベル由来の項目", "en": "Label-derived items"},
    "mc.col.label_columns.help": {
        "ja": "過去の支援ケース（養護相談（虐待））は必ず相談歴を持つため、相談歴・一時保護歴などを点数にする手法は、"
              "ラベルそのものを一部読み取っています。「（相談歴等を除く）」の行は、それらの項目を外した同じ手法です。",
        "en": "Every past support case has a consultation by definition, so a method scoring consultation or "
              "protection history partly reads the label itself. Rows marked “without consultation items” are the "
              "same method with those items switched off.",
    },
    "mc.compare.caption": {
        "ja": "過去の支援ケースに対する適合率は、相談歴などラベル由来の項目を使う手法ほど高く見えます。"
              "公平な比較は、それらを除いた行と、合成データでは期待適合率・真のニーズの適合率です。",
        "en": "Against past support cases, methods scoring label-derived items look better than they are. Compare "
              "their rows without those items, and on synthetic data the expected precision and true-need precision.",
    },
    "mc.curve": {"ja": "リストの人数ごとの適合率", "en": "Precision by list size"},
    "mc.curve.measure": {"ja": "指標", "en": "Measure"},
    "mc.curve.x": {"ja": "リストの人数（各手法の上位）", "en": "List size (each method's top)"},
    "mc.curve.caption": {
        "ja": "1つの人数だけでは手法の順位がたまたま入れ替わることがあります。短いリストから長いリストまで、"
              "どの手法が上にあるかを確認してください。",
        "en": "One list size can flatter a method by chance; check which line stays on top from short lists to long.",
    },
    "mc.measure.precision_at_list": {"ja": "適合率（過去の支援ケース）", "en": "Precision (past support cases)"},
    "mc.measure.expected_precision": {"ja": "期待適合率（合成データのみ）", "en": "Expected precision (synthetic only)"},
    "mc.measure.precision_of_true_need": {"ja": "真のニーズの適合率（合成データのみ）",
                                          "en": "Precision of true need (synthetic only)"},
    "mc.fairness": {"ja": "公平性の確認", "en": "Fairness"},
    "mc.fairness.caption": {
        "ja": "属性ごとの選定率・真陽性率・偽陽性率・較正の差です。差は不公平の証明ではなく、確認のきっかけです。",
        "en": "Selection rate, TPR, FPR and calibration per group. A gap is a prompt to look, not proof of unfairness.",
    },
    "mc.fairness.ok": {"ja": "許容値を超える差はありません。", "en": "No gap exceeds its tolerance."},
    "mc.col.attribute": {"ja": "属性", "en": "Attribute"},
    "mc.col.group": {"ja": "グループ", "en": "Group"},
    "mc.col.n": {"ja": "人数", "en": "Children"},
    "mc.col.selection_rate": {"ja": "選定率", "en": "Selection rate"},
    "mc.col.tpr": {"ja": "真陽性率", "en": "TPR"},
    "mc.col.fpr": {"ja": "偽陽性率", "en": "FPR"},
    "mc.col.calibration_gap": {"ja": "較正の差", "en": "Calibration gap"},
    # ---------- Bayes-optimal reference (synthetic data only)
    "mc.bayes": {"ja": "理論上の上限との比較（合成データのみ）", "en": "Against the Bayes-optimal reference (synthetic data only)"},
    "mc.bayes.caption": {
        "ja": "この基準は合成データの生成器が持つ正解（潜在的なニーズ）からだけ計算できます。実データには正解がないため、"
              "実際の市のデータではこの欄は表示されません。同じ評価用のこどもについて、ラベル（過去の支援ケース）が"
              "正解の確率どおりに生じたときの期待AUCで比べています。",
        "en": "This reference exists only on synthetic data: it needs the generator's truth (the latent need). Real "
              "data has no truth, so a city's own build never shows it. All figures are expected AUCs on the same "
              "held-out children, with the label (past support case) drawn from its true probability.",
    },
    "mc.bayes.none": {
        "ja": "このビルドには合成データの正解フォルダ（{path}）がないため、理論上の上限は計算できません。"
              "実データでは正解が存在しないため、これは正常です。",
        "en": "This build has no synthetic truth folder ({path}), so there is no Bayes-optimal reference. With real "
              "data there is no truth: this is expected.",
    },
    "mc.bayes.model": {"ja": "モデルのAUC（期待値）", "en": "Model AUC (expected)"},
    "mc.bayes.optimal": {"ja": "ベイズ最適AUC（推定）", "en": "Bayes-optimal AUC (estimated)"},
    "mc.bayes.share": {"ja": "ベイズ最適に対する割合", "en": "Share of Bayes-optimal"},
    "mc.bayes.oracle": {"ja": "潜在ニーズが見えた場合のAUC", "en": "AUC if the latent need were observed"},
    "mc.bayes.explain": {
        "ja": "ベイズ最適AUCは、モデルと同じ特徴量から正解の確率を推定して順位を付けた場合のAUCです（推定のため"
              "真の上限をわずかに下回りうる）。潜在ニーズが見えた場合のAUCは、どの特徴量のモデルも届かない上限です。"
              "評価用のこども {n}人（期待される支援ケース {pos:.0f}人）。",
        "en": "The Bayes-optimal AUC ranks children by the truth's probability estimated from the model's own "
              "features (an estimate, so it may fall slightly short of the true optimum). The latent-need AUC is a "
              "ceiling no model of these features can reach. {n} held-out children ({pos:.0f} expected cases).",
    },
    "mc.computing": {
        "ja": "モデルカードの数値を計算しています（このデータとモデルで初回のみ。以後は保存した結果を表示します）…",
        "en": "Computing the model card's figures (once for this data and model; stored for every later visit)…",
    },
}
