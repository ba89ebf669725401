"""The class archive of a local Spark JVM: written once at a JVM's exit, then shared; a real
JVM (java -version) writes and maps it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from attribution.engine import sparkjvm

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")


def _java(options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["java", *shlex.split(options), "-version"], capture_output=True, text=True, check=False
    )


def test_the_first_jvm_writes_the_archive_and_a_later_one_maps_it(tmp_path: Path) -> None:
    first = sparkjvm.archive_options(tmp_path)
    assert f"-XX:ArchiveClassesAtExit={tmp_path}/spark-classes-" in first
    assert first.split()[0].endswith(f".jsa.{os.getpid()}")
    assert _java(first).returncode == 0
    (written,) = tmp_path.glob("spark-classes-*.jsa.*")
    # Being written (or just written): no second writer, and not shared yet.
    assert sparkjvm.archive_options(tmp_path) == ""
    old = written.stat().st_mtime - 600
    os.utime(written, (old, old))
    shared = sparkjvm.archive_options(tmp_path)
    final = written.with_suffix("")  # the pid dropped
    assert shared.split()[0] == f"-XX:SharedArchiveFile={final}"
    assert final.exists() and not written.exists()
    # -Xshare:on fails when the archive cannot be mapped: this one can.
    mapped = _java(shared + " -Xshare:on")
    assert mapped.returncode == 0, mapped.stderr
    assert "sharing" in mapped.stderr


def test_a_new_archive_replaces_those_of_other_keys(tmp_path: Path) -> None:
    """An upgrade of PySpark or Java makes a new key: the old archive (about 180 MB) goes
    once the new one is finished, and an unrelated file stays."""
    stale = tmp_path / "spark-classes-000000000000.jsa"
    stale.write_bytes(b"old")
    unrelated = tmp_path / "lake.parquet"
    unrelated.write_bytes(b"keep")
    first = sparkjvm.archive_options(tmp_path)
    written = Path(first.split()[0].split("=", 1)[1])
    written.write_bytes(b"new")
    old = written.stat().st_mtime - 600
    os.utime(written, (old, old))
    shared = sparkjvm.archive_options(tmp_path)
    final = written.with_suffix("")
    assert shared.split()[0] == f"-XX:SharedArchiveFile={final}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([final.name, unrelated.name])


def test_a_broken_archive_is_ignored_and_cds_notices_are_quiet(tmp_path: Path) -> None:
    first = sparkjvm.archive_options(tmp_path)
    final = Path(first.split()[0].split("=", 1)[1]).with_suffix("")
    final.write_bytes(b"not an archive")
    options = sparkjvm.archive_options(tmp_path)
    assert options.startswith(f"-XX:SharedArchiveFile={final}")
    ran = _java(options)
    assert ran.returncode == 0
    assert "warning" not in ran.stderr.lower() and "error" not in ran.stderr.lower()


def test_an_unwritable_folder_gives_no_options(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert sparkjvm.archive_options(blocked / "sub") == ""
