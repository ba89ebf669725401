"""Configuration: defaults, overrides, and errors that name key, value and what is allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from attribution.cli import main
from attribution.config import iter_keys, load_settings
from attribution.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent  # the repository


def test_shipped_config_loads_with_documented_defaults() -> None:
    s = load_settings(ROOT / "config.yaml", environ={})
    assert s.ingest.timezone == "UTC"
    assert s.ingest.unknown_sources == "create"
    assert s.resolve(s.warehouse.path) == ROOT / "data" / "attribution.duckdb"


def test_environment_overrides_nested_keys(tmp_path: Path) -> None:
    env = {
        "ATTRIBUTION_INGEST__TIMEZONE": "Europe/Bucharest",
        "ATTRIBUTION_INGEST__CURRENCY_RATES": "{EUR: 1.08}",
        "ATTRIBUTION_WAREHOUSE__PATH": str(tmp_path / "x.duckdb"),
    }
    s = load_settings(ROOT / "config.yaml", environ=env)
    assert s.ingest.timezone == "Europe/Bucharest"
    assert s.ingest.currency_rates == {"EUR": 1.08}
    assert s.warehouse.path == tmp_path / "x.duckdb"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("ingest: {unknown_sources: maybe}", ["ingest.unknown_sources", "'maybe'", "'create'"]),
        ("ingest: {timezone: Mars/Olympus}", ["ingest.timezone", "'Mars/Olympus'", "IANA"]),
        ("ingest: {base_currency: dollars}", ["ingest.base_currency", "'dollars'", "[A-Z]{3}"]),
        ("ingest: {currency_rates: {EUR: -1}}", ["ingest.currency_rates", "positive"]),
        ("warehouse: {threads: -2}", ["warehouse.threads", "-2", "greater than or equal to 0"]),
        ("warehouse: {pathh: x.duckdb}", ["unknown key 'warehouse.pathh'", "path"]),
        ("- just a list", ["must hold a mapping"]),
        ("reports: {models: [linear, markof]}", ["reports.models", "markof", "valid: ", "markov"]),
        ("reports: {primary_model: lineer}", ["reports.primary_model", "lineer", "linear"]),
        (
            "jobs: {definitions: [{name: w, cron: '0 7 * * mon', steps: [report], "
            "models: [shapely]}]}",
            ["jobs.definitions", "models: unknown shapely", "valid: ", "shapley"],
        ),
    ],
)
def test_bad_values_name_key_value_and_what_is_allowed(
    tmp_path: Path, yaml_text: str, expected: list[str]
) -> None:

    path = tmp_path / "config.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    for part in expected:
        assert part in str(info.value)


def test_error_from_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"ATTRIBUTION_DEMO__LEADS: demo\.leads = 'many'"):
        load_settings(ROOT / "config.yaml", environ={"ATTRIBUTION_DEMO__LEADS": "many"})


def test_config_is_found_as_named_then_in_the_current_folder_then_built_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config / ATTRIBUTION_CONFIG, else ./config.yaml, else the shipped defaults; relative
    paths start at the config file's folder, or at the current folder for the defaults."""
    empty, own, other = tmp_path / "empty", tmp_path / "own", tmp_path / "other"
    for folder in (empty, own, other):
        folder.mkdir()
    (own / "config.yaml").write_text("warehouse: {path: wh/own.duckdb}\n", encoding="utf-8")
    (other / "named.yaml").write_text("warehouse: {path: named.duckdb}\n", encoding="utf-8")

    monkeypatch.chdir(empty)
    builtin = load_settings(environ={})
    assert builtin.source.startswith("built-in defaults")
    assert builtin.resolve(builtin.warehouse.path) == empty / "data" / "attribution.duckdb"

    monkeypatch.chdir(own)
    local = load_settings(environ={})
    assert local.source == str(own / "config.yaml")
    assert local.resolve(local.warehouse.path) == own / "wh" / "own.duckdb"

    by_env = load_settings(environ={"ATTRIBUTION_CONFIG": str(other / "named.yaml")})
    assert by_env.resolve(by_env.warehouse.path) == other / "named.duckdb"
    by_arg = load_settings(other / "named.yaml", environ={"ATTRIBUTION_CONFIG": "nope.yaml"})
    assert by_arg.source == str(other / "named.yaml")


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml", environ={})


def test_every_key_is_documented_in_the_docs_and_config() -> None:
    """docs/configuration.md has a table row for every key; config.yaml sets every key."""
    repo = Path(__file__).resolve().parent.parent
    docs = (repo / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([\w.]+)` \|", docs, re.M))
    shipped = (repo / "config.yaml").read_text(encoding="utf-8")
    keys = list(iter_keys())
    assert len(keys) >= 10
    for key, description in keys:
        assert description, f"{key} has no description"
        assert key in rows, f"docs/configuration.md has no table row for {key}"
        assert re.search(rf"^\s*{key.rsplit('.', 1)[-1]}:", shipped, re.M), (
            f"config.yaml lacks {key}"
        )


SECTIONS = (
    "engine, warehouse, ingest, api, registry, demo, reports, snapshot, sql, mail, jobs, admin, "
    "spark, retention"
)


@pytest.mark.parametrize(
    ("yaml_text", "line"),
    [
        (
            "ingst: {timezone: UTC}",
            f"unknown section 'ingst'; did you mean 'ingest'? Sections: {SECTIONS}",
        ),
        ("enigne: spark", f"unknown section 'enigne'; did you mean 'engine'? Sections: {SECTIONS}"),
        ("colours: {a: 1}", f"unknown section 'colours'. Sections: {SECTIONS}"),
        (
            "mail: {hots: smtp.example.com}",
            "unknown key 'mail.hots'; did you mean 'host'? Keys here: host, port, security, user, "
            "sender, attach, report_base_url, timeout_seconds, retries, retry_backoff_seconds",
        ),
        (
            "warehouse: {pathh: x.duckdb}",
            "unknown key 'warehouse.pathh'; did you mean 'path'? "
            "Keys here: path, memory_limit, threads",
        ),
        (
            "jobs: {definitions: [{name: w, cron: '0 7 * * mon', steps: [run], recipent: [a@b]}]}",
            "unknown key 'jobs.definitions[0] ('w').recipent'; did you mean 'recipients'? "
            "Keys here: name, cron, timezone, steps, period, drop_folder, models, lookback_days, "
            "recipients, enabled",
        ),
    ],
    ids=["section", "top-level key", "no close name", "mail key", "warehouse key", "job key"],
)
def test_an_unknown_name_suggests_the_closest_and_lists_the_known_ones(
    tmp_path: Path, yaml_text: str, line: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert str(info.value).splitlines() == ["Invalid configuration:", f"  {path}: {line}"]


def test_an_unknown_section_set_by_a_variable_names_the_variable() -> None:
    env = {"ATTRIBUTION_INGST__TIMEZONE": "UTC"}
    with pytest.raises(ConfigError) as info:
        load_settings(ROOT / "config.yaml", environ=env)
    assert str(info.value).splitlines()[1] == (
        f"  ATTRIBUTION_INGST__TIMEZONE: unknown section 'ingst'; did you mean 'ingest'? "
        f"Sections: {SECTIONS}"
    )


EMAIL_JOB = {
    "name": "weekly",
    "cron": "0 7 * * mon",
    "steps": ["report", "snapshot", "email"],
    "recipients": ["ana@example.com"],
}


def _email_config(tmp_path: Path, mail: dict[str, str]) -> Path:
    path = tmp_path / "config.yaml"
    data = {"mail": mail, "jobs": {"definitions": [EMAIL_JOB]}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _needs(path: Path, key: str, what: str) -> str:
    var = "ATTRIBUTION_" + key.replace(".", "__").upper()
    return (
        f"  {path}: jobs.definitions[0] ('weekly'): the email step needs {key}, {what}: "
        f"set it (or {var}), or take email out of steps"
    )


def test_an_email_job_without_a_mail_host_is_refused_at_load(tmp_path: Path) -> None:
    """Not at run time, after its report and snapshot steps ran."""
    path = _email_config(tmp_path, {"host": ""})
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert str(info.value).splitlines() == [
        "Invalid configuration:",
        _needs(path, "mail.host", "the SMTP server"),
    ]
    result = CliRunner().invoke(main, ["--config", str(path), "jobs", "list"], env={})
    assert result.exit_code == 2
    assert "the email step needs mail.host" in result.output
    loaded = load_settings(path, environ={"ATTRIBUTION_MAIL__HOST": "smtp.example.com"})
    assert loaded.mail.host == "smtp.example.com"


def test_an_email_job_names_every_mail_setting_it_lacks(tmp_path: Path) -> None:
    path = _email_config(tmp_path, {"host": " ", "sender": "", "attach": "link"})
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert str(info.value).splitlines() == [
        "Invalid configuration:",
        _needs(path, "mail.host", "the SMTP server"),
        _needs(path, "mail.sender", "the From address"),
        _needs(path, "mail.report_base_url", "the reports' address, as mail.attach is link"),
    ]


def test_mail_settings_are_not_needed_without_an_email_step(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    job = {**EMAIL_JOB, "steps": ["report", "snapshot"]}
    path.write_text(
        yaml.safe_dump({"mail": {"host": "", "sender": ""}, "jobs": {"definitions": [job]}}),
        encoding="utf-8",
    )
    assert load_settings(path, environ={}).jobs.definitions[0].steps == ["report", "snapshot"]
