"""ChannelAttribution's aggregated path files in, per-channel results out: no warehouse needed."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from attribution.errors import IngestError
from attribution.models.paths import Paths
from attribution.models.result import Credit
from attribution.warehouse.statements import statement

if TYPE_CHECKING:
    from attribution.models.bootstrap import Replicates

REQUIRED = ("path", "total_conversions")
OPTIONAL = ("total_conversion_value", "total_null")


def read_path_file(path: Path, sep: str = ">") -> Paths:
    """The paths of a CSV file in ChannelAttribution's format; fractional counts are kept."""
    if not path.is_file():
        raise IngestError(f"{path} does not exist or is not a file")
    con = duckdb.connect()
    try:
        con.execute(statement("paths/load_path_file"), {"path": str(path)})
        names = {str(d[0]).lower() for d in con.execute("DESCRIBE path_file").fetchall()}
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise IngestError(
                f"{path.name} lacks column(s) {', '.join(missing)}; a path file has path, "
                "total_conversions, total_conversion_value and total_null"
            )
        for optional in OPTIONAL:  # fixed names, never from the file
            if optional not in names:
                con.execute(f"ALTER TABLE path_file ADD COLUMN {optional} VARCHAR")
        rows = con.execute(statement("paths/read_path_file"), {"sep": sep}).fetchnumpy()
    except duckdb.Error as exc:
        raise IngestError(f"cannot read {path.name}: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    counts = np.stack(
        [
            np.ma.filled(rows[k].astype(np.float64), np.nan)
            for k in ("conversions", "value", "nulls")
        ]
    )
    if np.isnan(counts).any() or (counts[[0, 2]] < 0).any():
        raise IngestError(
            f"{path.name}: total_conversions, total_conversion_value and total_null must be "
            "numbers, the counts not negative"
        )
    if not len(rows["path_no"]):
        raise IngestError(f"{path.name} holds no path with a channel")
    path_no = rows["path_no"].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, path_no[1:] != path_no[:-1]])
    channels, codes = np.unique(rows["channel"].astype(str), return_inverse=True)
    return Paths(
        channels=tuple(str(c) for c in channels),
        offsets=np.r_[starts, len(path_no)].astype(np.int64),
        codes=codes.astype(np.int64),
        conversions=counts[0][starts],
        value=counts[1][starts],
        nulls=counts[2][starts],
    )


def write_results(
    credits: Sequence[Credit],
    out: Path,
    intervals: Mapping[str, Replicates] | None = None,
    level: float | None = None,
) -> None:
    """channel,model,conversions,value, one row per channel and model; with intervals, also
    conversions_low, conversions_high, value_low, value_high."""
    header = ["channel", "model", "conversions", "value"]
    if intervals is not None:
        header += ["conversions_low", "conversions_high", "value_low", "value_high"]
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for credit in credits:
            extra: list[list[str]] = [[] for _ in credit.channels]
            if intervals is not None and level is not None:
                found = intervals[credit.model]
                columns = [*found.bounds(level, "conversions"), *found.bounds(level, "value")]
                extra = [[repr(float(c[i])) for c in columns] for i in range(len(credit.channels))]
            order = sorted(range(len(credit.channels)), key=lambda i: credit.channels[i])
            writer.writerows(
                [
                    credit.channels[i],
                    credit.model,
                    repr(float(credit.conversions[i])),
                    repr(float(credit.value[i])),
                    *extra[i],
                ]
                for i in order
            )


def write_removal_effects(
    credit: Credit, out: Path, intervals: Replicates | None = None, level: float | None = None
) -> None:
    """channel,removal_effect_conversions,removal_effect_value of a Markov result; with
    intervals, also each one's _low and _high."""
    if credit.removal_conversions is None or credit.removal_value is None:
        raise ValueError(f"{credit.model} has no removal effects")
    columns = [credit.removal_conversions, credit.removal_value]
    header = ["channel", "removal_effect_conversions", "removal_effect_value"]
    if intervals is not None and level is not None:
        for figure, name in (("removal_conversions", "conversions"), ("removal_value", "value")):
            columns += intervals.bounds(level, figure)
            header += [f"removal_effect_{name}_low", f"removal_effect_{name}_high"]
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        order = sorted(range(len(credit.channels)), key=lambda i: credit.channels[i])
        writer.writerows([credit.channels[i], *(repr(float(c[i])) for c in columns)] for i in order)
