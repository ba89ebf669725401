"""The class archive of a local Spark JVM (class-data sharing, JDK 13 and newer): the classes a
run loads, written once when a JVM exits, then mapped by every later JVM instead of being read
from Spark's jars and verified again (a new local session starts and runs its first statements
on less CPU).

The first local session in a folder has its JVM write `spark-classes-<key>.jsa.<pid>` there at
exit; a later session renames the finished file, deletes the archives of other keys, and starts
with it. The key names the PySpark version and the Java binary, so an upgrade makes a new
archive; a JVM ignores an archive that does not match it (and one that is not whole), and then
runs as without one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Final

# A JVM's archive is written at its exit: a file older than this is finished.
_SETTLED_S: Final = 120.0
# The JVM's own notices about classes it cannot archive (printed at exit) are of no use here.
_QUIET: Final = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def archive_options(folder: Path) -> str:
    """JVM options that use the folder's class archive, or write one at exit when there is none
    ('' when the folder cannot be written)."""
    final = folder / f"spark-classes-{_key()}.jsa"
    if not final.exists():
        _promote(final)
    if final.exists():
        return f"-XX:SharedArchiveFile={final} {_QUIET}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ""
    if not os.access(folder, os.W_OK) or any(_pending(final)):
        return ""  # another JVM is writing it
    return f"-XX:ArchiveClassesAtExit={final}.{os.getpid()} {_QUIET}"


def _pending(final: Path) -> list[Path]:
    return sorted(final.parent.glob(final.name + ".*"))


def _promote(final: Path) -> None:
    """Rename a finished archive (written by an earlier JVM) to its final name, and delete the
    archives of other keys (an earlier PySpark or Java: about 180 MB each, never used again; a
    JVM still mapping one keeps its pages)."""
    for written in _pending(final):
        with contextlib.suppress(OSError):
            if time.time() - written.stat().st_mtime > _SETTLED_S:
                written.replace(final)
                for stale in final.parent.glob("spark-classes-*.jsa*"):
                    if not stale.name.startswith(final.name):
                        stale.unlink(missing_ok=True)
                return


def _key() -> str:
    """The PySpark version and the Java binary (its path and time), hashed."""
    from pyspark import __version__

    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java") or ""
    real = os.path.realpath(java) if java else ""
    stamp = os.stat(real).st_mtime_ns if real and os.path.exists(real) else 0
    text = f"{__version__}|{real}|{stamp}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]
