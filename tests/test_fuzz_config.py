"""Configuration under bad input: property-based fuzzing of config.yaml and ATTRIBUTION_* variables.

The property: `load_settings` either returns Settings, or raises ConfigError whose message
names where the problem is: the config file, or the variable that set the value, and (for a
value) the key. Never another exception, never a traceback.

Hypothesis (derandomized) writes config files of every section and key, each value either its
default or anything YAML can hold (null, booleans, huge integers, NaN, infinities, dates,
strings that YAML reads as something else, lists, maps with non-string keys), unknown sections
and keys, sections that are not maps, whole files that are not maps, job definitions with bad
names, crons, zones and steps, and raw text that is not YAML at all. Environment overrides set
known and unknown keys with junk values.

Six inputs once crashed load_settings with another exception; each has a regression test at
the end. The strategies still leave them out of the property (the tests below cover them)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attribution.config import ENV_PREFIX, Settings, iter_keys, load_settings
from attribution.errors import ConfigError

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
DEFAULTS: dict[str, Any] = Settings().model_dump(mode="json")
KEYS = [key for key, _ in iter_keys()]
SECTIONS = sorted({key.split(".")[0] for key in KEYS if "." in key})
TOP_LEVEL = [key for key in KEYS if "." not in key]  # keys outside any section: engine

# Strings YAML reads as something else, or that a validator may choke on.
TRICKY = (
    "",
    " ",
    "~",
    "null",
    "yes",
    "off",
    "0x1F",
    "0o17",
    "1_000",
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "2026-13-45",
    "12:30:00",
    "Mars/Olympus",
    "../../etc/passwd",
    "a" * 300,
    "UTC\x00",
    "Europe/Bucharest",
    "4GB",
    "4 gb",
    "-1",
    "*/0 * * * *",
    "0 7 * * mon",
    "0 0 31 2 *",
    "61 * * * *",
    "x y z a b c",
    "ingest",
    "email",
    "markov",
    "EUR",
    "€",
    "\u202e",
)
SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(TRICKY),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(),
)
KEY_TYPES: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=12), st.integers(-3, 3), st.none(), st.booleans(), st.sampled_from(KEYS)
)
ANYTHING: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY_TYPES, inner, max_size=3),
    max_leaves=8,
)


def default_of(key: str) -> Any:
    if "." not in key:
        return DEFAULTS[key]
    section, name = key.split(".", 1)
    return DEFAULTS[section][name]


def value_for(key: str) -> st.SearchStrategy[Any]:
    """The key's default half the time (so that whole files load), anything otherwise."""
    good = st.just(default_of(key))
    if key == "jobs.definitions":
        return st.one_of(good, st.lists(jobs(), max_size=3), ANYTHING)
    if key == "ingest.currency_rates":
        rates = st.dictionaries(
            st.sampled_from(["EUR", "GBP", "eur", "E", "", "EURO"]),
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(1.08), SCALARS),
            max_size=3,
        )
        return st.one_of(good, rates, ANYTHING)
    return st.one_of(good, good, ANYTHING)


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True one time in n. Hypothesis starts from the first of sampled values, so the usual
    case comes first (st.integers(0, n) == 0 would start from the rare one)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def jobs(draw: st.DrawFn) -> Any:
    """A job definition: mostly plausible fields, any of them junk."""
    fields = {
        "name": st.sampled_from(["weekly-report", "nightly", "Bad Name", "", "a" * 70, "x"]),
        "cron": st.sampled_from(["0 7 * * mon", "*/5 * * * *", "0 0 * * * *", *TRICKY]),
        "timezone": st.sampled_from(["UTC", "Europe/Bucharest", "Mars/Olympus", "a" * 300, ""]),
        "steps": st.lists(
            st.sampled_from(["ingest", "run", "report", "snapshot", "email", "dance"]), max_size=4
        ),
        "period": st.sampled_from(["last_complete_week", "last_7_days", "yesterday", "decade"]),
        "drop_folder": st.sampled_from(["data/drop", "", "/tmp"]),
        "models": st.lists(st.sampled_from(["markov", "linear", "nope"]), max_size=2),
        "lookback_days": st.sampled_from([30, 0, -1, 1e9, "x"]),
        "recipients": st.lists(
            st.sampled_from(["a@example.com", "", "not an address"]), max_size=2
        ),
        "enabled": st.booleans(),
    }
    job = {}
    for name, strategy in fields.items():
        if not draw(one_in(4)):
            job[name] = draw(st.one_of(strategy, strategy, strategy, ANYTHING))
    if draw(one_in(6)):
        job[draw(st.text(max_size=8))] = draw(ANYTHING)
    return job


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """The content of a config file, as the object YAML would load."""
    if draw(one_in(20)):
        return draw(ANYTHING)  # a file that is not a map of sections at all
    doc: dict[Any, Any] = {}
    for section in draw(st.lists(st.sampled_from(SECTIONS), unique=True, max_size=len(SECTIONS))):
        if draw(one_in(15)):
            doc[section] = draw(ANYTHING)  # a section that is not a map
            continue
        keys = [k for k in KEYS if k.startswith(section + ".")]
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        doc[section] = {k.split(".", 1)[1]: draw(value_for(k)) for k in chosen}
        if draw(one_in(10)):
            doc[section][draw(st.text(min_size=1, max_size=10))] = draw(ANYTHING)
    for key in TOP_LEVEL:
        if draw(one_in(3)):
            doc[key] = draw(value_for(key))
    if draw(one_in(10)):
        doc[draw(KEY_TYPES)] = draw(ANYTHING)  # an unknown section, or a key that is no string
    return doc


def as_yaml(doc: Any, flow: bool) -> str:
    return yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True, sort_keys=False)


RAW_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "warehouse: [",
            "warehouse: {path: x",
            "- a\n- b\n",
            "&a [*a]",
            "warehouse: *undefined",
            "!!python/object:os.system {}",
            "warehouse:\n\tpath: x\n",
            "? [a, b]\n: c\n",
            "warehouse: {path: x}\nwarehouse: {path: y}\n",
            "%YAML 9.9\n---\na: 1\n",
            "---\na: 1\n---\nb: 2\n",
            "\ufeffwarehouse: {threads: 1}\n",
        ]
    ),
)


def env_names() -> st.SearchStrategy[str]:
    known = [ENV_PREFIX + k.replace(".", "__").upper() for k in KEYS]
    junk = [
        ENV_PREFIX,
        ENV_PREFIX + "_",
        ENV_PREFIX + "__",
        ENV_PREFIX + "WAREHOUSE",
        ENV_PREFIX + "NOPE__KEY",
        ENV_PREFIX + "WAREHOUSE__PATHH",
        ENV_PREFIX + "JOBS__DEFINITIONS__0",
        ENV_PREFIX + "ingest__timezone",
        ENV_PREFIX + "BASE_DIR",
        ENV_PREFIX + "CONFIG",
        ENV_PREFIX + "SMTP_PASSWORD",
        "attribution_warehouse__path",
        "OTHER_VARIABLE",
    ]
    return st.one_of(st.sampled_from(known), st.sampled_from(junk))


def env_values() -> st.SearchStrategy[str]:
    """Raw variable values: YAML text of anything, tricky strings, arbitrary text."""
    dumped = ANYTHING.map(lambda v: json.dumps(v, default=str) if _jsonable(v) else str(v))
    return st.one_of(st.sampled_from(TRICKY), st.text(max_size=30), dumped)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, default=str)
    except (TypeError, ValueError):
        return False
    return True


def _parses(raw: str) -> bool:
    """Whether PyYAML reads the text without raising anything but a YAMLError."""
    try:
        yaml.safe_load(raw)
    except yaml.YAMLError:
        return False
    except ValueError:  # a date that does not exist, e.g. 2026-02-30: pinned below
        return False
    return True


def _no_crash(raw: str) -> bool:
    """Whether PyYAML reads the text, or refuses it with a YAMLError (which config.py names)."""
    try:
        yaml.safe_load(raw)
    except yaml.YAMLError:
        return True
    except ValueError:
        return False
    return True


def _parts(var: str) -> list[str]:
    return [p.lower() for p in var[len(ENV_PREFIX) :].split("__") if p]


@st.composite
def environments(draw: st.DrawFn) -> dict[str, str]:
    env = draw(st.dictionaries(env_names(), env_values(), max_size=4))
    ours = {k: v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    # Covered by the regression tests below: a value that is not YAML, or a date that does not
    # exist, and a variable naming a key under another variable's key.
    assume(all(_parses(v) for v in ours.values() if v.strip()))
    paths = [_parts(k) for k in ours]
    assume(not any(a != b and b[: len(a)] == a for a in paths for b in paths))
    return env


def check(path: Path, env: dict[str, str]) -> None:
    """The property, for one config file and environment."""
    try:
        loaded = load_settings(path, environ=env)
    except ConfigError as exc:
        message = str(exc)
        assert message.strip()
        assert "Traceback" not in message
        sources = [str(path), *(k for k in env if k.startswith(ENV_PREFIX))]
        assert any(source in message for source in sources), message
        if message.startswith("Invalid configuration:"):
            # Each problem starts a line with its source (a key holding a newline breaks the
            # line it is on, so only the starts of problems are checked).
            first = message.splitlines()[1].strip()
            assert any(first.startswith(f"{s}: ") for s in sources), first
            problems = sum(
                message.count(kind)
                for kind in (" is not allowed", ": unknown key ", ": unknown section ")
            )
            assert sum(message.count(f"{s}: ") for s in sources) >= min(problems, 1)
    else:
        assert isinstance(loaded, Settings)
        assert loaded.base_dir == path.resolve().parent


@FUZZ
@given(doc=documents(), flow=st.booleans(), env=environments())
def test_any_config_file_loads_or_is_refused_naming_the_key(
    tmp_path_factory: pytest.TempPathFactory, doc: Any, flow: bool, env: dict[str, str]
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(as_yaml(doc, flow), encoding="utf-8")
    check(path, env)


@FUZZ
@given(text=RAW_TEXT)
def test_any_text_as_config_loads_or_is_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    assume(_no_crash(text))  # a date that does not exist: pinned below
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text(text, encoding="utf-8")
    check(path, {})


@FUZZ
@given(env=environments())
def test_any_environment_loads_or_is_refused_naming_the_variable(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    path.write_text("", encoding="utf-8")
    check(path, env)


def test_the_defaults_load_and_a_bad_value_names_its_key(tmp_path: Path) -> None:
    """The outcomes the fuzzing checks, shown once plainly."""
    path = tmp_path / "config.yaml"
    path.write_text(as_yaml(DEFAULTS, False), encoding="utf-8")
    assert load_settings(path, environ={}).model_dump(mode="json") == DEFAULTS
    when = {"ATTRIBUTION_DEMO__SEED": str(datetime(2026, 1, 1))}
    with pytest.raises(ConfigError, match=r"ATTRIBUTION_DEMO__SEED: demo\.seed = datetime"):
        load_settings(path, environ=when)
    doc = {**DEFAULTS, "api": {**DEFAULTS["api"], "port": math.inf}}
    path.write_text(as_yaml(doc, True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml: api\.port = inf is not allowed"):
        load_settings(path, environ={})


# --------------------------------------------------------------------------------------------
# What the fuzzing found: crashes in config.py, now refused with a ConfigError that names the
# file or the variable.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["{", "@team", "*Organic", "`x`", "a: b: c"])
def test_an_override_that_is_not_yaml_is_refused_naming_its_variable(raw: str) -> None:
    """`yaml.safe_load(raw)` in _env_overrides is not guarded: the YAML error escapes, and the
    CLI exits with 70 (internal error) instead of 2 naming the variable."""
    with pytest.raises(ConfigError, match="ATTRIBUTION_REGISTRY__DEFAULT_SOURCE"):
        load_settings(environ={"ATTRIBUTION_REGISTRY__DEFAULT_SOURCE": raw})


@pytest.mark.parametrize(
    "env",
    [
        {"ATTRIBUTION_WAREHOUSE__PATH": "x.duckdb", "ATTRIBUTION_WAREHOUSE__PATH__DEEPER": "y"},
        {"ATTRIBUTION_WAREHOUSE": "5", "ATTRIBUTION_WAREHOUSE__PATH": "x.duckdb"},
    ],
    ids=["key under a key", "key under a section"],
)
def test_an_override_under_another_overrides_key_is_refused(env: dict[str, str]) -> None:
    """_env_overrides descends into the value the first variable set: `'str' object does not
    support item assignment`. In the other order of the variables it is silently ignored."""
    with pytest.raises(ConfigError, match="ATTRIBUTION_WAREHOUSE"):
        load_settings(environ=env)


def test_a_config_file_that_is_not_utf8_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes("warehouse:\n  path: Jos\xe9.duckdb\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=str(path)):
        load_settings(path, environ={})


def test_a_config_path_that_is_a_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=str(tmp_path)):
        load_settings(tmp_path, environ={})


def test_a_deeply_nested_config_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("warehouse: " + "[" * 5000 + "]" * 5000, encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_settings(path, environ={})


@pytest.mark.parametrize("where", ["file", "variable"])
def test_a_date_that_does_not_exist_is_refused_naming_where(tmp_path: Path, where: str) -> None:
    """PyYAML reads 2026-02-30 as a date and raises ValueError (not a YAMLError) for it, in the
    file and in an override alike: "day is out of range for month", exit code 70."""
    path = tmp_path / "config.yaml"
    path.write_text("demo: {seed: 2026-02-30}\n" if where == "file" else "", encoding="utf-8")
    env = {"ATTRIBUTION_DEMO__SEED": "2026-02-30"} if where == "variable" else {}
    with pytest.raises(ConfigError, match="ATTRIBUTION_DEMO__SEED" if env else str(path)):
        load_settings(path, environ=env)
