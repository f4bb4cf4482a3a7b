"""名寄せ on a hand-built messy city: one example of every noise kind and its expected outcome.

Each case below is a registry child (or none), a school record (or several) and what the linker
must do with it. The tables are built in an in-memory DuckDB exactly as the build stages them
(schema ``stg``, the contract's columns, typed), so these tests also pin the input contract.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pytest

from kodomo_dash.demo.linkage_evaluation import evaluate
from kodomo_dash.warehouse.linkage import LinkSettings, link_students
from kodomo_dash.warehouse.linkage.model import COMPARISONS

FY = 2025

REGISTRY_DDL = """
create table stg.resident_registry (
    resident_id varchar, household_id varchar, relationship varchar, name_kanji varchar, name_kana varchar,
    birth_date date, sex varchar, nationality varchar, alias_name varchar, address_text varchar,
    address_code varchar, ward_code varchar, moved_in_date date, moved_out_date date)
"""
ROSTER_DDL = """
create table stg.student_roster (
    student_no varchar, school_code varchar, grade integer, class_name varchar, name_kanji varchar,
    name_kana varchar, birth_date date, sex varchar, address_text varchar, address_code varchar,
    guardian_name varchar, entry_date date)
"""
MAP_DDL = (
    "create table stg.student_resident_map (student_no varchar, resident_id varchar, recorded_date date)"
)


def grade_of(birth: date) -> int:
    entry = birth.year + 6 + (1 if (birth.month, birth.day) > (4, 1) else 0)
    return FY - entry + 1


def addr(n: int) -> str:
    """A 13-digit address code in 東区: ward 40131, town, chome, banchi, go (n and n + 97k differ in town)."""
    return f"40131{n % 97 + 1:02d}{n // 97 + 1:02d}0101"


class City:
    """Collects registry rows, school rows, 対応表 rows, and the truth for ``evaluate``."""

    def __init__(self) -> None:
        self.registry: list[tuple] = []
        self.roster: list[tuple] = []
        self.map: list[tuple] = []
        self.truth: list[tuple[str, str, str]] = []
        self._hh = 0

    def household(self, guardian: str, address: int, moved_in: date | None = None) -> str:
        self._hh += 1
        hh = f"{9000000000 + self._hh}"
        self.registry.append(
            (f"{8000000000 + self._hh}", hh, "1", guardian, "ホゴシャ", date(1985, 1, 1), "1", "JP", None,
             f"福岡市東区箱崎{address}", addr(address), "40131", moved_in, None)
        )  # fmt: skip
        return hh

    def child(self, rid: str, hh: str, kanji: str, kana: str, birth: date | None, sex: str, address: int,
              address_text: str | None = None, relationship: str = "3", moved_in: date | None = None) -> None:  # fmt: skip
        self.registry.append(
            (rid, hh, relationship, kanji, kana, birth, sex, "JP", None, address_text or f"福岡市東区箱崎{address}",
             addr(address), "40131", moved_in, None)
        )  # fmt: skip

    def pupil(self, sno: str, kanji: str | None, kana: str, birth: date | None, sex: str, address: int | None,
              guardian: str | None, grade: int | None = None, address_text: str | None = None,
              truth: str | None = None, noise: str = "clean", entry: date = date(2019, 4, 1)) -> None:  # fmt: skip
        g = grade if grade is not None else grade_of(birth)
        self.roster.append(
            (sno, "401101", g, "1", kanji, kana, birth, sex, address_text or (f"福岡市東区箱崎{address}" if address else None),
             addr(address) if address is not None else None, guardian, entry)
        )  # fmt: skip
        self.truth.append((sno, truth or "", noise))

    def load(self, con: duckdb.DuckDBPyConnection, with_map: bool = True) -> None:
        con.execute("create schema if not exists stg")
        con.execute(REGISTRY_DDL)
        con.execute(ROSTER_DDL)
        if self.registry:
            con.executemany(
                "insert into stg.resident_registry values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.registry,
            )
        if self.roster:
            con.executemany(
                "insert into stg.student_roster values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.roster
            )
        if with_map:
            con.execute(MAP_DDL)
            if self.map:
                con.executemany("insert into stg.student_resident_map values (?, ?, ?)", self.map)


def messy_city() -> tuple[City, dict[str, tuple]]:
    """The city and, per school record, the expected (state, method-or-reason, resident_id)."""
    c = City()
    exp: dict[str, tuple] = {}

    # clean, kept in the 対応表 since entry
    h = c.household("山田一郎", 1)
    c.child("0000000001", h, "山田太郎", "ヤマダ タロウ", date(2015, 5, 10), "1", 1)
    c.pupil(
        "10000001", "山田太郎", "ヤマダ タロウ", date(2015, 5, 10), "1", 1, "山田一郎", truth="0000000001"
    )
    c.map.append(("10000001", "0000000001", date(2022, 4, 1)))
    exp["10000001"] = ("linked", "map", "0000000001")

    # moved in after school entry: no 対応表 entry, four facts equal
    h = c.household("鈴木二郎", 2, moved_in=date(2024, 8, 1))
    c.child("0000000002", h, "鈴木花", "スズキ ハナ", date(2016, 7, 1), "2", 2)
    c.pupil("10000002", "鈴木花", "スズキ ハナ", date(2016, 7, 1), "2", 2, "鈴木二郎", truth="0000000002",
            noise="moved_in_no_map")  # fmt: skip
    exp["10000002"] = ("linked", "exact", "0000000002")

    # half-width kana and doubled spaces on the school side
    h = c.household("佐藤三郎", 3)
    c.child("0000000003", h, "佐藤健太", "サトウ ケンタ", date(2014, 9, 9), "1", 3)
    c.pupil("10000003", "佐藤健太", "ｻﾄｳ  ｹﾝﾀ", date(2014, 9, 9), "1", 3, "佐藤三郎", truth="0000000003",
            noise="half_width;spaces")  # fmt: skip
    exp["10000003"] = ("linked", "exact", "0000000003")

    # hiragana reading typed by a teacher
    h = c.household("田中四郎", 4)
    c.child("0000000004", h, "田中結衣", "タナカ ユイ", date(2017, 1, 20), "2", 4)
    c.pupil("10000004", "田中結衣", "たなか ゆい", date(2017, 1, 20), "2", 4, "田中四郎", truth="0000000004",
            noise="hiragana")  # fmt: skip
    exp["10000004"] = ("linked", "exact", "0000000004")

    # long vowel written ー in the registry, spelled out at school
    h = c.household("大野五郎", 5)
    c.child("0000000005", h, "大野勇気", "オーノ ユーキ", date(2013, 6, 1), "1", 5)
    c.pupil("10000005", "大野勇気", "オオノ ユウキ", date(2013, 6, 1), "1", 5, "大野五郎", truth="0000000005",
            noise="long_vowel")  # fmt: skip
    exp["10000005"] = ("linked", "probabilistic", "0000000005")

    # small kana written large
    h = c.household("吉川六郎", 6)
    c.child("0000000006", h, "吉川翔", "キッカワ ショウ", date(2012, 10, 2), "1", 6)
    c.pupil("10000006", None, "キツカワ シヨウ", date(2012, 10, 2), "1", 6, "吉川六郎", truth="0000000006",
            noise="small_kana")  # fmt: skip
    exp["10000006"] = ("linked", "probabilistic", "0000000006")

    # ヴ written バ at school (foreign child)
    h = c.household("グエン・ヴァン・ナム", 7)
    c.child("0000000007", h, "グエン・ヴァン・ミン", "グエン ヴァン ミン", date(2016, 11, 30), "1", 7)
    c.pupil("10000007", "グエン・ヴァン・ミン", "グエン バン ミン", date(2016, 11, 30), "1", 7, None,
            truth="0000000007", noise="vu")  # fmt: skip
    exp["10000007"] = ("linked", "probabilistic", "0000000007")

    # ヂ/ヅ against ジ/ズ
    h = c.household("宮地七郎", 8)
    c.child("0000000008", h, "宮地千鶴", "ミヤヂ チヅル", date(2011, 4, 15), "2", 8)
    c.pupil("10000008", "宮地千鶴", "ミヤジ チズル", date(2011, 4, 15), "2", 8, "宮地七郎", truth="0000000008",
            noise="dji_dzu")  # fmt: skip
    exp["10000008"] = ("linked", "probabilistic", "0000000008")

    # 外字 in the address text (髙 vs 高), same address code: text is never compared
    h = c.household("髙橋八郎", 9)
    c.child(
        "0000000009", h, "髙橋蓮", "タカハシ レン", date(2015, 12, 24), "1", 9, address_text="福岡市東区髙宮9"
    )
    c.pupil("10000009", "高橋蓮", "タカハシ レン", date(2015, 12, 24), "1", 9, "高橋八郎",
            address_text="福岡市東区高宮9", truth="0000000009", noise="gaiji_address")  # fmt: skip
    exp["10000009"] = ("linked", "exact", "0000000009")

    # blank birth date at school; the grade still says which school year
    h = c.household("井上九郎", 10)
    c.child("0000000010", h, "井上誠", "イノウエ マコト", date(2014, 2, 14), "1", 10)
    c.pupil("10000010", "井上誠", "イノウエ マコト", None, "1", 10, "井上九郎", grade=grade_of(date(2014, 2, 14)),
            truth="0000000010", noise="blank_birth_date")  # fmt: skip
    exp["10000010"] = ("linked", "probabilistic", "0000000010")

    # two different registry children with the same name and birth date (different addresses); the
    # school's address and guardian set the right one far apart from its namesake (decision 063)
    h1 = c.household("中村一", 11)
    c.child("0000000011", h1, "中村空", "ナカムラ ソラ", date(2014, 8, 8), "1", 11)
    h2 = c.household("中村二", 111)
    c.child("0000000111", h2, "中村宙", "ナカムラ ソラ", date(2014, 8, 8), "1", 111)
    c.pupil("10000011", "中村空", "ナカムラ ソラ", date(2014, 8, 8), "1", 11, "中村一", truth="0000000011",
            noise="same_name_birth_date")  # fmt: skip
    exp["10000011"] = ("linked", "exact", "0000000011")

    # the same pair of namesakes, but the school gives no guardian: the address alone is fewer
    # bits than the namesake margin, so a person confirms which child it is
    h1 = c.household("西田一", 25)
    c.child("0000000025", h1, "西田蒼", "ニシダ アオ", date(2015, 8, 18), "1", 25)
    h2 = c.household("西田二", 125)
    c.child("0000000125", h2, "西田碧", "ニシダ アオ", date(2015, 8, 18), "1", 125)
    c.pupil("10000025", None, "ニシダ アオ", date(2015, 8, 18), "1", 25, None, truth="0000000025",
            noise="same_name_birth_date")  # fmt: skip
    exp["10000025"] = ("review", "same_name_birth_date", "0000000025")

    # divorce and a move within the city: surname and address both changed since the school
    # wrote them; the given name, birth date, sex and the mother's given name remain
    h = c.household("森\u3000真理子", 26)
    c.child("0000000026", h, "森\u3000翼", "モリ\u3000ツバサ", date(2016, 3, 26), "1", 26)
    c.pupil("10000026", "高木\u3000翼", "タカギ\u3000ツバサ", date(2016, 3, 26), "1", 26 + 97 * 3,
            "高木\u3000真理子", truth="0000000026", noise="surname_changed;stale_address_code")  # fmt: skip
    exp["10000026"] = ("review", "probability_band", "0000000026")

    # the same, for a pupil who moved into the city and transferred days later: the registry's
    # 転入日 and the school's 転入日 agree, which is strong enough to link without a person
    h = c.household("岩田\u3000由美", 27, moved_in=date(2024, 9, 2))
    c.child("0000000027", h, "岩田\u3000光", "イワタ\u3000ヒカル", date(2013, 10, 27), "1", 27,
            moved_in=date(2024, 9, 2))  # fmt: skip
    c.pupil("10000027", "上野\u3000光", "ウエノ\u3000ヒカル", date(2013, 10, 27), "1", 27 + 97 * 4,
            "上野\u3000由美", truth="0000000027", noise="surname_changed;stale_address_code;moved_in",
            entry=date(2024, 9, 5))  # fmt: skip
    exp["10000027"] = ("linked", "probabilistic", "0000000027")

    # twins: same birth date, address and sex, different names — each links to its own child
    h = c.household("小林十郎", 12)
    c.child("0000000012", h, "小林悠斗", "コバヤシ ユウト", date(2016, 2, 2), "1", 12)
    c.child("0000000112", h, "小林悠真", "コバヤシ ユウマ", date(2016, 2, 2), "1", 12)
    c.pupil("10000012", "小林悠斗", "コバヤシ ユウト", date(2016, 2, 2), "1", 12, "小林十郎", truth="0000000012",
            noise="twins")  # fmt: skip
    c.pupil("10000112", "小林悠真", "コバヤシ ユウマ", date(2016, 2, 2), "1", 12, "小林十郎", truth="0000000112",
            noise="twins")  # fmt: skip
    exp["10000012"] = ("linked", "exact", "0000000012")
    exp["10000112"] = ("linked", "exact", "0000000112")

    # moved within the city: the school still has the old address code
    h = c.household("松本十一", 13)
    c.child("0000000013", h, "松本陽菜", "マツモト ヒナ", date(2013, 7, 7), "2", 13)
    c.pupil("10000013", "松本陽菜", "マツモト ヒナ", date(2013, 7, 7), "2", 213, "松本十一", truth="0000000013",
            noise="stale_address_code")  # fmt: skip
    exp["10000013"] = ("linked", "probabilistic", "0000000013")

    # a graduate still on the school roster, gone from the registry
    c.pupil("10000014", "森卒業", "モリ ソツギョウ", date(2009, 5, 5), "1", 14, "森保護者", grade=9,
            noise="graduate_absent")  # fmt: skip
    exp["10000014"] = ("unlinked", "no_candidate", None)

    # one student number on two different school records
    h = c.household("池田十二", 15)
    c.child("0000000015", h, "池田凛", "イケダ リン", date(2015, 3, 3), "2", 15)
    c.pupil("10000015", "池田凛", "イケダ リン", date(2015, 3, 3), "2", 15, "池田十二", truth="0000000015",
            noise="duplicate_student_no")  # fmt: skip
    c.pupil("10000015", "前田葵", "マエダ アオイ", date(2012, 12, 1), "2", 16, "前田保護者",
            noise="duplicate_student_no")  # fmt: skip
    exp["10000015"] = ("unlinked", "duplicate_student_no", None)

    # the same number twice for one child: a stale row left at the previous school collapses
    h = c.household("原二十", 24)
    c.child("0000000024", h, "原陽向", "ハラ ヒナタ", date(2014, 6, 6), "1", 24)
    c.pupil("10000024", "原陽向", "ハラ ヒナタ", date(2014, 6, 6), "1", 24, "原二十", truth="0000000024",
            noise="duplicate_student_no_stale_copy")  # fmt: skip
    stale = list(c.roster[-1])
    stale[1], stale[3] = "401102", None  # previous school, no class
    c.roster.append(tuple(stale))
    c.truth.append(("10000024", "0000000024", "duplicate_student_no_stale_copy"))
    c.map.append(("10000024", "0000000024", date(2021, 4, 1)))
    exp["10000024"] = ("linked", "map", "0000000024")

    # one registry child with two school records (transferred, old record kept)
    h = c.household("石井十三", 17)
    c.child("0000000017", h, "石井大和", "イシイ ヤマト", date(2012, 8, 20), "1", 17)
    c.pupil("10000017", "石井大和", "イシイ ヤマト", date(2012, 8, 20), "1", 17, "石井十三", truth="0000000017",
            noise="two_school_records")  # fmt: skip
    c.map.append(("10000017", "0000000017", date(2019, 4, 1)))
    c.pupil("10000117", "石井大和", "イシイ ヤマト", date(2012, 8, 20), "1", 17, "石井十三", truth="0000000017",
            noise="two_school_records")  # fmt: skip
    exp["10000017"] = ("linked", "map", "0000000017")
    exp["10000117"] = ("review", "child_claimed_twice", "0000000017")

    # the 対応表 pairs one number with two children
    h = c.household("清水十四", 18)
    c.child("0000000018", h, "清水湊", "シミズ ミナト", date(2013, 1, 11), "1", 18)
    c.child("0000000118", h, "清水蒼", "シミズ アオイ", date(2015, 10, 10), "1", 18)
    c.pupil("10000018", "清水湊", "シミズ ミナト", date(2013, 1, 11), "1", 18, "清水十四", truth="0000000018",
            noise="map_conflict")  # fmt: skip
    c.map += [("10000018", "0000000018", None), ("10000018", "0000000118", None)]
    exp["10000018"] = ("review", "map_conflict", "0000000018")

    # a one-kana typo at school; birth date, sex and address agree
    h = c.household("林十五", 19)
    c.child("0000000019", h, "林美咲", "ハヤシ ミサキ", date(2016, 9, 19), "2", 19)
    c.pupil("10000019", None, "ハヤシ ミサチ", date(2016, 9, 19), "2", 19, None, truth="0000000019",
            noise="kana_typo")  # fmt: skip
    exp["10000019"] = ("linked", "probabilistic", "0000000019")

    # not in the registry, but someone with the same name is (other birth date, other address)
    h = c.household("渡辺十六", 20)
    c.child("0000000020", h, "渡辺恵", "ワタナベ ケイ", date(2012, 11, 11), "2", 20)
    c.pupil("10000020", "渡辺佳", "ワタナベ ケイ", date(2013, 3, 3), "2", 320, "渡辺別人",
            noise="out_of_city_namesake")  # fmt: skip
    exp["10000020"] = ("unlinked", "rejected", None)

    # blank birth date AND an old address: name and school year alone are not enough
    h = c.household("加藤十七", 21)
    c.child("0000000021", h, "加藤陸", "カトウ リク", date(2014, 4, 30), "1", 21)
    c.pupil("10000021", None, "カトウ リク", None, "1", 421, None, grade=grade_of(date(2014, 4, 30)),
            truth="0000000021", noise="blank_birth_date;stale_address_code")  # fmt: skip
    exp["10000021"] = ("review", "probability_band", "0000000021")

    # the registry holds the same child twice (two 宛名番号, identical facts)
    h = c.household("斎藤十八", 22)
    c.child("0000000022", h, "斎藤芽衣", "サイトウ メイ", date(2017, 2, 28), "2", 22)
    c.child("0000000122", h, "斎藤芽衣", "サイトウ メイ", date(2017, 2, 28), "2", 22)
    c.pupil("10000022", "斎藤芽衣", "サイトウ メイ", date(2017, 2, 28), "2", 22, "斎藤十八", truth="0000000022",
            noise="registry_duplicate")  # fmt: skip
    exp["10000022"] = ("review", "multiple_candidates", "0000000022")

    # people outside school age live in the registry too (an infant here): never candidates
    h = c.household("岡田十九", 23)
    c.child("0000000023", h, "岡田乳児", "オカダ ニュウジ", date(2025, 1, 1), "1", 23)
    return c, exp


def build(with_map: bool = True) -> tuple[duckdb.DuckDBPyConnection, City, dict]:
    city, exp = messy_city()
    con = duckdb.connect()
    city.load(con, with_map=with_map)
    return con, city, exp


def outcomes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for s, r, m in con.execute("select student_no, resident_id, method from link.student_link").fetchall():
        out[s] = ("linked", m, r)
    review = {
        s: (reason, r)
        for s, r, reason in con.execute(
            "select student_no, resident_id, review_reason from link.review_queue where candidate_rank = 1"
        ).fetchall()
    }
    for s, reason in con.execute("select student_no, reason from link.unlinked").fetchall():
        assert s not in out, f"{s} is both linked and unlinked"
        if reason == "in_review":
            out[s] = ("review", review[s][0], review[s][1])
        else:
            out[s] = ("unlinked", reason, None)
    return out


@pytest.fixture(scope="module")
def linked():
    con, city, exp = build()
    result = link_students(con)
    yield con, city, exp, result
    con.close()


# ---------------------------------------------------------------- every noise kind


def test_every_case_has_its_expected_outcome(linked) -> None:
    con, _city, exp, _result = linked
    got = outcomes(con)
    wrong = {k: (exp[k], got.get(k)) for k in exp if got.get(k) != exp[k]}
    assert not wrong, wrong


def test_every_school_record_ends_in_exactly_one_state(linked) -> None:
    con, city, _exp, result = linked
    numbers = {r[0] for r in city.roster}
    linked_nos = [r[0] for r in con.execute("select student_no from link.student_link").fetchall()]
    unlinked_nos = [r[0] for r in con.execute("select student_no from link.unlinked").fetchall()]
    assert len(linked_nos) == len(set(linked_nos))
    assert len(unlinked_nos) == len(set(unlinked_nos))
    assert set(linked_nos) | set(unlinked_nos) == numbers
    assert not set(linked_nos) & set(unlinked_nos)
    assert result.school_records == len(numbers)
    assert result.linked_total + result.unlinked_total == len(numbers)


def test_no_findable_pupil_is_left_without_a_link_or_a_review(linked) -> None:
    """Issue 17, point 7: every pupil the registry holds ends linked or waiting for a person."""
    con, city, _exp, _result = linked
    got = outcomes(con)
    findable = {sno for sno, truth, _noise in city.truth if truth}
    # a number carried by two different children is the school's to correct, and is listed so
    dropped = {
        sno: got[sno]
        for sno in findable
        if got[sno][0] == "unlinked" and got[sno][1] != "duplicate_student_no"
    }
    assert not dropped, dropped
    assert got["10000015"] == ("unlinked", "duplicate_student_no", None)


def test_a_changed_surname_is_compared_by_the_given_names(linked) -> None:
    con, *_ = linked
    row = con.execute(
        "select lvl_name, lvl_guardian, lvl_arrival from link.candidate_pair"
        " where student_no = '10000027' and resident_id = '0000000027'"
    ).fetchone()
    assert row == ("given_name", "given_name", "agrees")
    row = con.execute(
        "select lvl_name, lvl_guardian, lvl_arrival, r_moved_in_date from link.review_queue"
        " where student_no = '10000026' and resident_id = '0000000026'"
    ).fetchone()
    assert row == ("given_name", "given_name", "null", None)


def test_a_namesake_the_facts_set_apart_links_and_a_close_one_waits(linked) -> None:
    con, *_ = linked
    margin = LinkSettings().namesake_margin_bits
    w = dict(
        con.execute(
            "select resident_id, match_weight from link.candidate_pair where student_no = '10000011'"
        ).fetchall()
    )
    assert w["0000000011"] - w["0000000111"] >= margin
    w = dict(
        con.execute(
            "select resident_id, match_weight from link.candidate_pair where student_no = '10000025'"
        ).fetchall()
    )
    assert abs(w["0000000025"] - w["0000000125"]) < margin
    # with the old rule (namesakes always wait) the set-apart pupil goes back to review
    con2, _city, _exp = build()
    link_students(con2, settings=LinkSettings(namesake_margin_bits=math.inf))
    assert outcomes(con2)["10000011"] == ("review", "same_name_birth_date", "0000000011")
    con2.close()


def test_infants_and_parents_are_never_candidates(linked) -> None:
    con, *_ = linked
    ids = {r[0] for r in con.execute("select unique_id from link.resident_key").fetchall()}
    assert "0000000023" not in ids  # an infant
    assert not any(i.startswith("8") for i in ids)  # household heads born 1985


def test_twins_do_not_collide(linked) -> None:
    con, *_ = linked
    pairs = dict(con.execute("select student_no, resident_id from link.student_link").fetchall())
    assert pairs["10000012"] == "0000000012"
    assert pairs["10000112"] == "0000000112"


# ---------------------------------------------------------------- tables and their shapes


def test_output_tables_have_the_agreed_columns(linked) -> None:
    con, *_ = linked

    def cols(table: str) -> list[str]:
        return [r[0] for r in con.execute(f"describe link.{table}").fetchall()]

    assert cols("student_link") == ["student_no", "resident_id", "method", "match_probability", "band"]
    assert cols("unlinked")[:2] == ["student_no", "reason"]
    assert cols("step_summary") == [
        "step_no", "step", "step_ja", "records_in", "linked", "failed", "error_rate", "in_review",
    ]  # fmt: skip
    q = set(cols("review_queue"))
    for side in ("s", "r"):
        for f in ("name_kanji", "name_kana", "sex", "birth_date", "address_text", "address_code", "school_code",
                  "grade", "guardian_name"):  # fmt: skip
            assert f"{side}_{f}" in q
    assert {"levels", "lvl_name", "lvl_birth", "lvl_address", "match_probability", "review_reason"} <= q
    methods = {r[0] for r in con.execute("select distinct method from link.student_link").fetchall()}
    assert methods <= {"map", "exact", "probabilistic", "manual"}


def test_review_queue_shows_both_sides_and_levels(linked) -> None:
    con, *_ = linked
    row = con.execute(
        "select s_name_kana, r_name_kana, r_guardian_name, s_grade, r_grade, lvl_birth, lvl_address, levels"
        " from link.review_queue where student_no = '10000021'"
    ).fetchone()
    assert row[0] == "カトウ リク" and row[1] == "カトウ リク"
    assert row[2] == "加藤十七"
    assert row[3] == row[4]
    assert row[5] == "blank_same_school_year"
    assert row[6] in ("same_chome", "same_ward", "different")
    assert "name=kana_exact" in row[7]  # no kanji on the school side
    other = con.execute(
        "select resident_linked_to from link.review_queue where student_no = '10000117'"
    ).fetchone()[0]
    assert other == "10000017"  # the reviewer sees who already holds this child


def test_step_summary_is_table_7_2(linked) -> None:
    con, _city, _exp, result = linked
    rows = con.execute(
        "select step, records_in, linked, failed, error_rate from link.step_summary order by step_no"
    ).fetchall()
    assert [r[0] for r in rows] == ["map", "exact", "probabilistic", "manual", "total"]
    for _s, n_in, n_linked, n_failed, rate in rows:
        assert n_in == n_linked + n_failed
        assert rate == pytest.approx(n_failed / n_in)
    for a, b in zip(rows[:3], rows[1:4], strict=True):
        assert b[1] == a[3]  # records into a step = failed at the one before
    total = rows[-1]
    assert total[1] == result.school_records
    assert total[3] == result.unlinked_total
    assert rows[0][2] == 3  # 対応表: 10000001, 10000017, 10000024


def test_splink_probabilities_equal_the_model_sum(linked) -> None:
    """The levels shown to reviewers are the ones Splink scored: same labels, same weights."""
    con, *_ = linked
    n_res = con.execute("select count(*) from link.resident_key").fetchone()[0]
    prior = 1 / max(n_res, LinkSettings().prior_floor_population)
    rows = con.execute(
        "select match_weight, lvl_name, lvl_birth, lvl_sex, lvl_address, lvl_guardian, lvl_arrival,"
        " tf_kana_loose, tf_kanji, tf_given_loose from link.candidate_pair where scored"
    ).fetchall()
    assert rows
    for w, *rest in rows:
        labels, tf = rest[:6], {"kana_loose": rest[6], "kanji": rest[7], "given_loose": rest[8]}
        expected = math.log2(prior / (1 - prior))
        for comp, label in zip(COMPARISONS, labels, strict=True):
            level = next(lv for lv in comp.levels if lv.label == label)
            if level.null:
                continue
            u = max(tf[level.tf] or level.u, level.u) if level.tf else level.u
            expected += math.log2(level.m / u)
        assert w == pytest.approx(expected, abs=1e-6)


def test_no_splink_leftovers_in_the_database(linked) -> None:
    con, *_ = linked
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert not [n for n in names if n.startswith("__splink") or n.startswith("kd_link")]
    link_tables = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'link'"
        ).fetchall()
    }
    assert not [n for n in link_tables if n.startswith("_")]
    temp = [r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()]
    assert not [n for n in temp if n.startswith("_kd_")]


# ---------------------------------------------------------------- robustness


def test_without_a_map_table_everyone_goes_through_the_other_passes() -> None:
    con, _city, _exp = build(with_map=False)
    result = link_students(con)
    assert result.linked["map"] == 0
    got = outcomes(con)
    assert got["10000001"] == ("linked", "exact", "0000000001")
    assert got["10000018"][0] == "linked"  # no 対応表 conflict left


def test_empty_roster_does_not_crash() -> None:
    con = duckdb.connect()
    City().load(con)
    result = link_students(con, settings=LinkSettings(fiscal_year=FY))
    assert result.school_records == 0
    assert con.execute("select count(*) from link.student_link").fetchone()[0] == 0


def test_namesake_rule_can_be_relaxed() -> None:
    """The issue's rule sends every namesake to review; relaxed, only a plausible rival does."""
    con, _city, _exp = build()
    link_students(con, settings=LinkSettings(review_namesakes=False))
    got = outcomes(con)
    assert got["10000011"] == ("linked", "exact", "0000000011")  # its namesake lives elsewhere
    assert got["10000022"][0] == "review"  # two identical registry rows stay ambiguous


def test_fiscal_year_is_inferred_from_the_roster(linked) -> None:
    *_, result = linked
    assert result.fiscal_year == FY


def test_deterministic() -> None:
    tables = ("student_link", "review_queue", "unlinked", "step_summary", "candidate_pair")
    snapshots = []
    for _ in range(2):
        con, _city, _exp = build()
        link_students(con)
        snapshots.append({t: con.execute(f"select * from link.{t}").fetchall() for t in tables})
        con.close()
    for t in tables:
        assert snapshots[0][t] == snapshots[1][t], t


# ---------------------------------------------------------------- manual decisions


def test_decisions_are_reapplied_on_rebuild() -> None:
    decisions = [
        ("10000011", "0000000011", "link"),  # same name + birth date: a person decided
        ("10000021", "0000000021", "not_same"),  # declined: never proposed again
        ("10000117", "0000000017", "later"),  # seen, not decided: stays, marked
        ("10000001", "0000000001", "not_same"),  # the 対応表 itself can be overruled
        ("99999999", "0000000001", "link"),  # a school record that no longer exists
    ]
    for _rebuild in range(2):  # a decided pair never comes back, build after build
        con, _city, _exp = build()
        result = link_students(con, decisions=decisions)
        got = outcomes(con)
        assert got["10000011"] == ("linked", "manual", "0000000011")
        assert got["10000021"] == ("unlinked", "rejected", None)
        assert got["10000117"] == ("review", "child_claimed_twice", "0000000017")
        assert got["10000001"][0] == "unlinked"
        queue = con.execute("select student_no, resident_id, decision from link.review_queue").fetchall()
        queued = {(s, r) for s, r, _d in queue}
        assert ("10000011", "0000000011") not in queued
        assert ("10000021", "0000000021") not in queued
        assert ("10000117", "0000000017", "later") in queue
        assert result.decisions_applied == 4 and result.decisions_ignored == 1
        assert result.linked["manual"] == 1
        band = con.execute("select band from link.student_link where student_no = '10000011'").fetchone()[0]
        assert band == "manual"
        con.close()


def test_decisions_round_trip_through_casework() -> None:
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.warehouse.linkage import load_decisions, record_decision

    cw = duckdb.connect()
    migrate(cw)
    record_decision(cw, "10000021", "0000000021", "later", "manager1")
    record_decision(cw, "10000021", "0000000021", "link", "manager1", match_probability=0.9)
    record_decision(cw, "10000011", "0000000111", "not_same", "manager2", note="別人")
    with pytest.raises(ValueError):
        record_decision(cw, "10000011", "0000000011", "maybe", "manager2")
    assert cw.execute("select count(*) from link_decision").fetchone()[0] == 3  # append-only
    current = {(d.student_no, d.resident_id): d.decision for d in load_decisions(cw)}
    assert current == {("10000021", "0000000021"): "link", ("10000011", "0000000111"): "not_same"}

    con, _city, _exp = build()
    link_students(con, decisions=load_decisions(cw))
    got = outcomes(con)
    assert got["10000021"] == ("linked", "manual", "0000000021")
    assert got["10000011"] == ("linked", "exact", "0000000011")  # its namesake was declined


def test_decisions_for_build_reads_the_casework_file(tmp_path) -> None:
    from kodomo_dash.infra.migrate import migrate
    from kodomo_dash.warehouse.linkage import decisions_for_build, record_decision

    path = tmp_path / "casework.duckdb"
    assert decisions_for_build(path) == []  # no file yet: a first build still runs
    cw = duckdb.connect(str(path))
    migrate(cw)
    record_decision(cw, "10000011", "0000000011", "link", "manager1")
    cw.close()
    [d] = decisions_for_build(path)
    assert (d.student_no, d.resident_id, d.decision, d.decided_by) == (
        "10000011",
        "0000000011",
        "link",
        "manager1",
    )


# ---------------------------------------------------------------- evaluation


def test_evaluate_against_truth(tmp_path, linked) -> None:
    con, city, exp, _result = linked
    truth = tmp_path / "student_identity.csv"
    lines = ["student_no,resident_id_true,noise_kinds"] + [f"{s},{r},{n}" for s, r, n in city.truth]
    truth.write_text("\n".join(lines) + "\n", encoding="utf-8")
    m = evaluate(con, truth)
    assert m["link_precision"] == 1.0
    n_auto_expected = sum(1 for v in exp.values() if v[0] == "linked")
    assert m["auto_correct"] == n_auto_expected
    assert m["link_review_queue"] == con.execute("select count(*) from link.review_queue").fetchone()[0]
    assert 0 < m["link_unlinked_rate"] < 1
    assert m["by_noise"]["long_vowel"]["auto_correct"] == 1
    assert m["by_noise"]["graduate_absent"]["linkable"] == 0


def test_every_linkage_sql_file_has_its_header_and_is_used() -> None:
    """``linkage/sql/NN_name.sql`` opens with ``-- NN_name: why``, and a module asks for ``name``."""
    import re
    from pathlib import Path

    from kodomo_dash.warehouse.linkage.statements import all_statements

    package = Path(__file__).resolve().parents[2] / "kodomo_dash" / "warehouse" / "linkage"
    files = sorted((package / "sql").glob("*.sql"))
    assert files and len(all_statements()) == len(files)
    code = "".join(p.read_text(encoding="utf-8") for p in package.glob("*.py"))
    for path in files:
        assert re.match(rf"-- {re.escape(path.stem)}: \S", path.read_text(encoding="utf-8")), path.name
        assert f'"{path.stem[3:]}"' in code, f"{path.name} is not used"
