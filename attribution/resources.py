"""Where the shipped files are: the SQL statements, the report and page templates, and the
default config. A wheel carries them inside the package; a checkout (an editable install)
keeps them at the repository's top level."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(name: str) -> Path:
    """The shipped file or folder `name` (sql, reports, config.yaml)."""
    packaged = files("attribution").joinpath(name)
    if packaged.is_dir() or packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / name


SQL_DIR = shipped("sql")
TEMPLATES_DIR = shipped("reports")
DEFAULT_CONFIG = shipped("config.yaml")
