"""Every command example of README.md and docs/*.md runs as written and exits as the docs say.

The examples are the lines of the ```sh blocks that start with `attribution ` or
`.venv/bin/attribution ` (after any VAR=value assignments; a trailing `\\` or an open quote
continues a line), and the `Example` column of README's command table. Each runs in a copy of
one folder holding a small demo warehouse (`attribution demo --as-of 2026-11-23`, 1,500 leads,
4 weeks), its published snapshot, a config.yaml with the job the docs name, and the input files
the examples name. The clock is set to Tuesday 2026-11-24 08:00 UTC, the week after the demo's
data, so that the docs' dates (2026-W47, --as-of 2026-11-23) and "the last complete week" agree.

First `attribution COMMAND --help`: it exits with 0 and names every option the example uses;
then the example itself: it exits with 0, or with the code its page documents (EXIT_CODES).
The few that need a server, Spark, mail or paths outside the test folder are skipped (SKIP),
each with its reason."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from attribution import clock
from attribution.cli import main
from attribution.errors import AttributionError

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PROGRAM = re.compile(r"^(\.venv/bin/)?attribution$")

# Examples that cannot run here, by what they contain, and why. Every entry must match one.
SKIP = {
    "attribution serve": "starts the server (tests/test_api_server.py runs it)",
    "attribution jobs daemon": "runs the scheduler until stopped (tests/test_scheduler.py)",
    "attribution mail ": "sends email over SMTP (tests/test_mailer.py)",
    "--engine spark": "needs Spark and Java (tests/test_spark.py)",
    "/srv/": "writes outside the test folder",
    "--out /tmp/": "writes outside the test folder",
    "/var/backups/": "writes or reads a folder outside the test folder",
    "DIR/": "DIR stands for the reader's folder",
}
# Examples whose page documents another exit code than 0: example -> (code, where it says so).
# None today: every example that runs here exits with 0.
EXIT_CODES: dict[str, tuple[int, str]] = {}

CONFIG = """\
warehouse: {path: data/demo/attribution.duckdb}
demo: {leads: 1500, weeks: 4}
jobs:
  definitions:  # docs/jobs.md's job, without its ingest and email steps (no drop folder, no mail)
    - name: weekly-report
      cron: "0 7 * * mon"
      timezone: Europe/Bucharest
      steps: [report, snapshot]
"""
# The input files the examples name, as a newcomer would have them.
INPUTS = {
    "crm_export.csv": "id,dateadded,source,lead_value\nCRM-1,2026-11-20 09:30,1,1200\n"
    "CRM-2,2026-11-21 10:00,2,800\n",
    "deals.jsonl": '{"deal_id": "D-1", "lead_id": "L000001", "won_on": "2026-11-22T10:00:00Z", '
    '"amount": 900}\n',
    "deals.csv": "event_id,lead_id,occurred_at,amount,currency\n"
    "E-1,L000002,2026-11-21T10:00:00Z,500,EUR\n",
    "paths.csv": "path,total_conversions,total_conversion_value,total_null\n"
    "Paid Search > Email,3,300,10\nPaid Social,1,50,20\nEmail > Paid Social,2,120,5\n",
}
DEMO_INPUTS = ("leads.csv", "touches.parquet")  # copied from the demo's input files
# Examples documented as an interactive prompt: they run on a terminal (a pseudo-terminal
# here) where these lines are typed, and must show the prompt and the answer.
ON_A_TERMINAL: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {
    ("sql",): ("SELECT count(*) AS leads FROM leads;\n.quit\n", ("sql> ", " 1500", "1 row in"))
}


@dataclass(frozen=True)
class Example:
    where: str  # page:line
    text: str  # as written, continuation lines joined

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)

    def parts(self) -> tuple[dict[str, str], list[str], str | None]:
        """The variables it sets, the command's arguments, and the file stdout goes to."""
        words = self.words
        env: dict[str, str] = {}
        while "=" in words[0] and not PROGRAM.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        assert PROGRAM.match(words.pop(0)), self
        out = None
        if ">" in words:
            at = words.index(">")
            out, words = words[at + 1], words[:at]
        return env, words, out


def _sh_lines(page: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of each command of the page's ```sh blocks, continuations joined."""
    in_block, pending, start = False, "", 0
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_block, pending = line.strip() == "```sh", ""
            continue
        if not in_block:
            continue
        if not pending:
            start = number
        pending += line.removesuffix("\\") + ("\n" if not line.endswith("\\") else " ")
        if line.endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quote that a later line closes
            continue
        yield start, pending.strip()
        pending = ""


def _table_examples(page: Path) -> Iterator[tuple[int, str]]:
    """README's command table: its `Example` column."""
    lines = page.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Command |"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[header])]
    column = cells.index("Example")
    for number in range(header + 2, len(lines)):
        if not lines[number].startswith("|"):
            break
        cell = re.split(r"(?<!\\)\|", lines[number])[column].strip()
        yield number + 1, cell.strip("`").replace("\\|", "|")


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        lines = list(_sh_lines(page))
        if page.name == "README.md":
            lines += list(_table_examples(page))
        for number, text in lines:
            words = shlex.split(text, comments=True)
            while words and "=" in words[0] and not PROGRAM.match(words[0]):
                words.pop(0)
            if words and PROGRAM.match(words[0]):
                found.append(Example(f"{name}:{number}", text))
    return found


EXAMPLES = examples()


def skip_reason(example: Example) -> str | None:
    normal = re.sub(r"(?m)^\.venv/bin/", "", example.text)
    return next((why for what, why in SKIP.items() if what in normal), None)


def test_the_examples_are_found_and_every_skip_is_used() -> None:
    assert len(EXAMPLES) >= 45
    pages = {e.where.split(":")[0] for e in EXAMPLES}
    assert {"README.md", "docs/ingest.md", "docs/warehouse.md", "docs/jobs.md"} <= pages
    for what in SKIP:
        assert any(what in e.text for e in EXAMPLES), f"SKIP {what!r} matches no example"
    for text in EXIT_CODES:
        assert any(text == e.text for e in EXAMPLES), f"EXIT_CODES {text!r} is no example"
    ran = [e for e in EXAMPLES if skip_reason(e) is None]
    assert len(ran) >= 2 * (len(EXAMPLES) - len(ran)), "most examples run"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder every example starts from (each gets its own copy)."""
    folder = tmp_path_factory.mktemp("docs-examples")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    with frozen_clock(), pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for var in [v for v in os.environ if v.startswith("ATTRIBUTION_")]:
            mp.delenv(var)  # e.g. ATTRIBUTION_TEST_OUTPUT, which is no setting
        for args in (["demo", "--as-of", "2026-11-23"], ["snapshot"]):
            result = invoke(args, {})
            assert result.exit_code == 0, result.output
    for name in DEMO_INPUTS:
        shutil.copy(folder / "data" / "demo" / "input" / name, folder / name)
    for name, text in INPUTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    yield folder


@contextlib.contextmanager
def frozen_clock() -> Iterator[None]:
    """attribution.clock.now() answers NOW inside."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clock, "now", lambda: NOW)
        yield


def invoke(args: list[str], env: dict[str, str]) -> click.testing.Result:
    return CliRunner().invoke(main, args, env=env, input="", catch_exceptions=False)


def command_path(args: list[str]) -> list[str]:
    """The words of args that name the (sub)command, e.g. ["sources", "add"]."""
    path: list[str] = []
    command: click.Command | None = main
    with click.Context(main) as ctx:
        for word in args:
            if not isinstance(command, click.Group):
                break
            command = command.get_command(ctx, word)  # main loads its commands when asked
            if command is None:
                break
            path.append(word)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.where} {e.text[:60]}" for e in EXAMPLES])
def test_the_example_runs_as_documented(
    example: Example,
    demo_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = skip_reason(example)
    if reason is not None:
        pytest.skip(reason)
    env, args, out = example.parts()
    for var in [v for v in os.environ if v.startswith("ATTRIBUTION_")]:
        monkeypatch.delenv(var)
    folder = tmp_path / "here"
    shutil.copytree(demo_folder, folder)
    monkeypatch.chdir(folder)

    path = command_path(args)
    assert path, f"{example.where}: {args[0]!r} is not a command"
    helped = invoke([*path, "--help"], {})
    assert helped.exit_code == 0, helped.output
    for option in (w.split("=")[0] for w in args if w.startswith("--")):
        assert option in helped.output, f"`attribution {' '.join(path)} --help` lacks {option}"

    expected, _why = EXIT_CODES.get(example.text, (0, ""))
    if tuple(args) in ON_A_TERMINAL:
        typed, shown = ON_A_TERMINAL[tuple(args)]
        code, output = on_a_terminal(args, env, typed)
        assert all(text in output for text in shown), output
    else:
        with frozen_clock():
            result = invoke(args, env)
        code, output = result.exit_code, result.output
        if out is not None:
            (folder / out).write_text(result.stdout, encoding="utf-8")
    assert code == expected, f"{example.where}: `{example.text}` exited with {code}:\n{output}"
    assert "Traceback" not in output


def on_a_terminal(args: list[str], env: dict[str, str], typed: str) -> tuple[int, str]:
    """Run the command in a subprocess on a pseudo-terminal that has `typed` waiting."""
    main_end, command_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "attribution", *args],
        stdin=command_end,
        stdout=command_end,
        stderr=command_end,
        env={**os.environ, **env},
    )
    os.close(command_end)
    os.write(main_end, typed.encode())
    output = b""
    with contextlib.suppress(OSError):  # EIO once the command has ended
        while chunk := os.read(main_end, 4096):
            output += chunk
    os.close(main_end)
    return process.wait(timeout=60), output.decode(errors="replace")


# --------------------------------------------------------------------------------------------
# README and --help agree: the options they name exist, the exit codes they list are the codes
# --------------------------------------------------------------------------------------------


def commands(
    command: click.Command = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The path of every command and subcommand, e.g. ("sources", "add")."""
    yield path
    if isinstance(command, click.Group):
        with click.Context(main) as ctx:
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, name
                yield from commands(sub, (*path, name))


def help_of(path: tuple[str, ...] | list[str]) -> str:
    result = invoke([*path, "--help"], {})
    assert result.exit_code == 0, result.output
    return result.output


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))


def test_the_examples_in_help_texts_use_real_commands_and_options() -> None:
    """Each `Example:` line of a --help names an existing command and only its options."""
    checked = 0
    for path in commands():
        text = help_of(path).replace("\\\n", " ")  # a line continued with \
        for line in text.splitlines():
            line = line.strip().rsplit("| ", 1)[-1]  # `echo ... | attribution sql ...`
            words = shlex.split(line, comments=True) if "attribution " in line else []
            while words and "=" in words[0] and not PROGRAM.match(words[0]):
                words.pop(0)
            if not words or not PROGRAM.match(words[0]):
                continue
            args = words[1 : words.index(">")] if ">" in words else words[1:]
            while args and args[0] == "--config":  # a global option, before the command
                args = args[2:]
            named = command_path(args)
            assert named, f"`attribution {' '.join(path)} --help`: {line!r} names no command"
            unknown = options_in(" ".join(args)) - options_in(help_of(named))
            assert not unknown, f"{line!r}: `attribution {' '.join(named)}` has no {unknown}"
            checked += 1
    assert checked >= 40


def test_readme_command_table_names_only_real_options() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Command |"))
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        name = re.split(r"(?<!\\)\|", line)[1].strip().strip("`").split()[0]
        known = "".join(help_of(path) for path in commands() if path[:1] == (name,))
        assert options_in(line) <= options_in(known), (name, options_in(line) - options_in(known))


def test_readme_lists_every_exit_code() -> None:
    """README's exit-code table has a row for each code the commands exit with."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", text, re.M)}
    codes = {0, 2, 70}  # success; click's usage error; the internal error of cli/app.py
    stack: list[type[AttributionError]] = [AttributionError]
    while stack:
        error = stack.pop()
        codes.add(error.exit_code)
        stack += error.__subclasses__()
    assert listed == codes
