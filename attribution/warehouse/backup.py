"""Backups of the whole warehouse and their restore.

A backup is made by the process that owns the live file (the CLI, or `attribution serve` for
POST /api/v1/backups): EXPORT DATABASE to Parquet inside one read transaction, a manifest with
row counts and SHA-256 checksums, then an atomic rename of the finished folder. A restore checks
every file against the manifest before it writes anything, and imports into a new file only."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from attribution import clock
from attribution.errors import BackupError, InvalidFieldsError
from attribution.warehouse import durable
from attribution.warehouse.connection import Warehouse, migrations
from attribution.warehouse.statements import fill, quote_ident, quote_literal

FORMAT: Literal["attribution-backup"] = "attribution-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EXPORT_FILES = ("schema.sql", "load.sql")  # besides one TABLE.parquet per table
API_FOLDER = "backups"  # POST /api/v1/backups writes under <warehouse folder>/backups/
_SUB_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# One backup at a time in this process: they would claim folder names side by side.
_BACKING_UP = threading.Lock()


class FileEntry(BaseModel):
    size: int
    sha256: str


class TableEntry(BaseModel):
    rows: int
    file: str


class MigrationEntry(BaseModel):
    version: int
    name: str
    checksum: str


class Manifest(BaseModel):
    """manifest.json: what the backup holds, and how to check it."""

    format: Literal["attribution-backup"] = FORMAT
    format_version: int = FORMAT_VERSION
    created_at: datetime
    attribution_version: str
    duckdb_version: str
    warehouse: str  # the file it was made from
    migrations: list[MigrationEntry]
    tables: dict[str, TableEntry]
    files: dict[str, FileEntry]

    @property
    def schema_version(self) -> int:
        return max((m.version for m in self.migrations), default=0)


@dataclass(frozen=True)
class Backup:
    """A finished backup folder and its manifest."""

    path: Path
    manifest: Manifest
    seconds: float

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "name": self.path.name,
            "path": str(self.path),
            "created_at": m.created_at.isoformat().replace("+00:00", "Z"),
            "format_version": m.format_version,
            "attribution_version": m.attribution_version,
            "duckdb_version": m.duckdb_version,
            "schema_version": m.schema_version,
            "tables": {name: t.rows for name, t in m.tables.items()},
            "rows": sum(t.rows for t in m.tables.values()),
            "files": len(m.files),
            "bytes": sum(f.size for f in m.files.values()),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Restored:
    """A warehouse file restored from a backup."""

    path: Path
    manifest: Manifest
    migrations_applied: list[str]  # newer than the backup, so applied by the restore
    sequences_advanced: dict[str, int]  # sequence -> its next value, where it had to be moved
    seconds: float


def api_folder(warehouse_path: Path, name: str | None) -> Path:
    """Where POST /api/v1/backups writes: <warehouse folder>/backups/[name]/. The name is one
    plain folder name (no path), so that a client cannot write anywhere else."""
    root = warehouse_path.parent / API_FOLDER
    if name is None or name == "":
        return root
    if not _SUB_FOLDER.fullmatch(name):
        raise InvalidFieldsError(
            {
                "dir": "dir must be one folder name under the backups folder: 1 to 64 letters, "
                "digits, '.', '_' or '-', starting with a letter or digit (no '/', no '..')"
            }
        )
    return root / name


def prune(parent: Path, stem: str, keep: int, *, dry_run: bool = False) -> list[Path]:
    """Remove all but the `keep` newest finished backups named <stem>-<UTC time>[-n] in parent
    (what `create` names them); other folders are left alone. Returns the removed folders (with
    dry_run, those it would remove, removing none)."""
    named = re.compile(rf"^{re.escape(stem)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?$")
    found = []
    for path in parent.iterdir() if parent.is_dir() else ():
        match = named.fullmatch(path.name)
        if match and path.is_dir() and (path / MANIFEST).is_file():
            found.append(((match[1], int(match[2] or 1)), path))
    old = [path for _, path in sorted(found)[: max(0, len(found) - keep)]]
    for path in [] if dry_run else old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _parquet_rows(path: Path) -> int:
    return int(pq.read_metadata(path).num_rows)


def _claim(parent: Path, base: str) -> tuple[str, Path]:
    """A backup name not yet taken in `parent`, and its staging folder, created (so claimed)."""
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        staging = parent / f".{name}.tmp"
        if (parent / name).exists():
            continue
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return name, staging
    raise BackupError(f"{parent} already holds backups named {base}-1 to -999; use another folder")


def _export(wh: Warehouse, staging: Path, when: datetime) -> Manifest:
    """EXPORT DATABASE and the row counts in one transaction: one state of the warehouse, whatever
    other threads write meanwhile (their commits are not seen; nothing waits for them)."""
    from attribution import (
        __version__,  # here: the package imports this module while it initialises
    )

    with wh.cursor() as cur, cur.transaction():
        database = str(cur.scalar("backup/current_database"))
        cur.execute_text(
            fill("backup/export", database=quote_ident(database), path=quote_literal(str(staging))),
            name="backup/export",
        )
        tables: dict[str, TableEntry] = {}
        for schema, table in cur.fetchall("backup/tables", {"database": database}):
            if schema != "main":
                raise BackupError(f"table {schema}.{table} is outside the main schema; move it")
            counted = cur.execute_text(
                fill("backup/count_rows", table=quote_ident(table)), name="backup/count_rows"
            ).fetchone()
            tables[table] = TableEntry(
                rows=int(counted[0]) if counted else 0, file=f"{table}.parquet"
            )
        applied = [MigrationEntry(**row) for row in cur.records("backup/migrations")]
    files = {
        p.name: FileEntry(size=p.stat().st_size, sha256=_sha256(p))
        for p in sorted(staging.iterdir())
    }
    expected = {t.file for t in tables.values()} | set(EXPORT_FILES)
    if set(files) != expected:
        raise BackupError(
            f"DuckDB's export did not write the files expected: missing "
            f"{sorted(expected - set(files)) or 'none'}, unexpected {sorted(set(files) - expected)}"
        )
    for name, entry in tables.items():
        found = _parquet_rows(staging / entry.file)
        if found != entry.rows:
            raise BackupError(f"{entry.file} holds {found} rows, but {name} had {entry.rows}")
    return Manifest(
        created_at=when,
        attribution_version=__version__,
        duckdb_version=duckdb.__version__,
        warehouse=str(wh.path),
        migrations=applied,
        tables=tables,
        files=files,
    )


def create(wh: Warehouse, parent: Path, *, now: datetime | None = None) -> Backup:
    """Back up the warehouse this process holds into a new folder parent/<stem>-<UTC time>/
    (parent is created if missing; a name already taken gets -2, -3, ...)."""
    started = time.perf_counter()
    when = (now or clock.now()).astimezone(UTC).replace(microsecond=0)
    parent = parent.absolute()
    with _BACKING_UP:
        parent.mkdir(parents=True, exist_ok=True)
        name, staging = _claim(parent, f"{wh.path.stem}-{when:%Y%m%dT%H%M%SZ}")
        final = parent / name
        try:
            manifest = _export(wh, staging, when)
            (staging / MANIFEST).write_text(
                manifest.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
            for path in staging.iterdir():
                durable.fsync(path)
            durable.fsync(staging)
            os.rename(staging, final)  # readers see no folder, or the whole backup
            durable.fsync(parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return Backup(final, manifest, time.perf_counter() - started)


def _read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        inner = sorted(p.parent.name for p in folder.glob(f"*/{MANIFEST}"))
        if inner:
            raise BackupError(
                f"{folder} holds backups, not one backup: restore one of its folders "
                f"({', '.join(inner)}), e.g. {folder / inner[-1]}"
            )
        raise BackupError(f"{folder} is not a backup: it has no {MANIFEST}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not the manifest of an attribution backup")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{path} has format_version {version!r}; this version of attribution reads up to "
            f"{FORMAT_VERSION}: restore it with the version that made it "
            f"({data.get('attribution_version', 'unknown')}) or a later one"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise BackupError(f"{path} is not a valid manifest: {exc}") from None


def verify(folder: Path) -> Manifest:
    """The backup's manifest, once every file, row count and migration matches it; otherwise
    BackupError naming the first file or migration that does not."""
    manifest = _read_manifest(folder)
    for name, entry in manifest.files.items():
        path = folder / name
        if Path(name).name != name or name == MANIFEST:
            raise BackupError(f"{folder / MANIFEST} lists {name!r}, which is not a backup file")
        if not path.is_file():
            raise BackupError(f"{path} is missing: the backup is incomplete")
        size = path.stat().st_size
        if size != entry.size:
            raise BackupError(f"{path} has {size} bytes, not {entry.size}: it was changed or cut")
        if _sha256(path) != entry.sha256:
            raise BackupError(f"{path} does not match its SHA-256 in the manifest: it was changed")
    for name in EXPORT_FILES:
        if name not in manifest.files:
            raise BackupError(f"{folder / MANIFEST} does not list {name}")
    for table, t in manifest.tables.items():
        if t.file not in manifest.files:
            raise BackupError(f"{folder / MANIFEST} does not list {t.file}, the file of {table}")
        found = _parquet_rows(folder / t.file)
        if found != t.rows:
            raise BackupError(f"{folder / t.file} holds {found} rows; the manifest says {t.rows}")
    known = {m.version: m for m in migrations()}
    for m in manifest.migrations:
        mine = known.get(m.version)
        label = f"{m.version:04d}_{m.name}"
        if mine is None:
            raise BackupError(
                f"the backup's schema has migration {label}, which this version of attribution "
                f"does not know: restore it with attribution {manifest.attribution_version} "
                "or later"
            )
        if mine.checksum != m.checksum:
            raise BackupError(
                f"migration {label} of the backup differs from this version's "
                f"(sql/schema/{label}.sql): restore it with attribution "
                f"{manifest.attribution_version}"
            )
    return manifest


def _advance_sequences(wh: Warehouse) -> dict[str, int]:
    """Move any sequence whose next value is not past its column's largest value (EXPORT writes
    each sequence with START = its next value, so this is a guard: a row inserted with an explicit
    id would otherwise make the next insert collide)."""
    database = str(wh.scalar("backup/current_database"))
    advanced = {}
    for table, column, sequence, next_value in wh.fetchall(
        "backup/sequence_defaults", {"database": database}
    ):
        top = wh.execute_text(
            fill("backup/max_value", table=quote_ident(table), column=quote_ident(column)),
            name="backup/max_value",
        ).fetchone()
        if top and top[0] is not None and int(top[0]) >= int(next_value):
            wh.execute("backup/set_sequence", {"sequence": sequence, "value": int(top[0])})
            advanced[str(sequence)] = int(top[0]) + 1
    return advanced


# What schema.sql and load.sql may hold (as EXPORT DATABASE writes them): their checksums are
# not authenticated, so a doctored backup must not run anything else on restore.
_SCHEMA_KINDS = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?(?:TABLE|SEQUENCE|VIEW|INDEX|MACRO)\b", re.IGNORECASE
)
_LOAD_KIND = re.compile(r"COPY\s+\S+\s+FROM\s+'[^']*'\s*\(FORMAT\s+'parquet'\)\s*;?", re.I)


def _check_statements(folder: Path) -> None:
    """Refuse a backup whose schema.sql or load.sql holds a statement of another kind than
    EXPORT DATABASE writes, naming its first line."""
    for name, allowed, kinds in (
        ("schema.sql", _SCHEMA_KINDS, "CREATE TABLE/SEQUENCE/VIEW/INDEX/MACRO"),
        ("load.sql", _LOAD_KIND, "COPY table FROM 'file.parquet'"),
    ):
        path = folder / name
        try:
            statements = duckdb.extract_statements(path.read_text(encoding="utf-8"))
        except (duckdb.Error, OSError, UnicodeError) as exc:
            raise BackupError(f"{path} cannot be read as SQL: {exc}") from None
        for statement in statements:
            text = statement.query.strip()
            if not allowed.match(text) or (name == "load.sql" and not allowed.fullmatch(text)):
                first = text.splitlines()[0][:120] if text else "(empty)"
                raise BackupError(
                    f"{path} holds a statement a backup never has ({first!r}); only {kinds} "
                    "is allowed: the backup was changed, so it is not restored"
                )


def _import(folder: Path, staging: Path, manifest: Manifest) -> tuple[dict[str, int], list[str]]:
    """IMPORT DATABASE into a new file, with file access limited to the backup folder; check
    every table's row count against the manifest; apply the migrations newer than the backup.
    Returns the sequences moved, migrations applied."""
    _check_statements(folder)
    with Warehouse.open_path(staging, upgrade=False) as wh:
        wh.execute_text(
            fill("backup/allow_directory", path=quote_literal(str(folder) + os.sep)),
            name="backup/allow_directory",
        )
        wh.execute("backup/no_external_access")
        wh.execute_text(
            fill("backup/import", path=quote_literal(str(folder))), name="backup/import"
        )
        for table, t in manifest.tables.items():
            counted = wh.execute_text(
                fill("backup/count_rows", table=quote_ident(table)), name="backup/count_rows"
            ).fetchone()
            rows = int(counted[0]) if counted else -1
            if rows != t.rows:
                raise BackupError(
                    f"{table} has {rows} rows after the import; the backup holds {t.rows}"
                )
        advanced = _advance_sequences(wh)
        applied = [f"{m.version:04d}_{m.name}" for m in wh.migrate()]
    return advanced, applied


def restore(folder: Path, target: Path) -> Restored:
    """Restore the backup in `folder` into the new warehouse file `target`: verify the backup,
    import it beside the target and apply the migrations newer than the backup, then link it
    into place (never over an existing file) and open it with this version's code."""
    started = time.perf_counter()
    folder, target = folder.absolute(), target.absolute()
    manifest = verify(folder)
    for path in (target, target.with_name(target.name + ".wal")):
        if path.exists():
            raise BackupError(f"{path} exists; restore into a new file (nothing was changed)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.restore-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        advanced, applied = _import(folder, staging, manifest)
        try:
            os.link(staging, target)  # unlike a rename, never replaces a file made meanwhile
        except FileExistsError:
            raise BackupError(f"{target} was created meanwhile; nothing was changed") from None
        durable.fsync(target.parent)
    finally:
        for leftover in (staging, staging.with_name(staging.name + ".wal")):
            leftover.unlink(missing_ok=True)
    with Warehouse.open_path(target):  # checks each migration's checksum; applies none
        pass
    return Restored(target, manifest, applied, advanced, time.perf_counter() - started)
