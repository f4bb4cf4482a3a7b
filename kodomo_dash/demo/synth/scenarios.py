"""Scenario registry: the parameters that make one synthetic city differ from another.

A scenario is plain data so a new city (Izumi, Beppu) is one more entry here, not a fork of
the generator. Counts are given at scale 1.0 and multiplied by ``scale`` at run time; rates
are scale-free. The numbers for Fukuoka come from its FY2025 report (about 210,000 children
aged 0-15 in 7 wards, 1,327 unenrolled children aged 3-6 in the cohort).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Ward:
    """One ward: its code (municipal code, 5 digits), name and share of the city's children."""

    code: str
    name_ja: str
    child_share: float
    towns: tuple[str, ...]


@dataclass(frozen=True)
class Rates:
    """Scale-free rates of the latent-need model and the programmes built on it.

    Kept in one place so a scenario can shift a city's profile (more single parents,
    fewer foreign residents) without touching generator code.
    """

    single_parent: float = 0.10
    foreign: float = 0.03
    twin_children: float = 0.01
    grandparents: float = 0.07
    moved_in_households: float = 0.27
    moved_out_extra: float = 0.03
    need_prevalence_logit: float = -4.3
    need_slope: float = 1.6
    past_case_given_need: float = 0.22
    past_case_given_no_need: float = 0.0025
    unlicensed_share_3_6: float = 0.04
    # Share of children enrolled somewhere, by age in years on as_of (ages 0, 1, 2, then 3+).
    enrolled_by_age: tuple[float, float, float, float] = (0.15, 0.45, 0.60, 0.97)
    private_school_elementary: float = 0.03
    private_school_junior_high: float = 0.10


@dataclass(frozen=True)
class Scenario:
    """Everything the generator needs to know about a city and its reporting year."""

    name: str
    city_ja: str
    city_en: str
    prefecture_ja: str
    as_of: date
    fiscal_year: int
    wards: tuple[Ward, ...]
    children_total: int
    unenrolled_3_6: int
    past_graduates_on_roster: float = 0.002
    out_of_city_pupils: float = 0.001
    blank_birth_dates: int = 300
    duplicate_student_no: int = 12
    two_school_records: int = 5
    namesake_pairs: int = 40
    rates: Rates = field(default_factory=Rates)
    # Extract windows: older rows are not kept by the source systems (keeps files small).
    maternal_from: date = date(2010, 1, 1)
    checkup_detail_from: date = date(2019, 4, 1)
    questionnaire_from: date = date(2018, 4, 1)
    # City profile (defaults are Fukuoka's, so its output stays byte-for-byte the same).
    max_age_years: float = 15.99  # oldest child in the registry's child rows (Beppu: 0-17)
    elementary_schools: int = 144
    junior_high_schools: int = 69
    scale_schools: bool = True  # False: the school count stays as the city has it at any scale
    school_code_prefix: int = 4  # first digit of the 6-digit school codes
    neighbours: tuple[tuple[str, str], ...] = (
        ("40218", "春日市"), ("40219", "大野城市"), ("40230", "糸島市"), ("40349", "粕屋町"), ("40231", "那珂川市"),
    )  # fmt: skip
    # Izumi: the model schools (elementary, junior high) and how many children they hold at scale 1.0,
    # and how many of those are already registered with the 要対協 (excluded before scoring).
    model_schools: tuple[int, int] = (0, 0)
    model_school_children: int = 0
    model_school_yotaikyo: int = 0

    @property
    def has_model_schools(self) -> bool:
        return self.model_school_children > 0


_FUKUOKA_WARDS = (
    Ward("40131", "東区", 0.205, ("箱崎", "香椎", "千早", "名島", "多の津", "和白", "香住ケ丘", "青葉",
                                 "松崎", "舞松原", "土井", "三苫", "美和台", "若宮", "香椎浜", "照葉")),
    Ward("40132", "博多区", 0.130, ("博多駅前", "博多駅南", "住吉", "美野島", "東光", "竹下", "井相田",
                                   "那珂", "板付", "月隈", "東比恵", "吉塚", "千代", "冷泉町")),
    Ward("40133", "中央区", 0.100, ("天神", "大名", "赤坂", "薬院", "平尾", "警固", "六本松",
                                   "草ヶ江", "地行", "荒戸", "大濠", "笹丘", "福浜", "渡辺通", "高砂")),
    Ward("40134", "南区", 0.160, ("大橋", "高宮", "長住", "野間", "井尻", "三宅", "老司", "屋形原",
                                 "柏原", "花畑", "鶴田", "寺塚", "若久", "清水", "塩原")),
    Ward("40135", "西区", 0.150, ("姪浜", "愛宕", "小戸", "石丸", "福重", "今宿", "周船寺", "九大新町",
                                 "拾六町", "西の丘", "野方", "壱岐団地", "生の松原", "橋本", "徳永")),
    Ward("40136", "城南区", 0.080, ("七隈", "別府", "茶山", "鳥飼", "梅林", "片江", "長尾", "友泉亭",
                                   "樋井川", "田島", "堤", "東油山")),
    Ward("40137", "早良区", 0.175, ("西新", "藤崎", "原", "百道", "百道浜", "室見", "飯倉", "野芥",
                                   "賀茂", "次郎丸", "有田", "小田部", "田村", "四箇", "南庄", "高取")),
)  # fmt: skip

# Izumi and Beppu are cities without wards: the "ward" is the city itself (municipal code), as in
# the national code list. Towns are real town names of each city; chome and banchi are made up.
_IZUMI = (
    Ward("27219", "", 1.0, ("府中町", "伯太町", "池上町", "和気町", "肥子町", "寺門町", "上代町", "黒鳥町", "桑原町",
                            "幸", "阪本町", "観音寺町", "万町", "室堂町", "納花町", "唐国町", "春木町", "内田町",
                            "光明台", "鶴山台", "いぶき野", "はつが野", "王子町", "太町")),
)  # fmt: skip
_BEPPU = (
    Ward("44202", "", 1.0, ("北浜", "南町", "元町", "浜町", "楠町", "千代町", "末広町", "中央町", "石垣東",
                            "石垣西", "亀川東町", "亀川中央町", "鶴見", "朝見", "東荘園", "荘園町", "南立石",
                            "北中", "上人ケ浜町", "野口原", "山の手町", "観海寺")),
)  # fmt: skip

SCENARIOS: dict[str, Scenario] = {
    "fukuoka-fy2025": Scenario(
        name="fukuoka-fy2025",
        city_ja="福岡市",
        city_en="Fukuoka City",
        prefecture_ja="福岡県",
        as_of=date(2025, 9, 1),
        fiscal_year=2025,
        wards=_FUKUOKA_WARDS,
        children_total=210_000,
        unenrolled_3_6=1_327,
    ),
    # Izumi City (大阪府): 182,481 residents, 32,695 aged 0-19 (report, 住民基本台帳 2025-01-01), so about
    # 26,200 aged 0-15. Model schools: 15 (here 10 elementary + 5 junior high of 21 + 10) holding the
    # 7,347 children whose data could be used; 847 of them registered with the 要対協 (7,347 - 6,500).
    "izumi-fy2025": Scenario(
        name="izumi-fy2025",
        city_ja="和泉市",
        city_en="Izumi City",
        prefecture_ja="大阪府",
        as_of=date(2025, 9, 1),
        fiscal_year=2025,
        wards=_IZUMI,
        children_total=26_156,
        unenrolled_3_6=165,
        blank_birth_dates=40,
        duplicate_student_no=2,
        two_school_records=1,
        namesake_pairs=6,
        elementary_schools=21,
        junior_high_schools=10,
        scale_schools=False,
        school_code_prefix=2,
        neighbours=(("27202", "岸和田市"), ("27206", "泉大津市"), ("27216", "河内長野市"), ("27225", "高石市"),
                    ("27341", "忠岡町")),
        model_schools=(10, 5),
        model_school_children=7_347,
        model_school_yotaikyo=847,
    ),
    # Beppu City (大分県): 112,115 residents, 16,696 aged 0-19; the screening covers every child.
    # The warehouse's child is 0-17 (core.child), so the city is generated with 0-17: 16,696 x 18/20.
    "beppu-fy2025": Scenario(
        name="beppu-fy2025",
        city_ja="別府市",
        city_en="Beppu City",
        prefecture_ja="大分県",
        as_of=date(2025, 9, 1),
        fiscal_year=2025,
        wards=_BEPPU,
        children_total=15_026,
        unenrolled_3_6=95,
        blank_birth_dates=20,
        duplicate_student_no=1,
        two_school_records=1,
        namesake_pairs=4,
        max_age_years=17.99,
        elementary_schools=13,
        junior_high_schools=8,
        scale_schools=False,
        neighbours=(("44201", "大分市"), ("44213", "由布市"), ("44210", "杵築市"), ("44341", "日出町")),
        rates=Rates(single_parent=0.13),
    ),
}


def get_scenario(name: str) -> Scenario:
    """The registered scenario called ``name``; a clear bilingual error for anything else."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ValueError(
            f"シナリオ「{name}」は登録されていません（登録済み: {known}）。 / "
            f"Unknown scenario {name!r} (known: {known})."
        ) from None
