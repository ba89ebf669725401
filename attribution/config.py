"""Settings: one typed object from config.yaml, overridden by ATTRIBUTION_* variables.

The config file is, in order: --config / ATTRIBUTION_CONFIG, ./config.yaml in the current
folder, or the built-in defaults (the config.yaml shipped with the package). Relative paths
start at the config file's folder; with the built-in defaults, at the current folder."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from attribution.errors import ConfigError
from attribution.models import DEFAULT_MODELS, MODELS
from attribution.resources import DEFAULT_CONFIG

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

ENV_PREFIX = "ATTRIBUTION_"
# Secrets are read from the environment only, never from config.yaml.
SMTP_PASSWORD_ENV = "ATTRIBUTION_SMTP_PASSWORD"
_NOT_KEYS = ("ATTRIBUTION_CONFIG", SMTP_PASSWORD_ENV)
LOCAL_CONFIG = "config.yaml"  # looked for in the current folder


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class WarehouseSettings(_Section):
    path: Path = Field(
        Path("data/attribution.duckdb"),
        description="The DuckDB file of the warehouse; relative paths start at the config file.",
    )
    memory_limit: str = Field(
        "",
        description="DuckDB memory limit such as '4GB'; empty lets DuckDB choose (80% of RAM).",
        pattern=r"^(|\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB))$",
    )
    threads: int = Field(0, ge=0, le=512, description="DuckDB worker threads; 0 uses every core.")


class IngestSettings(_Section):
    timezone: str = Field(
        "UTC",
        description="IANA zone for timestamps that carry no offset; all are stored in UTC.",
    )
    base_currency: str = Field(
        "USD",
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code every amount is stored in.",
    )
    currency_rates: dict[str, float] = Field(
        default_factory=dict,
        description="Other currencies accepted: units of base currency per unit, e.g. EUR: 1.08.",
    )
    unknown_sources: Literal["create", "reject"] = Field(
        "create",
        description="A lead or touch naming a source not in the registry: create it "
        "(channel Unassigned, counted as a data-quality finding) or reject the row.",
    )
    progress_min_mb: float = Field(
        20.0,
        ge=0,
        description="Show a progress bar when the files of one command add up to this many MB.",
    )
    max_columns: int = Field(
        1000,
        ge=1,
        description="Most columns (or JSON keys) one file may have; refused before it is read.",
    )
    max_rows: int = Field(
        50_000_000, ge=1, description="Most rows one file may have (CLI; see api.max_upload_rows)."
    )
    max_decompressed_bytes: int = Field(
        68_719_476_736,
        ge=1024,
        description="Most bytes a .gz file may expand to (CLI; see api.max_decompressed_bytes).",
    )
    small_upload_bytes: int = Field(
        65_536,
        ge=0,
        description="A leads file (CSV, JSON) of at most this many bytes loads in fewer "
        "statements, with the same result; 0 = never.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError("must be an IANA time zone such as UTC or Europe/Bucharest") from exc
        return value

    @field_validator("currency_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for code, rate in value.items():
            if len(code) != 3 or not code.isalpha() or not code.isupper():
                raise ValueError(f"currency code {code!r} must be three capital letters")
            if not rate > 0:
                raise ValueError(f"rate for {code} must be a positive number")
        return value


class ApiSettings(_Section):
    auth_failures_limit: int = Field(
        10,
        ge=1,
        le=100_000,
        description="Failed token attempts a client may make in the window before it gets 429.",
    )
    auth_failures_window_seconds: float = Field(
        60.0, gt=0, le=86_400, description="The window of `api.auth_failures_limit`, seconds."
    )
    host: str = Field("127.0.0.1", description="Address `attribution serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `attribution serve` listens on.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or networks) of reverse proxies whose X-Forwarded-For is "
        "believed; empty: none, the client address is the connection's own.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network; write e.g. 10.0.0.0/24"
                ) from None
        return value

    compat_404: bool = Field(
        False,
        description="Answer as the original CRM API does: 404 for a missing or bad token, an "
        "empty list and invalid fields (instead of 401, 200 [] and 422).",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body accepted (413 above it)."
    )
    max_upload_bytes: int = Field(
        268_435_456, ge=1024, description="Largest ingest upload accepted (413 above it)."
    )
    backups_per_hour: int = Field(
        4,
        ge=1,
        le=1000,
        description="Backups POST /api/v1/backups may make in any hour (429 past it); one at a "
        "time.",
    )
    backups_keep: int = Field(
        7,
        ge=1,
        le=10_000,
        description="API backups kept in each backups folder: older ones are removed once a new "
        "one is complete.",
    )
    max_upload_rows: int = Field(
        5_000_000, ge=1, description="Most rows one ingest upload may have (413 above it)."
    )
    max_decompressed_bytes: int = Field(
        1_073_741_824,
        ge=1024,
        description="Most bytes a compressed ingest upload may expand to (413 above it).",
    )
    max_compression_ratio: float = Field(
        100.0,
        ge=1,
        description="Most an ingest upload may expand by when decompressed (413 above it).",
    )


class RegistrySettings(_Section):
    default_source: str = Field(
        "",
        description="Name of the source given to leads that name none; it cannot be deleted. "
        "Empty: such leads keep no source.",
    )


class DemoSettings(_Section):
    output_dir: Path = Field(
        Path("data/demo"),
        description="Where `attribution demo` writes its warehouse, input files and summary.",
    )
    seed: int = Field(7, description="Random seed of the demo data set (same seed, same data).")
    leads: int = Field(20_000, ge=100, le=5_000_000, description="Leads in the demo data set.")
    weeks: int = Field(16, ge=2, le=156, description="Weeks of history in the demo data set.")


class ReportSettings(_Section):
    output_dir: Path = Field(
        Path("data/reports"),
        description="Where `attribution report` writes reports (a folder each) and their index.",
    )
    models: list[str] = Field(
        default_factory=lambda: list(DEFAULT_MODELS),
        min_length=1,
        description="Models a report compares, side by side.",
    )
    primary_model: str = Field(
        "markov",
        description="The model of the headline, the trend and ROAS chart; one of `reports.models`.",
    )
    lookback_days: float = Field(
        30.0, gt=0, le=3650, description="Days before a conversion whose touches count."
    )
    trend_weeks: int = Field(8, ge=2, le=104, description="Weeks the trend chart shows.")
    intervals: bool = Field(
        True,
        description="Bootstrap intervals on every model's credit, stored with the run and shown "
        "in reports; false: none (a run as before, a little faster).",
    )
    interval_level: float = Field(
        0.9, gt=0, lt=1, description="Level of the intervals: 0.9 gives the 5th to 95th percentile."
    )
    resamples: int = Field(
        200, ge=20, le=10000, description="Bootstrap replicates of the intervals."
    )
    interval_seed: int = Field(
        0, ge=0, description="Seed of the intervals' resampling: the same seed, the same intervals."
    )

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: list[str]) -> list[str]:
        return _checked_models(value)

    @field_validator("primary_model")
    @classmethod
    def _known_primary(cls, value: str) -> str:
        return _checked_models([value])[0]


class SnapshotSettings(_Section):
    path: Path = Field(
        Path("data/snapshot/attribution.duckdb"),
        description="The analysts' read-only copy of the warehouse, published by the service.",
    )
    storage_version: str = Field(
        "",
        description="DuckDB storage version of the snapshot, e.g. `v1.5.0` for older DuckDB "
        "clients; empty: the current one.",
    )
    parquet_dir: Path | None = Field(
        None,
        description="Also write every table and analyst view as Parquet files here; empty: no.",
    )
    publish_after_ingest: bool = Field(
        True, description="`attribution serve` publishes a snapshot after each ingest and run."
    )


class SqlSettings(_Section):
    timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="`attribution sql` stops a query after this long."
    )
    max_rows: int = Field(
        10_000, ge=1, le=10_000_000, description="`attribution sql` prints at most this many rows."
    )
    memory_limit_mb: int = Field(
        2048,
        ge=64,
        le=1_048_576,
        description="`attribution sql` refuses a query that needs more memory than this (MB).",
    )


class MailSettings(_Section):
    host: str = Field("", description="SMTP server; empty: no email is sent.")
    port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS).")
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="`starttls`, `tls` (implicit TLS) or `none` (local relays only)."
    )
    user: str = Field(
        "",
        description="SMTP login; empty: no login. The password comes only from the "
        f"environment variable {SMTP_PASSWORD_ENV}.",
    )
    sender: str = Field("attribution@localhost", description="The From address.")
    attach: Literal["csv", "csv_and_report", "link"] = Field(
        "csv",
        description="`csv`: attach the CSV files; `csv_and_report`: also the report as a zip; "
        "`link`: attach nothing, link to the report under `mail.report_base_url`.",
    )
    report_base_url: str = Field(
        "",
        description="Where recipients reach `/reports/` of the service, e.g. "
        "`https://attribution.example.com`; used for links in emails.",
    )
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="SMTP connection timeout.")
    retries: int = Field(3, ge=0, le=20, description="Attempts after a failed send.")
    retry_backoff_seconds: float = Field(
        5.0, ge=0, le=3600, description="Wait before the first retry; doubled each time."
    )


class AdminSettings(_Section):
    language: Literal["en", "ro"] = Field(
        "en", description="Language of the admin page: `en` (English) or `ro` (Romanian)."
    )
    session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="How long an admin sign-in lasts."
    )
    secure_cookies: bool = Field(
        False,
        description="Mark the admin and reports session cookies Secure (set true behind HTTPS).",
    )


class RetentionSettings(_Section):
    full_runs: int = Field(
        13,
        ge=1,
        le=100_000,
        description="Attribution runs whose per-conversion rows (drill-down) are kept, newest "
        "first; older runs keep their per-channel, per-source and per-day credit and the figures "
        "of their reports' periods. The latest report's run is always kept.",
    )
    report_folders: int = Field(
        52,
        ge=0,
        le=100_000,
        description="Built report folders kept in `reports.output_dir`, latest period first; "
        "0 keeps all.",
    )
    job_history_days: int = Field(
        365,
        ge=0,
        le=36_500,
        description="Days of job history kept (each job's latest run is always kept); 0 keeps all.",
    )
    backup_folders: list[Path] = Field(
        default_factory=list,
        description="Folders `attribution backup DIR` writes to, pruned like the API's backups "
        "folder to `api.backups_keep` backups each.",
    )


JOB_STEPS = ("ingest", "run", "report", "snapshot", "email", "prune")
_JOB_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class JobSettings(_Section):
    """One scheduled job: when it runs and what it does."""

    name: str = Field(description="Unique name: lower-case letters, digits, - and _.")
    cron: str = Field(
        description="Cron expression: five fields (minute hour day month weekday), e.g. "
        "`0 7 * * mon`, or six with seconds first."
    )
    timezone: str = Field("UTC", description="IANA time zone the cron expression is read in.")
    steps: list[str] = Field(
        min_length=1, description=f"Steps in order, some of: {', '.join(JOB_STEPS)}."
    )
    period: Literal["last_complete_week", "last_7_days", "yesterday"] = Field(
        "last_complete_week", description="What the run and report cover, at the scheduled time."
    )
    drop_folder: Path | None = Field(
        None,
        description="For `ingest`: a folder with subfolders leads/, touches/, revenue/, spend/.",
    )
    models: list[str] | None = Field(None, description="Default: `reports.models`.")
    lookback_days: float | None = Field(None, gt=0, le=3650)
    recipients: list[str] = Field(default_factory=list, description="For `email`.")
    enabled: bool = True


class JobsSettings(_Section):
    run_in_serve: bool = Field(
        True, description="`attribution serve` runs the scheduler beside the API."
    )
    misfire_grace_seconds: int = Field(
        3600,
        ge=1,
        le=7 * 86400,
        description="A run missed while the service was down runs once on start-up if it is "
        "at most this late.",
    )
    retries: int = Field(2, ge=0, le=20, description="Attempts after a failed step.")
    retry_backoff_seconds: float = Field(
        30.0, ge=0, le=3600, description="Wait before a step's first retry; doubled each time."
    )
    definitions: list[JobSettings] = Field(
        default_factory=list, description="The jobs (see docs/jobs.md)."
    )

    @model_validator(mode="after")
    def _check_jobs(self) -> JobsSettings:
        problems: list[str] = []
        seen: set[str] = set()
        for i, job in enumerate(self.definitions):
            where = f"jobs.definitions[{i}] ({job.name!r})"
            if not _JOB_NAME.match(job.name):
                problems.append(f"{where}: name must be lower-case letters, digits, - and _")
            if job.name in seen:
                problems.append(f"{where}: name is used by another job")
            seen.add(job.name)
            problems += [f"{where}: {p}" for p in _job_problems(job)]
        if problems:
            raise ValueError("\n  ".join(problems))
        return self


def _checked_models(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(MODELS)}")
    return names


def cron_trigger(expression: str, zone: ZoneInfo) -> CronTrigger:
    """APScheduler's trigger of a cron expression: five fields, or six with seconds first."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) == 6:
        second, minute, hour, day, month, weekday = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            timezone=zone,
        )
    if len(fields) != 5:
        raise ValueError(f"it has {len(fields)} fields")
    return CronTrigger.from_crontab(expression, timezone=zone)


def _job_problems(job: JobSettings) -> list[str]:
    """What is wrong with one job, each naming its key."""
    problems = []
    try:
        zone = ZoneInfo(job.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(f"timezone {job.timezone!r} is not an IANA zone such as Europe/Bucharest")
        zone = ZoneInfo("UTC")
    try:
        cron_trigger(job.cron, zone)
    except ValueError as exc:
        problems.append(f"cron {job.cron!r} is not a cron expression of five fields ({exc})")
    bad_models = [m for m in job.models or [] if m not in MODELS]
    if bad_models:
        problems.append(f"models: unknown {', '.join(bad_models)}; valid: {', '.join(MODELS)}")
    unknown = [s for s in job.steps if s not in JOB_STEPS]
    if unknown:
        problems.append(f"steps: unknown {', '.join(unknown)}; known: {', '.join(JOB_STEPS)}")
    if "ingest" in job.steps and job.drop_folder is None:
        problems.append("drop_folder is needed by the ingest step")
    if "email" in job.steps and not job.recipients:
        problems.append("recipients are needed by the email step")
    steps = job.steps
    if "prune" in steps and "report" in steps and steps.index("prune") < steps.index("report"):
        problems.append("steps: prune must come after report (it keeps the latest report)")
    if "email" in job.steps and "report" not in job.steps:
        problems.append("steps: email sends the report, so report must come before it")
    elif "email" in job.steps and job.steps.index("email") < job.steps.index("report"):
        problems.append("steps: report must come before email")
    return problems


def _unset_for_steps(job: JobSettings, mail: MailSettings) -> list[str]:
    """Settings outside the job that its steps need and that are not set, each naming the key."""
    if "email" not in job.steps:
        return []
    needs = []
    if not mail.host.strip():
        needs.append(("mail.host", "the SMTP server"))
    if not mail.sender.strip():
        needs.append(("mail.sender", "the From address"))
    if mail.attach == "link" and not mail.report_base_url.strip():
        needs.append(("mail.report_base_url", "the reports' address, as mail.attach is link"))
    return [
        f"the email step needs {key}, {what}: set it (or "
        f"{ENV_PREFIX}{key.replace('.', '__').upper()}), or take email out of steps"
        for key, what in needs
    ]


SparkValue = str | bool | int | float
_SPARK_CONF: dict[str, SparkValue] = {
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
}


class SparkSettings(_Section):
    master: str = Field(
        "local[2]",
        description="Spark master of a classic session: local[N] (this machine, N cores), "
        "spark://host:7077, yarn or k8s://...; not used when `spark.remote` is set.",
    )
    remote: str = Field(
        "", description="Spark Connect URL of a cluster, e.g. sc://spark-host:15002; empty: none."
    )
    lake_path: str = Field(
        "",
        description="Where Spark reads touches, leads, revenue_events and spend (Parquet: a "
        "folder or URI holding <table>.parquet or <table>/); empty: exported from the "
        "warehouse to `spark.export_dir` before each run.",
    )
    export_dir: Path = Field(
        Path("data/lake"), description="Folder the warehouse's tables are exported to for Spark."
    )
    conf: dict[str, SparkValue] = Field(
        default_factory=lambda: dict(_SPARK_CONF),
        description="Extra Spark settings (name: value), passed to the session as given.",
    )


class Settings(_Section):
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Where `attribution run` computes: duckdb (in memory, from the warehouse) "
        "or spark (the same SQL on Spark; results stored in the warehouse).",
    )
    warehouse: WarehouseSettings = Field(
        default_factory=WarehouseSettings, description="The DuckDB warehouse."
    )
    ingest: IngestSettings = Field(
        default_factory=IngestSettings, description="How files are read and validated."
    )
    api: ApiSettings = Field(default_factory=ApiSettings, description="The HTTP API.")
    registry: RegistrySettings = Field(
        default_factory=RegistrySettings, description="The lead-source registry."
    )
    demo: DemoSettings = Field(default_factory=DemoSettings, description="The demo data set.")
    reports: ReportSettings = Field(
        default_factory=ReportSettings, description="The weekly report."
    )
    snapshot: SnapshotSettings = Field(
        default_factory=SnapshotSettings, description="The analysts' snapshot."
    )
    sql: SqlSettings = Field(default_factory=SqlSettings, description="`attribution sql`.")
    mail: MailSettings = Field(default_factory=MailSettings, description="Email (SMTP).")
    jobs: JobsSettings = Field(default_factory=JobsSettings, description="Scheduled jobs.")
    admin: AdminSettings = Field(
        default_factory=AdminSettings, description="The admin page at /admin/leads/sources."
    )
    spark: SparkSettings = Field(
        default_factory=SparkSettings, description="The Spark engine (`engine: spark`)."
    )
    retention: RetentionSettings = Field(
        default_factory=RetentionSettings,
        description="What `attribution prune` and the prune job step keep.",
    )
    base_dir: Path = Field(
        Path("."), exclude=True, description="Folder relative paths start at (set by the loader)."
    )
    source: str = Field(
        "", exclude=True, description="Where the settings come from (set by the loader)."
    )

    @model_validator(mode="after")
    def _check_job_needs(self) -> Settings:
        problems = [
            f"jobs.definitions[{i}] ({job.name!r}): {problem}"
            for i, job in enumerate(self.jobs.definitions)
            for problem in _unset_for_steps(job, self.mail)
        ]
        if problems:
            raise ValueError("\n  ".join(problems))
        return self

    def resolve(self, path: Path) -> Path:
        """An absolute path: relative ones start at the config file's folder."""
        return path if path.is_absolute() else (self.base_dir / path).resolve()


def iter_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every documented key as (dotted.name, description), sections expanded."""
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from iter_keys(annotation, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field.description or ""


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Nested values from ATTRIBUTION_SECTION__KEY variables, and which variable set each key."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for var in sorted(v for v in environ if v.startswith(ENV_PREFIX) and v not in _NOT_KEYS):
        raw = environ[var]
        parts = [p.lower() for p in var[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise ConfigError(
                f"{var}: the value {raw[:60]!r} is not valid YAML ({first}); quote it, e.g. "
                f"{var}='\"...\"'"
            ) from None
        node = values
        for depth, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                other = origin.get(".".join(parts[: depth + 1]), "another variable")
                raise ConfigError(f"{var} sets a key inside {other}, which holds a value")
        if isinstance(node.get(parts[-1]), dict):
            raise ConfigError(f"{var} sets a value where other variables set keys inside it")
        node[parts[-1]] = value
        origin[".".join(parts)] = var
    return values, origin


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The settings model that holds the keys at `loc` (e.g. ("jobs", "definitions", 0))."""
    model: type[BaseModel] = Settings
    parts = list(loc)
    while parts:
        field = model.model_fields.get(str(parts.pop(0)))
        annotation = field.annotation if field is not None else None
        if get_args(annotation) and parts and isinstance(parts[0], int):  # list[JobSettings]
            parts.pop(0)
            annotation = get_args(annotation)[0]
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _unknown(key: str, name: str, parent: tuple[int | str, ...]) -> str:
    """An unknown section or key, with the closest known names and every known one."""
    model = _model_at(parent)
    known = [k for k, f in model.model_fields.items() if not f.exclude] if model else []
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    if not parent:
        return f"unknown section {name!r}{guess} Sections: {', '.join(known)}"
    return f"unknown key '{key}'{guess} Keys here: {', '.join(known)}"


def _describe(
    exc: ValidationError, source: str, origin: dict[str, str], data: dict[str, Any]
) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        key = ".".join(str(p) for p in loc)
        # The variable that set the key, or a key inside it (an unknown section set by one).
        where = origin.get(key) or next(
            (var for k, var in origin.items() if key and k.startswith(key + ".")), source
        )
        if loc[:2] == ["jobs", "definitions"] and len(loc) > 2 and isinstance(loc[2], int):
            key = f"jobs.definitions[{loc[2]}] ({_job_name(data, loc[2])!r})" + "".join(
                f".{p}" for p in loc[3:]
            )
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}: {_unknown(key, str(loc[-1]), err['loc'][:-1])}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            lines.append(f"{where}: {key} is required")
        elif len(loc) <= 1 and isinstance(err["input"], dict):  # a section: msg names keys
            lines += [f"{where}: {part.strip()}" for part in msg.split("\n")]
        else:
            lines.append(f"{where}: {key} = {err['input']!r} is not allowed: {msg}")
    return "Invalid configuration:\n  " + "\n  ".join(lines)


def _job_name(data: dict[str, Any], index: int) -> str:
    try:
        return str(data["jobs"]["definitions"][index].get("name", "?"))
    except (KeyError, IndexError, TypeError, AttributeError):
        return "?"


ConfigOrigin = Literal["named", "local", "built-in"]


def find_config(path: Path | str | None, environ: Mapping[str, str]) -> tuple[Path, ConfigOrigin]:
    """The config file and how it was found: PATH or ATTRIBUTION_CONFIG (named), else
    ./config.yaml (local), else the config.yaml shipped with the package (built-in)."""
    named = path or environ.get("ATTRIBUTION_CONFIG")
    if named:
        return Path(named), "named"
    local = Path.cwd() / LOCAL_CONFIG
    return (local, "local") if local.is_file() else (DEFAULT_CONFIG, "built-in")


def load_settings(
    path: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """The settings of PATH, else of ATTRIBUTION_CONFIG, else of ./config.yaml, else the
    built-in defaults; ATTRIBUTION_* overrides applied, validated; ConfigError if bad."""
    environ = os.environ if environ is None else environ
    config_path, origin_of_file = find_config(path, environ)
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            text = config_path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{config_path} is not UTF-8 text; save it as UTF-8") from None
        except OSError as exc:
            raise ConfigError(f"{config_path} cannot be read: {exc.strerror}") from None
        try:
            loaded = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2026-02-30
            raise ConfigError(f"{config_path} is not valid YAML: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{config_path} is nested too deeply to read") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{config_path} must hold a mapping of sections (warehouse:, ...)")
        data = loaded or {}
    elif origin_of_file == "named":
        raise ConfigError(f"config file {config_path} does not exist; pass an existing --config")
    overrides, origin = _env_overrides(environ)
    data = _merge(data, overrides)
    builtin = origin_of_file == "built-in"
    data["base_dir"] = Path.cwd() if builtin else config_path.resolve().parent
    data["source"] = f"built-in defaults ({config_path})" if builtin else str(config_path.resolve())
    try:
        return Settings.model_validate(data)
    except RecursionError:
        raise ConfigError(f"{config_path}: a value is nested too deeply") from None
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(config_path), origin, data)) from None
