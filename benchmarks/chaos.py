"""Crash safety: ingests, model runs and snapshot publishes in a real subprocess, killed with
SIGKILL at a random moment; then the warehouse is reopened and checked.

    python benchmarks/chaos.py --kind all --rounds 50
    python benchmarks/chaos.py --kind publish --rounds 200 --rows 20000 --seed 3
    python benchmarks/chaos.py --kind run --rounds 5 --kill-at 0.12   # replay one moment

Each round copies a prepared warehouse into a folder of its own and starts a child process
(python -m benchmarks.chaos --child KIND FOLDER). The child imports what it needs and says
"ready"; told "go", it opens the warehouse, does the operation and closes it:

    ingest   the demo's four files (leads CSV, touches Parquet, revenue JSON Lines, spend CSV),
             one batch each, into an empty warehouse
    run      one attribution run with every model over the loaded data (one run already stored)
    publish  the analysts' snapshot with Parquet files, over an older snapshot

The templates close with their last writes still in the WAL, so children replay it on open and
a publish's checkpoint folds it into the file. The operation is timed once first ("go" to the
child's "done", after it closed the warehouse; in a child that is not killed); each round then
kills its child U(0, 1.2 x that duration) after "go". --seed draws the fractions (and the demo
data). A failed round prints the options that replay its kill moment. Then:

- every batch is whole or absent: each 'loaded' batch owns exactly rows_loaded fact rows and
  rows_rejected rejected rows, no batch is left 'loading', no row belongs to a batch that is not
  loaded, and each table holds all its kind's rows of a clean load or none;
- every run is whole or absent: each run has credits of all its models, its drill-down tables
  sum to its channel totals (non-Markov models) and have the row counts of a clean run, and no
  row belongs to a run that does not exist;
- what the child reported committed (a batch, a run, a publish) is there;
- the snapshot opens read-only and equals either the old or the new clean snapshot, table by
  table and view by view, and so does each Parquet file;
- doing the operation again to completion adds no duplicate: the counts of a clean load, one
  more whole run, the new snapshot and no temporary file beside it;
- the service starts: Warehouse.open_path + migrate() (nothing to apply) and `attribution init`;
  after the last round of each kind, `attribution serve` answers GET /api/lead_sources.

--sabotage checks the checks: its children run without transactions and write the snapshot in
place, and rounds killed mid-operation should then fail.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

    from attribution.config import Settings
    from attribution.warehouse.connection import Warehouse

ROOT = Path(__file__).resolve().parent.parent
# This folder holds attribution.py: keep it off the path so `import attribution` finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

# Only the standard library above: the child imports this module and should start quickly.

KINDS = ("ingest", "run", "publish")
FILE_KINDS = ("leads", "touches", "revenue", "spend")
FACT_TABLES = {
    "leads": "leads",
    "touches": "touches",
    "revenue": "revenue_events",
    "spend": "spend",
}
INGEST_TABLES = (*FACT_TABLES.values(), "rejected_rows", "ingest_batches", "lead_sources")
RUN_TABLES = (
    "channel_credits",
    "source_credits",
    "run_conversion_ids",
    "conversion_credit_rows",
    "path_credits",
    "channel_day_credits",
    "journey_channels",
    "run_lead_days",
    "run_spend_days",
)
MODULES = {
    "ingest": "attribution.ingest.loader",
    "run": "attribution.engine.runs",
    "publish": "attribution.warehouse.snapshot",
}
AS_OF = date(2026, 11, 25)
WEEKS = 8
LATE = 1.2  # kills are drawn from U(0, LATE x the measured duration)
CONFIG = """\
warehouse:
  path: wh.duckdb
snapshot:
  path: snap/attribution.duckdb
  parquet_dir: snap/parquet
"""
SNAPSHOT, PARQUET = Path("snap/attribution.duckdb"), Path("snap/parquet")
# Templates close with their last writes still in the WAL, as a killed or running service leaves
# them: children replay it on open, and a publish's checkpoint (or a close) folds it in.
KEEP_WAL = "PRAGMA disable_checkpoint_on_shutdown"

Counts = dict[str, int]
Say = Callable[[str], None]


# -- the child --------------------------------------------------------------------------------


def say(text: str) -> None:
    """A marker for the harness: how far the child got when it was killed."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def settings_of(folder: Path) -> Settings:
    from attribution.config import load_settings

    return load_settings(folder / "config.yaml", environ={})


def job_of(folder: Path) -> dict[str, Any]:
    job: dict[str, Any] = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    return job


def ingest_all(wh: Warehouse, settings: Settings, job: Mapping[str, Any], tell: Say) -> None:
    """The four files, one batch each (a file already loaded adds nothing)."""
    from attribution.ingest.loader import Ingestor

    for kind in FILE_KINDS:
        tell(f"begin {kind}")
        summary = Ingestor(wh, settings).ingest_file(kind, Path(job["files"][kind]))
        tell(f"committed {kind} {summary.batch_id or summary.already_loaded_as}")


def run_once(wh: Warehouse, settings: Settings, job: Mapping[str, Any], tell: Say) -> None:
    """One stored run with every model over the data's whole period."""
    from attribution.engine.runs import RunSpec, run

    tell("begin run")
    spec = RunSpec(
        start=datetime.fromisoformat(job["start"]), end=datetime.fromisoformat(job["end"])
    )
    tell(f"committed run {run(wh, spec).run_id}")


def publish_once(wh: Warehouse, settings: Settings, job: Mapping[str, Any], tell: Say) -> None:
    from attribution.warehouse.snapshot import publish

    tell("begin publish")
    publish(wh, settings)
    tell("published")


OPERATIONS: dict[str, Callable[[Warehouse, Settings, Mapping[str, Any], Say], None]] = {
    "ingest": ingest_all,
    "run": run_once,
    "publish": publish_once,
}


def sabotage() -> None:
    """Check the checks (--sabotage): break what crash safety rests on, in this child only.
    Every statement commits on its own (no transaction), and the snapshot is written in place
    (no temporary file renamed over it). Kills should then leave half batches, half runs and
    broken snapshots, and the checks should say so."""
    from contextlib import nullcontext

    from attribution.warehouse import snapshot
    from attribution.warehouse.connection import Warehouse

    Warehouse.transaction = lambda self: nullcontext()  # type: ignore[assignment,method-assign,return-value]

    def in_place(wh: Warehouse, settings: Settings) -> None:
        final = settings.resolve(settings.snapshot.path)
        final.unlink()
        info: dict[str, object] = {"published_at": datetime.now(), "warehouse": str(wh.path)}
        info |= {"duckdb_version": "", "storage_version": ""}
        snapshot._write(wh, final, info, "", None)

    snapshot.publish = in_place  # type: ignore[assignment]


def child(kind: str, folder: Path, *, broken: bool = False) -> None:
    """In a fresh process: import, say "ready", wait for "go", then open, operate, close."""
    import importlib

    from attribution.warehouse.connection import Warehouse

    importlib.import_module(MODULES[kind])
    if broken:
        sabotage()
    settings, job = settings_of(folder), job_of(folder)
    say("ready")
    if sys.stdin.readline().strip() != "go":
        return
    say("go")
    wh = Warehouse.open(settings)
    say("open")
    OPERATIONS[kind](wh, settings, job, say)
    say("closing")
    wh.close()
    say("done")


# -- checks -----------------------------------------------------------------------------------


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def table_counts(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> Counts:
    from attribution.warehouse.statements import quote_ident

    # Identifiers from the constants above, quoted; no value is pasted in.
    return {t: _count(con, f"SELECT count(*) FROM {quote_ident(t)}") for t in tables}  # noqa: S608


def relation_counts(con: duckdb.DuckDBPyConnection) -> Counts:
    """Rows of every table and view of the open database."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' UNION ALL SELECT view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal"
    ).fetchall()
    return table_counts(con, tuple(sorted(str(n) for (n,) in names)))


def batch_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each batch whole or absent: a 'loaded' batch owns exactly its counted rows, no other
    status exists, and no fact or rejected row belongs to a batch that is not loaded."""
    problems = []
    batches = con.execute(
        "SELECT batch_id, kind, status, rows_loaded, rows_rejected FROM ingest_batches "
        "ORDER BY batch_id"
    ).fetchall()
    for batch_id, kind, status, loaded, rejected in batches:
        if status != "loaded":
            problems.append(f"batch {batch_id} ({kind}) is left with status {status!r}")
        table = FACT_TABLES[kind]
        # The table comes from FACT_TABLES; the batch id is bound.
        owned = _count(con, f"SELECT count(*) FROM {table} WHERE batch_id = ?", [batch_id])  # noqa: S608
        if owned != loaded:
            problems.append(f"batch {batch_id} ({kind}) has {owned} rows, rows_loaded={loaded}")
        bad = _count(con, "SELECT count(*) FROM rejected_rows WHERE batch_id = ?", [batch_id])
        if bad != rejected:
            problems.append(f"batch {batch_id} ({kind}) has {bad} rejected rows, not {rejected}")
    for kind, table in [*FACT_TABLES.items(), ("", "rejected_rows")]:
        orphans = con.execute(
            f"SELECT batch_id, count(*) FROM {table} WHERE batch_id NOT IN "  # noqa: S608
            "(SELECT batch_id FROM ingest_batches WHERE status = 'loaded' "
            "AND (? = '' OR kind = ?)) GROUP BY batch_id ORDER BY batch_id",
            [kind, kind],
        ).fetchall()
        problems += [
            f"{n} rows of {table} belong to batch {b}, not a loaded one" for b, n in orphans
        ]
    return problems


@dataclass(frozen=True)
class RunReference:
    """A clean run over the same data: its row count in each run table, its channel totals."""

    counts: Counts
    totals: dict[tuple[str, str], tuple[float, float]]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _sums(con: duckdb.DuckDBPyConnection, table: str, run_id: int) -> dict[tuple[str, str], Any]:
    # Tables from RUN_TABLES; the run id is bound.
    rows = con.execute(
        f"SELECT model, channel, sum(conversions), sum(value) FROM {table} "  # noqa: S608
        "WHERE run_id = ? AND model <> 'markov' GROUP BY model, channel",
        [run_id],
    ).fetchall()
    return {(str(m), str(c)): (float(n), float(v)) for m, c, n, v in rows}


def run_reference(con: duckdb.DuckDBPyConnection, run_id: int) -> RunReference:
    counts = {
        t: _count(con, f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id])  # noqa: S608
        for t in RUN_TABLES
    }
    rows = con.execute(
        "SELECT model, channel, conversions, value FROM channel_credits WHERE run_id = ?",
        [run_id],
    ).fetchall()
    return RunReference(counts, {(str(m), str(c)): (float(n), float(v)) for m, c, n, v in rows})


def run_problems(con: duckdb.DuckDBPyConnection, reference: RunReference) -> list[str]:
    """Each run whole or absent (see the module's docstring)."""
    problems = []
    runs = con.execute(
        "SELECT run_id, models, conversions, seconds FROM attribution_runs ORDER BY run_id"
    ).fetchall()
    for table in RUN_TABLES:
        orphans = con.execute(
            f"SELECT run_id, count(*) FROM {table} WHERE run_id NOT IN "  # noqa: S608
            "(SELECT run_id FROM attribution_runs) GROUP BY run_id ORDER BY run_id"
        ).fetchall()
        problems += [
            f"{n} rows of {table} belong to run {r}, which does not exist" for r, n in orphans
        ]
    for run_id, models, conversions, seconds in runs:
        name = f"run {run_id}"
        if not seconds > 0:
            problems.append(f"{name} was stored without its seconds (the last statement)")
        got = run_reference(con, run_id)
        found = {m for m, _ in got.totals}
        if found != set(models):
            problems.append(f"{name} has channel credits of {sorted(found)}, not {sorted(models)}")
        for table, rows in got.counts.items():
            if rows != reference.counts[table]:
                problems.append(
                    f"{name} has {rows} rows in {table}, a clean run {reference.counts[table]}"
                )
        numbers = _count(
            con,
            "SELECT count(DISTINCT conversion_no) FROM run_conversion_ids WHERE run_id = ?",
            [run_id],
        )
        if numbers != conversions:
            problems.append(f"{name} has {numbers} conversion ids, conversions={conversions}")
        for key, (n, v) in got.totals.items():
            want = reference.totals.get(key)
            if want is None or not (_close(n, want[0]) and _close(v, want[1])):
                problems.append(f"{name} credits {key} with {(n, v)}, a clean run with {want}")
        for table in ("conversion_credits", "channel_day_credits"):
            sums = _sums(con, table, run_id)
            for key in {k for k in got.totals if k[0] != "markov"} | set(sums):
                n, v = got.totals.get(key, (0.0, 0.0))
                s_n, s_v = sums.get(key, (0.0, 0.0))
                if not (_close(n, s_n) and _close(v, s_v)):
                    problems.append(f"{name}: {table} of {key} sum to {(s_n, s_v)}, not {(n, v)}")
        by_source = con.execute(
            "SELECT model, sum(conversions), sum(value) FROM source_credits "
            "WHERE run_id = ? AND model <> 'markov' GROUP BY model",
            [run_id],
        ).fetchall()
        for model, s_n, s_v in by_source:
            mine = [c for (m, _), c in got.totals.items() if m == model]
            n, v = sum(c[0] for c in mine), sum(c[1] for c in mine)
            if not (_close(n, s_n) and _close(v, s_v)):
                problems.append(
                    f"{name}: source_credits of {model} sum to {(s_n, s_v)}, not {(n, v)}"
                )
    return problems


def init_problems(folder: Path) -> list[str]:
    """`attribution init` on the folder's warehouse (in this process: it is the same code)."""
    from click.testing import CliRunner

    from attribution.cli import main

    done = CliRunner().invoke(main, ["--config", str(folder / "config.yaml"), "init"], env={})
    if done.exit_code != 0 or "is at schema" not in done.output:
        return [f"attribution init exited with {done.exit_code}: {done.output.strip()}"]
    return []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_problems(folder: Path, timeout: float = 60) -> list[str]:
    """`attribution serve` on the folder's warehouse answers GET /api/lead_sources with every
    lead source (a real process, stopped with SIGTERM)."""
    import urllib.error
    import urllib.request

    from attribution.registry.tokens import create_token
    from attribution.warehouse.connection import Warehouse

    with Warehouse.open(settings_of(folder)) as wh:
        token, _ = create_token(wh, name=f"chaos-{time.time_ns()}")
        sources = _count(wh.con, "SELECT count(*) FROM lead_sources")
    port = _free_port()
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        cmd = [sys.executable, "-m", "attribution", "--config", str(folder / "config.yaml")]
        proc = subprocess.Popen(
            [*cmd, "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("ATTRIBUTION_")},
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/lead_sources", headers={"authtoken": token}
        )
        deadline = time.monotonic() + timeout
        problems: list[str] = []
        try:
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        listed = json.loads(answer.read())
                    if len(listed) != sources:
                        problems.append(f"serve listed {len(listed)} sources, not {sources}")
                    break
                except (urllib.error.URLError, ConnectionError) as exc:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        problems.append(f"attribution serve did not answer ({exc})")
                        break
                    time.sleep(0.1)
        finally:
            proc.terminate()
            code = proc.wait(timeout=30)
    if code not in (0, -signal.SIGTERM):  # uvicorn shuts down, then re-raises the signal
        problems.append(f"attribution serve stopped with exit code {code}")
    if problems:
        problems.append(log_path.read_text(errors="replace")[-2000:])
    return problems


# -- the harness ------------------------------------------------------------------------------


@dataclass
class Round:
    """One killed child and what the checks found."""

    kind: str
    number: int
    fraction: float  # of the measured duration
    delay: float  # seconds after "go"
    mid: bool  # killed before the child said "done"
    said: list[str]
    problems: list[str]
    folder: Path
    leftovers: int = 0  # temporary files and folders the kill left beside the snapshot
    snapshot: str = ""  # publish: which snapshot the kill left ("old" or "new")
    parquet: str = ""  # publish: which Parquet files it left ("old", "new" or "mixed")

    @property
    def phase(self) -> str:
        """Where the kill landed: after the child's last marker."""
        last = self.said[-1] if self.said else "ready"
        words = last.split()
        if words[0] == "begin":
            return f"in {words[1]}"
        if words[0] == "committed":
            return f"after {words[1]}"
        return {"ready": "starting", "go": "opening", "open": "open"}.get(words[0], words[0])

    def describe(self, replay: str) -> str:
        """What failed, and the command that kills at the same moment (replay: its options)."""
        return (
            f"{self.kind} round {self.number} killed {self.phase} ({self.delay:.4f} s after go; "
            f"replay: python benchmarks/chaos.py {replay} --kind {self.kind} "
            f"--kill-at {self.delay:.4f}), markers {self.said}, folder {self.folder}:\n    "
            + "\n    ".join(self.problems)
        )


@dataclass
class KindReport:
    kind: str
    duration: float
    rounds: list[Round] = field(default_factory=list)
    seconds: float = 0.0
    serve: list[str] | None = None  # problems of the serve check; None: not run

    @property
    def mid(self) -> int:
        return sum(r.mid for r in self.rounds)

    @property
    def passed(self) -> int:
        return sum(not r.problems for r in self.rounds)

    def summary(self) -> str:
        phases = Counter(r.phase for r in self.rounds if r.mid)
        lines = [
            f"{self.kind}: {len(self.rounds)} rounds in {self.seconds:.1f} s; operation "
            f"{self.duration:.3f} s (kills at U(0, {LATE * self.duration:.3f}) s after go)",
            f"  kills mid-operation {self.mid}, after completion {len(self.rounds) - self.mid}",
            "  mid-operation by phase: " + ", ".join(f"{p} {n}" for p, n in sorted(phases.items())),
            f"  checks passed {self.passed}/{len(self.rounds)}",
        ]
        if self.kind == "publish":
            states = Counter(r.snapshot for r in self.rounds)
            files = Counter(r.parquet for r in self.rounds)
            lines += [
                f"  snapshot after the kill: old {states['old']}, new {states['new']}; "
                f"Parquet files: old {files['old']}, new {files['new']}, "
                f"a mix of old and new {files['mixed']}",
                f"  temporary files left beside it in {sum(r.leftovers > 0 for r in self.rounds)}"
                " rounds, all removed by the next publish",
            ]
        if self.serve is not None:
            lines.append(
                "  attribution serve afterwards: " + ("answered" if not self.serve else "FAILED")
            )
        return "\n".join(lines)


@dataclass
class _Child:
    proc: subprocess.Popen[str]
    folder: Path


class Harness:
    """Data, prepared warehouses and references, built once under `work`; rounds of each kind."""

    def __init__(
        self, work: Path, *, rows: int, seed: int, log: Say = print, sabotage: bool = False
    ) -> None:
        self.work, self.rows, self.seed, self.log = work, rows, seed, log
        self.sabotage = sabotage  # children break crash safety on purpose (see sabotage())
        self.work.mkdir(parents=True, exist_ok=True)
        self._templates: dict[str, Path] = {}
        self.ingest_counts: Counts = {}
        self.run: RunReference | None = None
        self.old: Counts = {}  # relations of the template's snapshot
        self.new: Counts = {}  # relations of a clean publish over the template

    @property
    def replay(self) -> str:
        """The options that rebuild the same data and draw the same kill moments."""
        return f"--seed {self.seed} --rows {self.rows}"

    # -- preparation

    def _template(self, name: str) -> Path:
        if name not in self._templates:
            started = time.perf_counter()
            folder = self.work / "templates" / name
            getattr(self, f"_build_{name}")(folder)
            self._templates[name] = folder
            self.log(f"  prepared {name}: {time.perf_counter() - started:.1f} s")
        return self._templates[name]

    def _build_empty(self, folder: Path) -> None:
        """A migrated warehouse, the demo's files (seeded) and the job the children read."""
        from attribution.ingest import demo
        from attribution.warehouse.connection import Warehouse

        data = demo.generate(seed=self.seed, leads=self.rows, weeks=WEEKS, as_of=AS_OF)
        files = demo.write_files(data, self.work / "input")
        extra = self.work / "input" / "more-leads.csv"
        extra.write_text(
            "lead_id,created_at,source\n"
            + "".join(f"X{i},{data.start:%Y-%m-%d} 12:00:00,Google\n" for i in range(500)),
            encoding="utf-8",
        )
        folder.mkdir(parents=True)
        (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
        job = {
            "files": {k: str(p) for k, p in files.items()},
            "extra": str(extra),
            "start": data.start.isoformat(),
            "end": data.end.isoformat(),
        }
        (folder / "job.json").write_text(json.dumps(job, indent=1), encoding="utf-8")
        Warehouse.open(settings_of(folder)).close()

    def _build_loaded(self, folder: Path) -> None:
        """The four files loaded and one run stored: the clean references of both."""
        from attribution.warehouse.connection import Warehouse

        shutil.copytree(self._template("empty"), folder)
        settings, job = settings_of(folder), job_of(folder)
        with Warehouse.open(settings) as wh:
            ingest_all(wh, settings, job, lambda _: None)
            run_once(wh, settings, job, lambda _: None)
            self.ingest_counts = table_counts(wh.con, INGEST_TABLES)
            self.run = run_reference(wh.con, 1)
            found = batch_problems(wh.con) + run_problems(wh.con, self.run)
            wh.con.execute(KEEP_WAL)
        assert not found, found

    def _build_published(self, folder: Path) -> None:
        """A snapshot of the loaded warehouse (old), then one more batch in the warehouse; and
        the relations of a clean publish over it (new), made in a scratch copy."""
        from attribution.ingest.loader import Ingestor
        from attribution.warehouse.connection import Warehouse
        from attribution.warehouse.snapshot import publish

        shutil.copytree(self._template("loaded"), folder)
        settings, job = settings_of(folder), job_of(folder)
        with Warehouse.open(settings) as wh:
            publish(wh, settings)
            Ingestor(wh, settings).ingest_file("leads", Path(job["extra"]))
            wh.con.execute(KEEP_WAL)  # the child's publish checkpoints it into the file
        self.old = self._snapshot_counts(folder)
        scratch = self.work / "templates" / "published-scratch"
        shutil.copytree(folder, scratch)
        with Warehouse.open(settings_of(scratch)) as wh:
            publish(wh, settings_of(scratch))
        self.new = self._snapshot_counts(scratch)
        shutil.rmtree(scratch)
        assert self.old != self.new and set(self.old) == set(self.new)

    @staticmethod
    def _snapshot_counts(folder: Path) -> Counts:
        import duckdb

        con = duckdb.connect(str(folder / SNAPSHOT), read_only=True)
        try:
            return relation_counts(con)
        finally:
            con.close()

    def template(self, kind: str) -> Path:
        self._template("loaded")  # the references every kind checks against
        return self._template({"ingest": "empty", "run": "loaded", "publish": "published"}[kind])

    # -- children

    def _spawn(self, kind: str, name: str) -> _Child:
        folder = self.work / kind / name
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.template(kind), folder)
        argv = [sys.executable, "-m", "benchmarks.chaos", "--child", kind, str(folder)]
        with (folder / "child.err").open("wb") as err:
            proc = subprocess.Popen(
                argv + ["--sabotage"] * self.sabotage,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        return _Child(proc, folder)

    @staticmethod
    def _ready(child: _Child) -> None:
        assert child.proc.stdout is not None and child.proc.stdin is not None
        line = child.proc.stdout.readline().strip()
        if line != "ready":
            child.proc.kill()
            child.proc.wait()
            err = (child.folder / "child.err").read_text(errors="replace")
            raise RuntimeError(f"the child did not start ({line!r}):\n{err}")

    @staticmethod
    def _go(child: _Child) -> float:
        assert child.proc.stdin is not None
        child.proc.stdin.write("go\n")
        child.proc.stdin.flush()
        return time.monotonic()

    @staticmethod
    def _said(child: _Child) -> list[str]:
        """The rest of the child's markers, once it is gone; its pipes closed."""
        assert child.proc.stdout is not None and child.proc.stdin is not None
        said = [line.strip() for line in child.proc.stdout.read().splitlines() if line.strip()]
        child.proc.stdout.close()
        child.proc.stdin.close()
        return said

    def measure(self, kind: str) -> tuple[float, list[str]]:
        """One whole operation in a child, timed from "go" to its "done" (the warehouse closed;
        the interpreter's exit after it is not the operation); its checks too."""
        child = self._spawn(kind, "measure")
        self._ready(child)
        started = self._go(child)
        assert child.proc.stdout is not None
        said = []
        while (line := child.proc.stdout.readline().strip()) not in ("done", ""):
            said.append(line)
        duration = time.monotonic() - started
        said += [line, *self._said(child)]
        code = child.proc.wait()
        if code != 0 or "done" not in said:
            err = (child.folder / "child.err").read_text(errors="replace")
            raise RuntimeError(f"the {kind} child failed with exit code {code}:\n{err}")
        problems = self.check(kind, child.folder, said)
        if not problems:
            shutil.rmtree(child.folder)
        return duration, problems

    def rounds(
        self,
        kind: str,
        count: int,
        *,
        kill_at: float | None = None,
        serve: bool = False,
        keep: bool = False,
        ahead: int = 2,
    ) -> KindReport:
        """`count` killed children of `kind`, each checked; the next child starts (imports)
        while the last one's folder is checked."""
        started = time.perf_counter()
        self.template(kind)
        duration, problems = self.measure(kind)
        if problems and not self.sabotage:
            raise AssertionError(f"a clean {kind} fails the checks: {problems}")
        self.log(f"  {kind}: one whole operation takes {duration:.3f} s")
        report = KindReport(kind, duration)
        rng = random.Random(f"{self.seed}-{kind}")
        # Children start `ahead` rounds early: their imports overlap the kills and checks.
        pending = deque(self._spawn(kind, f"round-{n:03d}") for n in range(min(ahead, count)))
        try:
            for number in range(count):
                child = pending.popleft()
                fraction = rng.uniform(0, LATE)
                delay = kill_at if kill_at is not None else fraction * duration
                self._ready(child)
                t0 = self._go(child)
                time.sleep(max(0.0, t0 + delay - time.monotonic()))
                exited = child.proc.poll() is not None
                if not exited:
                    child.proc.kill()  # SIGKILL
                code = child.proc.wait()
                said = self._said(child)
                if number + ahead < count:
                    pending.append(self._spawn(kind, f"round-{number + ahead:03d}"))
                problems = []
                if exited and code != 0:
                    err = (child.folder / "child.err").read_text(errors="replace")
                    problems.append(f"the child failed on its own (exit code {code}):\n{err}")
                mid = "done" not in said
                result = Round(kind, number, fraction, delay, mid, said, problems, child.folder)
                result.problems += self.check(kind, child.folder, said, into=result)
                report.rounds.append(result)
                if result.problems:
                    self.log("FAILED " + result.describe(self.replay))
                last = number + 1 == count
                if serve and last:
                    report.serve = serve_problems(child.folder)
                    if report.serve:
                        result.problems += report.serve
                        self.log(f"FAILED: attribution serve on {child.folder}: {report.serve}")
                if not (result.problems or keep or (serve and last)):
                    shutil.rmtree(child.folder, ignore_errors=True)
        finally:
            for left in pending:
                left.proc.kill()
                left.proc.wait()
                self._said(left)
        report.seconds = time.perf_counter() - started
        return report

    # -- checks of one round

    def check(
        self, kind: str, folder: Path, said: list[str], into: Round | None = None
    ) -> list[str]:
        try:
            problems = getattr(self, f"_check_{kind}")(folder, said, into)
        except Exception as exc:  # a warehouse that does not open, a failing re-run, ...
            problems = [f"{type(exc).__name__}: {exc}"]
        assert isinstance(problems, list)
        return problems + init_problems(folder)

    @contextmanager
    def _reopened(self, folder: Path, problems: list[str]) -> Iterator[Warehouse]:
        """The warehouse opened as the service opens it; migrate() must find nothing to do."""
        from attribution.warehouse.connection import Warehouse

        with Warehouse.open_path(folder / "wh.duckdb") as wh:
            if applied := wh.migrate():
                problems.append(f"migrate() applied {[m.version for m in applied]} again")
            yield wh

    def _committed(self, said: list[str], word: str) -> list[int]:
        return [int(s.split()[2]) for s in said if s.startswith(f"committed {word} ")]

    def _check_ingest(self, folder: Path, said: list[str], into: Round | None) -> list[str]:
        assert self.run is not None
        problems: list[str] = []
        with self._reopened(folder, problems) as wh:
            problems += batch_problems(wh.con) + run_problems(wh.con, self.run)
            counts = table_counts(wh.con, INGEST_TABLES)
            loaded = dict(
                wh.con.execute(
                    "SELECT kind, batch_id FROM ingest_batches WHERE status = 'loaded'"
                ).fetchall()
            )
            for kind, table in FACT_TABLES.items():
                whole = self.ingest_counts[table] if kind in loaded else 0
                if counts[table] != whole:
                    problems.append(f"{table} holds {counts[table]} rows, not {whole}")
                for batch_id in self._committed(said, kind):
                    if loaded.get(kind) != batch_id:
                        problems.append(f"batch {batch_id} ({kind}) was committed but is gone")
            ingest_all(wh, settings_of(folder), job_of(folder), lambda _: None)
            again = table_counts(wh.con, INGEST_TABLES)
            if again != self.ingest_counts:
                problems.append(
                    f"the ingest again gives {again}, a clean load {self.ingest_counts}"
                )
            problems += batch_problems(wh.con)
        return problems

    def _check_run(self, folder: Path, said: list[str], into: Round | None) -> list[str]:
        assert self.run is not None
        problems: list[str] = []
        with self._reopened(folder, problems) as wh:
            problems += batch_problems(wh.con) + run_problems(wh.con, self.run)
            if (counts := table_counts(wh.con, INGEST_TABLES)) != self.ingest_counts:
                problems.append(f"the run changed the loaded data: {counts}")
            runs = [
                int(r) for (r,) in wh.con.execute("SELECT run_id FROM attribution_runs").fetchall()
            ]
            if 1 not in runs or len(runs) > 2:
                problems.append(f"runs {runs} after one run was killed over run 1")
            problems += [
                f"run {r} was committed but is gone"
                for r in self._committed(said, "run")
                if r not in runs
            ]
            run_once(wh, settings_of(folder), job_of(folder), lambda _: None)
            after = [
                int(r) for (r,) in wh.con.execute("SELECT run_id FROM attribution_runs").fetchall()
            ]
            new = sorted(set(after) - set(runs))
            if len(new) != 1 or len(after) != len(runs) + 1 or new[0] <= max(runs, default=0):
                problems.append(f"the run again left runs {after} (before: {runs})")
            problems += run_problems(wh.con, self.run)
        return problems

    def snapshot_problems(self, folder: Path, after: bool) -> tuple[str, str, list[str]]:
        """Which clean snapshot the file equals ("old", "new" or ""), which the Parquet files
        do ("old", "new" or "mixed": each file is replaced alone), and what is wrong.
        after: the publish completed, so the file and every Parquet file must be the new."""
        import duckdb

        assert self.run is not None
        problems = []
        counts: Counts = {}
        try:
            con = duckdb.connect(str(folder / SNAPSHOT), read_only=True)
            try:
                counts = relation_counts(con)
                found = batch_problems(con) + run_problems(con, self.run)
                problems += [f"snapshot: {p}" for p in found]
            finally:
                con.close()
        except duckdb.Error as exc:
            problems.append(f"the snapshot does not open read-only or read whole: {exc}")
        state = "old" if counts == self.old else "new" if counts == self.new else ""
        if counts and (not state or (after and state != "new")):
            diff = {k: (v, self.old.get(k), self.new.get(k)) for k, v in counts.items()}
            problems.append(f"the snapshot is {state or 'neither old nor new'}: {diff}")
        parquet: Counts = {}
        reader = duckdb.connect()
        try:
            for path in sorted((folder / PARQUET).glob("*.parquet")):
                try:
                    parquet[path.stem] = _count(
                        reader, "SELECT count(*) FROM read_parquet(?)", [str(path)]
                    )
                except duckdb.Error as exc:
                    problems.append(f"{path.name} does not read: {exc}")
        finally:
            reader.close()
        if set(parquet) != set(self.new):
            problems.append(f"the Parquet files are {sorted(parquet)}, not {sorted(self.new)}")
        for name, n in parquet.items():
            allowed = {self.new.get(name)} if after else {self.old.get(name), self.new.get(name)}
            if n not in allowed:
                problems.append(f"{name}.parquet has {n} rows, not one of {allowed}")
        changed = [n for n in self.new if self.old[n] != self.new[n] and n in parquet]
        files = {"old" if parquet[n] == self.old[n] else "new" for n in changed}
        return state, files.pop() if len(files) == 1 else "mixed", problems

    def _check_publish(self, folder: Path, said: list[str], into: Round | None) -> list[str]:
        from attribution.warehouse.snapshot import publish

        snap = folder / SNAPSHOT.parent
        expected = sorted([SNAPSHOT.name, PARQUET.name])
        state, files, problems = self.snapshot_problems(folder, after="published" in said)
        if into is not None:
            into.snapshot, into.parquet = state, files
            into.leftovers = len([p for p in os.listdir(snap) if p not in expected])
        with self._reopened(folder, problems) as wh:
            problems += batch_problems(wh.con)
            assert self.run is not None
            problems += run_problems(wh.con, self.run)
            live = table_counts(wh.con, INGEST_TABLES)
            if any(live[t] != self.new[t] for t in INGEST_TABLES if t in self.new):
                problems.append(f"the publish changed the warehouse: {live}")
            publish(wh, settings_of(folder))
        if sorted(os.listdir(snap)) != expected:
            problems.append(f"after the next publish {snap} holds {sorted(os.listdir(snap))}")
        names = sorted(os.listdir(folder / PARQUET))
        if names != sorted(f"{n}.parquet" for n in self.new):
            problems.append(f"after the next publish {PARQUET} holds {names}")
        problems += self.snapshot_problems(folder, after=True)[2]
        return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="all")
    parser.add_argument("--rounds", type=int, default=50, help="kills per kind (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument(
        "--rows", type=int, default=5000, help="leads of the demo data (default 5000)"
    )
    parser.add_argument(
        "--kill-at", type=float, default=None, help="kill every round this many seconds after go"
    )
    parser.add_argument("--keep", action="store_true", help="keep every round's folder")
    parser.add_argument("--work", type=Path, default=None, help="folder (default: a temporary)")
    parser.add_argument("--no-serve", action="store_true", help="skip the serve check")
    parser.add_argument(
        "--sabotage",
        action="store_true",
        help="check the checks: children run without transactions and write the snapshot in "
        "place; rounds killed mid-operation should fail",
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), broken=args.sabotage)
        return
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    kinds = KINDS if args.kind == "all" else (args.kind,)
    print(f"chaos: --seed {seed} --rows {args.rows} --rounds {args.rounds} --kind {args.kind}")
    work = args.work or Path(tempfile_dir())
    started = time.perf_counter()
    harness = Harness(work, rows=args.rows, seed=seed, sabotage=args.sabotage)
    reports = []
    for kind in kinds:
        report = harness.rounds(
            kind, args.rounds, kill_at=args.kill_at, serve=not args.no_serve, keep=args.keep
        )
        print(report.summary(), flush=True)
        reports.append(report)
    failed = [r for report in reports for r in report.rounds if r.problems]
    print(
        f"total: {sum(len(r.rounds) for r in reports)} rounds, "
        f"{sum(r.mid for r in reports)} killed mid-operation, {len(failed)} failed, "
        f"{time.perf_counter() - started:.1f} s"
    )
    if args.work is None and not failed and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif failed or args.keep:
        print(f"folders kept under {work}")
    sys.exit(1 if failed else 0)


def tempfile_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="attribution-chaos-")


if __name__ == "__main__":
    main()
