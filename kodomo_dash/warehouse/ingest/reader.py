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
    # Lines that cannot be read in the file's encoding ('undecodable_line'), or that are UTF-8 text in
    # a Shift_JIS file and would decode to mojibake ('mixed_encoding'): (line number, bytes as
    # delivered, rule). The copy holds a line the CSV parser rejects in their place, so the build
    # quarantines each on its own line number and the rest of the file loads.
    bad_lines: tuple[tuple[int, bytes, str], ...] = ()


MIXED_MARKER = "\x1fkodomo-mixed-encoding"


def _is_other_encoding_text(raw: bytes) -> bool:
    """A non-ASCII line that is valid UTF-8: in a Shift_JIS file, that is UTF-8 text pasted in."""
    if all(b < 0x80 for b in raw):
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def escaped(raw: bytes) -> str:
    """Bytes as delivered, readable and safe to store: printable ASCII as is, the rest as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in raw.rstrip(b"\r\n"))


def file_sha256(path: Path) -> str:
    """The delivered file's sha256 (what the load manifest records and a refresh compares)."""
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


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _detect(path: Path) -> tuple[str, bool]:
    """The file's encoding: UTF-8 or Shift_JIS when the whole file decodes, else the one most lines
    decode in ("utf-8" or "cp932"); lines that do not are quarantined on their own by the build.
    A file no line of which decodes in either is unreadable, and the message names its first line."""
    with path.open("rb") as fh:
        head = fh.read(3)
    if head == b"\xef\xbb\xbf":
        return "utf-8-sig", _decodes_as(path, "utf-8-sig")
    if _decodes_as(path, "utf-8"):
        return "utf-8", True
    if _decodes_as(path, "cp932"):
        return "cp932", True
    votes = {"utf-8": 0, "cp932": 0}
    with path.open("rb") as fh:
        for raw in fh:
            if any(b >= 0x80 for b in raw):
                votes["utf-8"] += _decodes(raw, "utf-8")
                votes["cp932"] += _decodes(raw, "cp932") and not _decodes(raw, "utf-8")
    if not any(votes.values()):
        raise UnreadableExtract(
            f"{path.name}: UTF-8 でも Shift_JIS(CP932) でも読めません。1行目から読めません (not UTF-8 nor Shift_JIS, from line 1)"
        )
    return max(votes, key=lambda k: votes[k]), False


def open_extract(path: Path, work_dir: Path) -> OpenedExtract:
    if not path.is_file():
        raise UnreadableExtract(f"{path.name}: ファイルではありません (not a file)")
    if path.stat().st_size == 0:
        raise UnreadableExtract(f"{path.name}: 空のファイルです (empty file, no header)")
    encoding, whole = _detect(path)
    target = path
    mixed = has_mixed_newlines(path)
    others: list[tuple[int, bytes, str]] = []
    if encoding == "cp932" or not whole:
        # Line by line: a line pasted in from a UTF-8 system, or one no encoding reads, is caught on
        # its own line (a placeholder the CSV parser rejects keeps the numbering) and the rest loads.
        target = work_dir / f"{path.stem}.utf8.csv"
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
            for lineno, raw in enumerate(src, 1):
                if lineno == 1:
                    if not _decodes(raw, encoding):
                        raise UnreadableExtract(f"{path.name}: 1行目（見出し）が読めません (line 1, the header, cannot be decoded)")
                elif not _decodes(raw, encoding) or (encoding == "cp932" and _is_other_encoding_text(raw)):
                    other = "utf-8" if encoding == "cp932" else "cp932"
                    others.append((lineno, raw, "mixed_encoding" if _decodes(raw, other) else "undecodable_line"))
                    # one field where the header has several, so the parser rejects it; the line's own ending
                    # (a mix of CRLF and LF stops DuckDB's strict parser)
                    dst.write(MIXED_MARKER + ("\r\n" if raw.endswith(b"\r\n") and not mixed else "\n"))
                    continue
                text = raw.decode(encoding)
                dst.write(text.replace("\r\n", "\n") if mixed else text)
    elif encoding != "utf-8" or mixed:
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
    return OpenedExtract(path=target, original=path, encoding=encoding, sha256=file_sha256(path), header=header,
                         bad_lines=tuple(others))
