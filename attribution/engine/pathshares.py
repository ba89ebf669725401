"""The path-determined models of a SQL run, computed here on the run's distinct paths with the
in-memory engine's own functions (models.run_models), and handed to the SQL engine as each
(path, position)'s share of a conversion and of its value: the engine multiplies them by its
step cells (sql/models/step_cells.sql) in one aggregation (share_cells.sql).

A model whose credit the path fixes gives every journey of a path the same split: the touch
credit of a distinct path divided by its conversions (and its value) is that split, so a
journey's credit is its conversion (its value) times its path's shares, as the in-memory
engine computes journey by journey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from attribution.models import ModelOptions, markov, run_models
from attribution.models.paths import Floats, Paths
from attribution.models.result import Credit

# Models whose credit depends on more than the path (each touch's time): a statement of their own.
PER_JOURNEY = ("time_decay",)


@dataclass(frozen=True)
class Shares:
    """Each path-determined model's credit per channel, and the shares of every touch of the
    converting distinct paths: model, path_key, pos (from 1), channel, conversion_share and
    value_share (one row per model and touch)."""

    credits: list[Credit]
    table: pa.Table
    conversion: dict[str, Floats]  # model -> per touch of the paths (0 off converting paths)
    value: dict[str, Floats]


def compute(
    paths: Paths,
    keys: pa.Array | pa.ChunkedArray,
    largest_value: Floats,
    names: Sequence[str],
    options: ModelOptions,
) -> Shares:
    """The named models (none of PER_JOURNEY) on the distinct paths (keys: each path's
    path_key, in the order of paths; largest_value: the largest absolute value of one of its
    journeys, for Markov's per-conversion fit, which measures its error per journey)."""
    credits = _credits(paths, largest_value, names, options)
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    keys = keys.cast(pa.string())
    owner = paths.path_of_touch
    conv, value = paths.conversions[owner], paths.value[owner]
    converting = np.flatnonzero(conv > 0)
    channel_names = pa.array(paths.channels, pa.string())
    columns: dict[str, list[pa.Array]] = {k: [] for k in _COLUMNS}
    by_conv: dict[str, Floats] = {}
    by_value: dict[str, Floats] = {}
    for credit in credits:
        conv_share = _ratio(credit.touch_conversions, conv, np.zeros(len(conv)))
        # A path whose journeys' values sum to 0 has no value to split: its conversion shares.
        value_share = _ratio(credit.touch_value, value, conv_share)
        by_conv[credit.model], by_value[credit.model] = conv_share, value_share
        touches = pa.array(converting)
        columns["model"].append(pa.array([credit.model] * len(converting), pa.string()))
        columns["path_key"].append(keys.take(pa.array(owner[converting])))
        columns["pos"].append(pa.array(paths.position[converting] + 1, pa.int32()))
        columns["channel"].append(channel_names.take(pa.array(paths.codes[converting])))
        columns["conversion_share"].append(pa.array(conv_share).take(touches))
        columns["value_share"].append(pa.array(value_share).take(touches))
    table = pa.table(
        {k: pa.concat_arrays(v) if v else pa.array([], _COLUMNS[k]) for k, v in columns.items()}
    )
    # The SQL runs store per-channel credit only, no per-touch rows.
    kept = [replace(c, touch_conversions=np.zeros(0), touch_value=np.zeros(0)) for c in credits]
    return Shares(kept, table, by_conv, by_value)


_COLUMNS = {
    "model": pa.string(),
    "path_key": pa.string(),
    "pos": pa.int32(),
    "channel": pa.string(),
    "conversion_share": pa.float64(),
    "value_share": pa.float64(),
}


def _ratio(part: Floats, whole: Floats, otherwise: Floats) -> Floats:
    """part / whole where whole is not 0, else otherwise."""
    out: Floats = np.divide(part, whole, out=otherwise.copy(), where=whole != 0)
    return out


def _credits(
    paths: Paths, largest_value: Floats, names: Sequence[str], options: ModelOptions
) -> list[Credit]:
    """Each model's credit on the paths, as the in-memory engine computes it on journeys."""
    if not paths.n_paths:
        return _empty(paths, names, options)
    # A path stands for many journeys: Markov's per-journey fit measures its error per journey.
    one = (paths.conversions > 0).astype(np.float64)
    on_journeys = replace(paths, most=np.vstack([one, largest_value]))
    return run_models(on_journeys, names, options)


def _empty(paths: Paths, names: Sequence[str], options: ModelOptions) -> list[Credit]:
    """No paths (a run without journeys): every model credits nothing."""
    from attribution.models import check_names

    zeros = np.zeros(paths.n_channels)
    return [
        Credit(
            markov.model_name(options.order) if name == "markov" else name,
            paths.channels,
            zeros,
            zeros,
            np.zeros(0),
            np.zeros(0),
        )
        for name in check_names(names)
    ]
