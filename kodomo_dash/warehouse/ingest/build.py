"""`kodomo build`: extracts → raw → stg | quarantine → core → features, into a new file.

The warehouse is built into a temporary file beside the live one and swapped in with
one rename, so a running app keeps serving the old build until the new one is whole.
Every input row is accounted for in `meta.load_manifest` (in = staged + quarantined).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path

import duckdb

from kodomo_dash import __version__
from kodomo_dash.config import calendar
from kodomo_dash.infra.db import analytics_path, connect_file, sql_files
from kodomo_dash.infra.encryption import default_temp_dir
from kodomo_dash.warehouse import refresh
from kodomo_dash.warehouse.contracts import Contract, all_contracts
from kodomo_dash.warehouse.ingest import carry_over, gate, history
from kodomo_dash.warehouse.ingest import validate as v
from kodomo_dash.warehouse.ingest.reader import UnreadableExtract, escaped, open_extract
from kodomo_dash.warehouse.ingest.report import BuildReport, SourceResult

EXTRACT_DATE_FILE = "extract_date.txt"


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def resolve_as_of(source_dir: Path, as_of: str | dt.date | None) -> dt.date:
    """Explicit date, else the extraction date the source systems wrote, else today."""
    if isinstance(as_of, dt.date):
        return as_of
    if as_of:
        return dt.date.fromisoformat(as_of)
    marker = source_dir / EXTRACT_DATE_FILE
    if marker.exists():
        return dt.date.fromisoformat(marker.read_text(encoding="utf-8").strip())
    return dt.date.today()


# An extract read as plain lines, one column each: a four-byte delimiter no export writes (the
# reader's placeholder for an undecodable line holds chr(31) alone), no quoting.
_AS_LINES = (
    "read_csv(?, header=true, columns={'line': 'VARCHAR'}, delim=chr(31) || chr(30) || chr(29) || chr(28), "
    "quote='', escape='', auto_detect=false)"
)


def _raw_columns_sql(contract: Contract, header: list[str]) -> str:
    cols = []
    for c in contract.columns:
        if c.name in header:
            cols.append(v.qident(c.name))
        else:
            cols.append(f"cast(null as varchar) as {v.qident(c.name)}")
    return ", ".join(cols)


def _create_empty_raw(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    cols = ", ".join(f"{v.qident(c.name)} varchar" for c in contract.columns)
    con.execute(f"create table raw.{contract.name} (source_row bigint, {cols})")


def _load_raw(con: duckdb.DuckDBPyConnection, contract: Contract, source_dir: Path, work_dir: Path,
              result: SourceResult) -> None:
    """Fill raw.<name> (all text) and quarantine what cannot even be parsed."""
    path = source_dir / contract.file_name
    if not path.exists():
        result.status = "missing"
        result.message = "ファイルなし (file not delivered)"
        _create_empty_raw(con, contract)
        return
    opened = open_extract(path, work_dir)  # UnreadableExtract propagates to the caller
    result.encoding, result.sha256 = opened.encoding, opened.sha256
    header = header_names(contract, opened.header)
    missing = [c for c in contract.columns if c.name not in header]
    missing_required = [c.name for c in missing if c.required or c.name in contract.key]
    duplicated = sorted({h for h in header if header.count(h) > 1 and h in contract.column_names})
    header = _unique(header)  # extra columns that repeat a name are ignored all the same
    if missing_required or duplicated:
        # The file does not say which column is which: keep every line, stage none.
        result.status = "header_mismatch"
        result.message = (
            f"{path.name}: 列名が重複しています (duplicated columns): {', '.join(duplicated)}" if duplicated
            else f"{path.name}: 必須列がありません (missing columns): {', '.join(missing_required)}"
        )
        _create_empty_raw(con, contract)
        con.execute(
            "insert into meta.quarantine select ?, row_number() over () + 1, null, 'header_mismatch', line, true "
            f"from {_AS_LINES}",
            [contract.name, str(opened.path)],
        )
        n = con.execute("select count(*) from meta.quarantine where source = ?", [contract.name]).fetchone()[0]
        result.rows_in = result.rows_quarantined = n
        return
    extra = [h for h in header if h not in contract.column_names]
    notes = []
    if missing:
        notes.append(f"任意列なし (optional columns absent): {', '.join(c.name for c in missing)}")
    if extra:
        notes.append(f"契約外の列を無視 (extra columns ignored): {', '.join(extra)}")
    result.message = "; ".join(notes)

    columns = "{" + ", ".join(f"{v.qstr(h)}: 'VARCHAR'" for h in header) + "}"
    rej = f"rej_{contract.name}"
    try:
        con.execute(
            f"create temp table _parsed as select row_number() over () as _ord, * from read_csv(?, header=true, "
            f"all_varchar=true, auto_detect=false, delim=',', quote='\"', escape='\"', columns={columns}, "
            f"null_padding=false, strict_mode=true, store_rejects=true, rejects_table='{rej}', "
            f"rejects_scan='{rej}_scan')",
            [str(opened.path)],
        )
    except duckdb.InvalidInputException as exc:
        first = str(exc).splitlines()[0]
        raise UnreadableExtract(f"{path.name}: CSV として解釈できません (cannot parse as CSV): {first}") from exc
    con.execute(
        f"create temp table _rejected as select line, any_value(csv_line) as csv_line from {rej} "
        f"group by line order by line"
    )
    n_rej = con.execute("select count(*) from _rejected").fetchone()[0]
    if n_rej:
        # Line number of the k-th accepted record = k + header + rejected lines before it.
        con.execute(
            "create temp table _rej_adj as select line - 1 - row_number() over (order by line) as a from _rejected"
        )
        line_expr = "_ord + 1 + (select count(*) from _rej_adj where a < _ord)"
        con.execute(
            "insert into meta.quarantine select ?, line, null, 'malformed_line', csv_line, true from _rejected",
            [contract.name],
        )
        for line, raw, rule in opened.bad_lines:  # a line in another encoding, or none: the bytes as delivered
            con.execute(
                "update meta.quarantine set rule = ?, raw_value = ? where source = ? and source_row = ?",
                [rule, escaped(raw), contract.name, line],
            )
    else:
        line_expr = "_ord + 1"
    con.execute(
        f"create table raw.{contract.name} as select {line_expr} as source_row, "
        f"{_raw_columns_sql(contract, header)} from _parsed"
    )
    con.execute(f"drop table _parsed; drop table _rejected; drop table {rej}; drop table {rej}_scan; "
                "drop table if exists _rej_adj")
    n_extra = _quarantine_trailing_fields(con, contract, opened.path, len(header))
    result.rows_quarantined += n_rej + n_extra
    result.rows_in += n_rej + n_extra


def _quarantine_trailing_fields(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path,
                                n_columns: int) -> int:
    """Move lines with extra empty fields at the end (``4,5,6,`` under a three-column header) from
    raw to the quarantine, as ``malformed_line`` on their own line number.

    DuckDB's strict parser rejects a line with too many fields but drops trailing empty ones
    silently, and such a line is a shifted or truncated record as often as a stray comma: the data
    owner must see it. Only lines ending in a comma are read back (a fast scan of the file as plain
    lines); Python's csv module then counts their fields, quotes included.
    """
    ending = con.execute(
        f"select line_no, line from (select row_number() over () + 1 as line_no, line from {_AS_LINES}) "
        "where rtrim(line, chr(13)) like '%,' and (length(line) - length(replace(line, '\"', ''))) % 2 = 0",
        [str(path)],
    ).fetchall()
    extra = [(n, line) for n, line in ending if len(next(csv.reader([line.rstrip("\r")]), [])) > n_columns]
    if not extra:
        return 0
    con.execute("create temp table _extra (source_row bigint, line varchar)")
    con.executemany("insert into _extra values (?, ?)", extra)
    con.execute(
        "insert into meta.quarantine select ?, e.source_row, null, 'malformed_line', e.line, true "
        f"from _extra e semi join raw.{contract.name} r using (source_row)",
        [contract.name],
    )
    n = con.execute(
        f"delete from raw.{contract.name} where source_row in (select source_row from _extra)"
    ).fetchone()[0]
    con.execute("drop table _extra")
    return int(n)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}__{seen[n]}")
    return out


def _label_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("　", "").strip()


def header_names(contract: Contract, header: list[str]) -> list[str]:
    """The file's header as contract column names: a column may be headed by its name or by its
    Japanese label (項目名, as docs/contracts publishes it), in any order; others stay as they are."""
    by_label = {_label_key(c.label_ja): c.name for c in contract.columns}
    names = set(contract.column_names)
    return [h if h in names else by_label.get(_label_key(h), h) for h in header]


def _stage(con: duckdb.DuckDBPyConnection, contract: Contract, result: SourceResult) -> None:
    """raw → stg (typed, bad values NULL) and quarantine (one row per bad value)."""
    con.execute(f"create temp table _checked as {v.checked_select(contract, f'raw.{contract.name}')}")
    con.execute(f"insert into meta.quarantine {v.quarantine_select(contract, '_checked')}")
    con.execute(f"create table stg.{contract.name} as {v.staged_select(contract, '_checked')}")
    n_raw, n_rejected = con.execute("select count(*), count(*) filter (where _row_rejected) from _checked").fetchone()
    con.execute("drop table _checked")
    if contract.key:
        keys = ", ".join(v.qident(k) for k in contract.key)
        # Duplicate keys stay staged (linkage names them); the later copies are noted.
        con.execute(
            f"insert into meta.quarantine select {v.qstr(contract.name)}, source_row, {v.qstr(','.join(contract.key))}, "
            f"'duplicate_key', concat_ws('|', {keys}), false from (select source_row, {keys}, "
            f"row_number() over (partition by {keys} order by source_row) as n from stg.{contract.name}) where n > 1"
        )
    result.rows_in += n_raw
    result.rows_quarantined += n_rejected
    result.rows_staged = con.execute(f"select count(*) from stg.{contract.name}").fetchone()[0]
    result.values_nullified = con.execute(
        "select count(*) from meta.quarantine where source = ? and not row_rejected and rule <> 'duplicate_key'",
        [contract.name],
    ).fetchone()[0]
    if result.status == "ok" and result.rows_quarantined:
        result.status = "partial"
    if result.rows_in != result.rows_staged + result.rows_quarantined:
        raise AssertionError(f"{contract.name}: rows in {result.rows_in} != staged + quarantined")


def run_sql_files(con: duckdb.DuckDBPyConnection, directory: Path | None = None, log=_progress) -> list[str]:
    """Run the numbered warehouse SQL files in order; each may hold several statements.

    The name normalisers of 名寄せ are registered first (kd_name_strict, kd_kana_loose, ...), so
    SQL that precomputes search keys uses the very same Python functions as linkage and search;
    so are the calendar's rules (fiscal_year, class_age: config/calendar.py).
    """
    from kodomo_dash.warehouse.linkage.normalise import register_duckdb_functions

    register_duckdb_functions(con)
    calendar.register_sql_functions(con)
    ran = []
    for path in sql_files(directory):
        t0 = time.perf_counter()
        con.execute(path.read_text(encoding="utf-8"))
        ran.append(path.name)
        log(f"  sql {path.name} {time.perf_counter() - t0:.2f}s")
    return ran


_SCHEMAS = ("meta", "raw", "stg", "core", "features", "link", "marts")


def _create_meta(con: duckdb.DuckDBPyConnection) -> None:
    calendar.register_sql_functions(con)
    for schema in _SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    con.execute(
        "create table meta.quarantine (source varchar, source_row bigint, column_name varchar, rule varchar, "
        "raw_value varchar, row_rejected boolean)"
    )


def _link_school_records(con: duckdb.DuckDBPyConnection, log) -> None:
    """名寄せ between staging and core, re-applying people's decisions from casework."""
    from kodomo_dash.warehouse.linkage import decisions_for_build, link_students

    t0 = time.perf_counter()
    result = link_students(con, decisions=decisions_for_build())
    log(f"名寄せ (linkage): {result.school_records:,} 件中 {result.linked_total:,} 件紐付け, "
        f"確認待ち {result.review_pupils:,} 人, 未紐付け率 {result.unlinked_rate:.2%} "
        f"({time.perf_counter() - t0:.1f}s)")


def _write_code_labels(con: duckdb.DuckDBPyConnection, contracts: list[Contract]) -> None:
    """Code lists from the contracts, so SQL and pages join labels instead of typing them."""
    con.execute("create table meta.code_label (source varchar, column_name varchar, code varchar, label_ja varchar)")
    rows = [[c.name, col.name, code, label] for c in contracts for col in c.columns for code, label in col.codes.items()]
    con.executemany("insert into meta.code_label values (?, ?, ?, ?)", rows)


PERSON_COLUMNS = ("resident_id", "child_resident_id")  # whose row it is, by the first a contract has


def _index_quarantine_by_person(con: duckdb.DuckDBPyConnection, contracts: list[Contract]) -> None:
    """meta.quarantine_person: whose row each quarantined row is, so the child card finds a child's
    quarantined values by an index instead of scanning every raw table for the child (decision 069).

    A row whose person value itself was unreadable still names it as it came (raw keeps the text).
    """
    con.execute("create table meta.quarantine_person (source varchar, source_row bigint, resident_id varchar)")
    raw = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw' and database_name = current_database()"
    ).fetchall()}  # fmt: skip
    for contract in contracts:
        person = next((c for c in PERSON_COLUMNS if c in contract.column_names), None)
        if person is None or contract.name not in raw:
            continue
        con.execute(
            f"insert into meta.quarantine_person select distinct q.source, q.source_row, r.{person}"  # noqa: S608 - names from the contracts
            f" from meta.quarantine as q join raw.{contract.name} as r using (source_row)"
            f" where q.source = ? and r.{person} is not null",
            [contract.name],
        )
    con.execute("create index meta_quarantine_person_resident_id on meta.quarantine_person (resident_id)")


def build_warehouse(source_dir: Path, as_of: str | dt.date | None = None, target: Path | None = None,
                    log=_progress, accept_drop: set[str] | None = None,
                    compare_with_served: bool = True, accepted_by: str | None = None,
                    accept_reason: str | None = None) -> BuildReport:
    """Build a complete warehouse from `source_dir` and swap it in at `target` — only if it passes.

    A build with a file that could not be read, or that the plausibility gate refuses (a source
    missing, empty or shrunk, fewer children, a falling link rate: ``ingest.gate``), is deleted and
    the warehouse in use stays byte for byte as it was. ``accept_drop`` names the gate's findings
    a person accepts on purpose (the caller audits it). ``compare_with_served=False`` builds another
    city on purpose (`kodomo demo` switching scenario or scale): only the required sources and the
    children are checked, not the drop against the build being served.
    """
    t_start = time.perf_counter()
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"抽出フォルダがありません (no such folder): {source_dir}")
    target = Path(target or analytics_path())
    target.parent.mkdir(parents=True, exist_ok=True)
    as_of_date = resolve_as_of(source_dir, as_of)
    report = BuildReport(path=target, as_of=as_of_date)
    tmp_path = target.parent / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
    contracts = list(all_contracts().values())
    con = connect_file(tmp_path, "analytics")
    try:
        _create_meta(con)
        served_sources = carry_over.served_sources(con, target) if compare_with_served else {}
        carried: set[str] = set()
        with tempfile.TemporaryDirectory(prefix="kodomo-build-") as work:
            for i, contract in enumerate(contracts, 1):
                t0 = time.perf_counter()
                res = SourceResult(contract.name, contract.label_ja, contract.file_name)
                prior = served_sources.get(contract.name)
                if carry_over.unchanged(prior, contract, source_dir):  # the same file: last build's staging
                    carry_over.carry(con, contract, prior, res)
                    carried.add(contract.name)
                else:
                    try:
                        _load_raw(con, contract, source_dir, Path(work), res)
                    except UnreadableExtract as exc:
                        res.status, res.message = "unreadable", str(exc)
                        report.errors.append(str(exc))
                        _create_empty_raw(con, contract)
                    _stage(con, contract, res)
                res.seconds = time.perf_counter() - t0
                report.sources.append(res)
                log(f"[{i:2d}/{len(contracts)}] {contract.name:<28} {res.rows_in:>9,} 行 "
                    f"取込 {res.rows_staged:,} 隔離 {res.rows_quarantined:,} ({res.seconds:.1f}s) {res.status}"
                    + ("（前回から引き継ぎ / carried over）" if contract.name in carried else ""))
        carry_over.release(con)
        carry_over.record(con, contracts, carried)
        # Fail fast: a required source (the resident registry) missing or empty refuses the build now,
        # before 名寄せ and the SQL run for nothing (the full gate runs again before the swap).
        loaded = gate.Figures({r.source: r.rows_staged for r in report.sources},
                              {r.source: r.status for r in report.sources}, children=1, link_rate=None,
                              as_of=as_of_date)  # fmt: skip
        served = gate.previous_figures(target) if compare_with_served else None
        thresholds, accepted = gate.load_config(), set(accept_drop or ())
        early = gate.judge(loaded, served, thresholds, accepted, required_only=True)
        if early.refused:
            report.refusals = early.refused
            raise _Refused
        ignored = sorted(p.name for p in source_dir.glob("*.csv") if p.stem not in all_contracts())
        if ignored:
            log(f"  契約にないファイルを無視 (files without a contract ignored): {', '.join(ignored)}")
        con.execute(
            "create table meta.load_manifest (source varchar, label_ja varchar, file_name varchar, "
            "file_sha256 varchar, encoding varchar, rows_in bigint, rows_staged bigint, rows_quarantined bigint, "
            "values_nullified bigint, status varchar, message varchar, seconds double)"
        )
        con.executemany(
            "insert into meta.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[s.source, s.label_ja, s.file_name, s.sha256, s.encoding, s.rows_in, s.rows_staged,
              s.rows_quarantined, s.values_nullified, s.status, s.message, s.seconds] for s in report.sources],
        )
        con.execute(
            "create table meta.build_info as select ?::varchar as build_id, current_timestamp::timestamp as built_at, "
            "?::varchar as source_dir, ?::date as as_of, 0.0::double as duration_s, ?::varchar as kodomo_version",
            [uuid.uuid4().hex, str(source_dir), as_of_date, __version__],
        )
        _write_code_labels(con, contracts)
        _index_quarantine_by_person(con, contracts)
        _link_school_records(con, log)
        log("コア・特徴量を作成中 (building core and features)")
        run_sql_files(con, log=log)
        report.changes, report.changes_seconds = refresh.record_changes(
            con, target if compare_with_served else None)
        log(f"  前回のビルドからの変化 (changes since the previous build): {report.changes:,} 件"
            f" ({report.changes_seconds:.2f}s)")
        report.seconds = time.perf_counter() - t_start
        con.execute("update meta.build_info set duration_s = ?", [report.seconds])
        verdict = gate.judge(gate.figures(con), served, thresholds, accepted)
        report.refusals, report.accepted = verdict.refused, verdict.accepted
        con.execute("checkpoint")
    except _Refused:
        pass  # report.refusals says why; the served warehouse stays as it was
    except BaseException:
        con.close()
        _discard(tmp_path)
        raise
    con.close()
    if not report.ok:  # the served warehouse stays as it was
        _discard(tmp_path)
    else:
        shutil.rmtree(default_temp_dir(tmp_path), ignore_errors=True)  # spill folder of this build only
        os.replace(tmp_path, target)
        report.swapped = True
    report.seconds = time.perf_counter() - t_start
    history.append(report, accepted_by=accepted_by, reason=accept_reason)
    return report


class _Refused(Exception):
    """Raised inside the build when a required source is missing or empty: stop, keep the served file."""


def _discard(tmp_path: Path) -> None:
    tmp_path.unlink(missing_ok=True)
    Path(f"{tmp_path}.wal").unlink(missing_ok=True)
    shutil.rmtree(default_temp_dir(tmp_path), ignore_errors=True)
