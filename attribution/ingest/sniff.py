"""What a file really holds, told from its bytes before DuckDB reads it: a workbook, an archive,
Parquet, UTF-16 or other text that is not UTF-8, a CSV line with the wrong number of fields.
Each finding is one line that says what the file is and what to do."""

from __future__ import annotations

import codecs
import csv
import hashlib
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# What the readers expect, as a message names it.
EXPECTED = {"csv": "CSV", "jsonl": "JSON Lines", "json_array": "a JSON array", "parquet": "Parquet"}
HEAD = 4096  # bytes read to tell a file's type

_AS_CSV = "save it as CSV (UTF-8) and load that"
_EXPORT = "export the data as CSV (UTF-8) and load that"
_UNPACK = "unpack it and load the file inside"

# (first bytes, what a file starting with them is, what to do). Zip files are looked into.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (xls) or another Office file",
        _AS_CSV,
    ),
    (b"%PDF-", "a PDF document", _EXPORT),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _EXPORT),
    (b"\xff\xd8\xff", "a JPEG image", _EXPORT),
    (b"GIF8", "a GIF image", _EXPORT),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", _UNPACK),
    (b"Rar!\x1a\x07", "a RAR archive", _UNPACK),
    (b"\xfd7zXZ\x00", "an xz-compressed file", _UNPACK),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", _UNPACK),
    (b"BZh", "a bzip2-compressed file", _UNPACK),  # checked further below
    (
        b"SQLite format 3\x00",
        "an SQLite database",
        "export the table as CSV or Parquet and load that",
    ),
)
_GZIP = b"\x1f\x8b"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_PARQUET = b"PAR1"
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_DELIMITERS = {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a |"}


def _zip_kind(path: Path) -> str:
    """What a zip file is, from the names inside: Office Open XML, OpenDocument, or an archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = b""
            if "mimetype" in names:  # OpenDocument's first member; read no more than its start
                with archive.open("mimetype") as member:
                    mimetype = member.read(100)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, zlib.error):
        # A damaged or odd zip file (an encrypted member, an unknown compression) is still one.
        return "a zip archive"
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (xlsx)"
    if any(n.startswith("word/") for n in names):
        return "a Word document (docx)"
    if b"opendocument.spreadsheet" in mimetype:
        return "an OpenDocument spreadsheet (ods)"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        return "an OpenDocument file"
    return "a zip archive"


def _nul_text(head: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' for text without a byte-order mark, told by its NUL bytes (ASCII in
    them is one NUL a character, or three, all at the same place); 'binary' for other NULs."""
    nul = head.count(0) / len(head) if head else 0.0
    if nul < 0.25:
        return None
    if nul >= 0.6 and sum(1 for i in range(4) if not head[i::4].strip(b"\0")) >= 2:
        return "UTF-32"
    halves = [head[i::2].count(0) for i in range(2)]
    if min(halves) <= 0.05 * max(halves):
        return "UTF-16"
    return "binary"


def content_problem(path: Path, name: str, reader: str) -> str | None:
    """Why `reader` cannot read this file, told from its first bytes; None when it may."""
    with path.open("rb") as fh:
        head = fh.read(HEAD)
    if not head:
        return None
    expected = EXPECTED.get(reader, reader)
    if reader == "parquet":
        if head.startswith(_PARQUET):
            return None
        what, advice = _what(path, head)
        if what is not None:
            return f"{name} is {what}, not {expected}: {advice}"
        if _is_text(head):
            return (
                f"{name} is text, not a Parquet file: if it is CSV or JSON Lines, "
                "load it with --format csv or --format jsonl"
            )
        return (
            f"{name} is not a Parquet file (those start with the bytes PAR1): write it again "
            "as Parquet, or load it with the --format it has"
        )
    if head.startswith(_GZIP):
        if compressed(path):
            return None  # asked for: DuckDB unpacks a .gz file as it reads it
        return (
            f"{name} is gzip-compressed, not plain {expected}: unpack it (gunzip) and load "
            f"that, or name it {name}.gz"
        )
    what, advice = _what(path, head)
    if what is None:
        return None
    if what.endswith(" text"):
        expected = "UTF-8"  # UTF-16 text may well be CSV: its encoding is what is wrong
    elif what == "binary data":
        expected = "text"
    return f"{name} is {what}, not {expected}: {advice}"


def compressed(path: Path) -> bool:
    """A name ending in .gz: DuckDB reads such a file through gzip."""
    return path.name.lower().endswith(".gz")


def _what(path: Path, head: bytes) -> tuple[str | None, str]:
    """(what the file is, what to do) when its first bytes say it is not UTF-8 text."""
    if head.startswith(_ZIP):
        kind = _zip_kind(path)
        return kind, (_UNPACK if kind.startswith("a zip") else _AS_CSV)
    if head.startswith(_GZIP):
        return "gzip-compressed", "unpack it (gunzip) and load that"
    if head.startswith(_PARQUET):
        return "a Parquet file", "load it with --format parquet, or name it .parquet"
    for magic, what, advice in _MAGIC:
        if head.startswith(magic):
            if magic == b"BZh" and head[4:10] != b"1AY&SY":
                continue  # text that happens to start with BZh
            return what, advice
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return f"{encoding} text", "save it as UTF-8 and load that"
    wide = _nul_text(head)
    if wide == "binary":
        return "binary data", _EXPORT
    if wide:
        return f"{wide} text", "save it as UTF-8 and load that"
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:15].lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)", "download the data file itself, as CSV (UTF-8), and load that"
    return None, ""


def _is_text(head: bytes) -> bool:
    """UTF-8 text without NUL bytes (a character cut at the end of `head` allowed)."""
    if 0 in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class BadByte:
    """The first byte of a file that is not UTF-8: its value and line (1 = the first line)."""

    value: int
    line: int


def digest(path: Path, *, text: bool) -> tuple[str, BadByte | None]:
    """The file's SHA-256 and, for text, its first byte that is not UTF-8: one pass over it."""
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    bad: BadByte | None = None
    lines = 1  # newlines before the current chunk, plus one
    pending = b""  # the start of a character cut at the end of the chunk before
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
            if not text or bad is not None:
                continue
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                at = exc.start  # within pending + chunk, as the decoder saw them
                bad = BadByte(data[at], lines + data.count(b"\n", 0, at))
                continue
            pending = decoder.getstate()[0]
            lines += chunk.count(b"\n")
        if text and bad is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = BadByte(pending[0] if pending else 0, lines)
    return sha.hexdigest(), bad


def not_utf8(name: str, bad: BadByte) -> str:
    return (
        f"{name} is not UTF-8 text (byte 0x{bad.value:02X} at line {bad.line}): "
        "save it as UTF-8 and load that"
    )


def ragged_line(path: Path, name: str) -> str | None:
    """The first CSV line whose number of fields is not the header's, as a message; None when
    every line has the header's (or the file cannot be split here). The delimiter is the one
    of , ; tab | that the header holds most of."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
            delimiter = max(_DELIMITERS, key=header.count)
            if not header.count(delimiter):
                return None
            fh.seek(0)
            return _first_ragged(fh, name, delimiter)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _first_ragged(fh: Iterable[str], name: str, delimiter: str) -> str | None:
    rows = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True)
    width: int | None = None
    first: tuple[int, int] | None = None
    others = 0
    line = 1  # the line the next record starts on
    for row in rows:
        start, line = line, rows.line_num + 1
        if not row:
            continue  # a blank line
        if width is None:
            width = len(row)
        elif len(row) != width:
            if first is None:
                first = (start, len(row))
            else:
                others += 1
    if first is None or width is None:
        return None
    more = ""
    if others:
        more = f" ({others:,} more {'line differs' if others == 1 else 'lines differ'} too)"
    fields = f"{first[1]} field" + ("" if first[1] == 1 else "s")
    return (
        f"{name}: line {first[0]} has {fields}, the header has {width}{more}. Fix "
        f"{'those lines' if others else 'that line'}, or put double quotes around fields that "
        f"hold {_DELIMITERS[delimiter]}"
    )


def printable(text: str) -> str:
    """Text from a file, safe in a message: control and format characters as U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)
