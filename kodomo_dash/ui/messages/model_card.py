"""UI text of the model card screen (screens/model_card.py; keys mc.)."""

MESSAGES = {
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
