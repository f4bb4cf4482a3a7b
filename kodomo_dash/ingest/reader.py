"""Open an extract as municipal systems write them: UTF-8 or Shift_JIS (CP932).

DuckDB's CSV reader reads UTF-8 only, so a CP932 file is transcoded once into a
UTF-8 copy next to the build. A file that is neither is unreadable; that is the one
case in which the build stops, with a message that names the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


class UnreadableExtract(Exception):
    """The file cannot be read at all (not UTF-8 nor CP932, empty, or a directory)."""


@dataclass(frozen=True)
class OpenedExtract:
    path: Path  # a UTF-8 file DuckDB can read (the original or a transcoded copy)
    original: Path
    encoding: str
    sha256: str
    header: list[str]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _decodes_as(path: Path, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def has_mixed_newlines(path: Path) -> bool:
    """CRLF and bare LF in one file (hand-edited exports) stop DuckDB's strict parser."""
    crlf = lf = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            crlf += chunk.count(b"\r\n")
            lf += chunk.count(b"\n")
    return 0 < crlf < lf


def detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(3)
    if head == b"\xef\xbb\xbf":
        return "utf-8-sig"
    if _decodes_as(path, "utf-8"):
        return "utf-8"
    if _decodes_as(path, "cp932"):
        return "cp932"
    raise UnreadableExtract(f"{path.name}: UTF-8 でも Shift_JIS(CP932) でも読めません (not UTF-8 nor Shift_JIS)")


def open_extract(path: Path, work_dir: Path) -> OpenedExtract:
    if not path.is_file():
        raise UnreadableExtract(f"{path.name}: ファイルではありません (not a file)")
    if path.stat().st_size == 0:
        raise UnreadableExtract(f"{path.name}: 空のファイルです (empty file, no header)")
    encoding = detect_encoding(path)
    target = path
    mixed = has_mixed_newlines(path)
    if encoding != "utf-8" or mixed:
        # newline=None on read folds CRLF/CR into LF, so the copy has one line ending.
        target = work_dir / f"{path.stem}.utf8.csv"
        newline = None if mixed else ""
        with path.open("r", encoding=encoding, newline=newline) as src, target.open("w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(CHUNK), ""):
                dst.write(chunk)
    with target.open("r", encoding="utf-8", newline="") as fh:
        first = fh.readline()
    header = next(csv.reader([first]), [])
    header = [h.strip().lstrip("\ufeff") for h in header]
    if not any(header):
        raise UnreadableExtract(f"{path.name}: 見出し行がありません (no header line)")
    return OpenedExtract(path=target, original=path, encoding=encoding, sha256=_sha256(path), header=header)
