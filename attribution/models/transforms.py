"""Path transforms, applied left to right before any model (spec: "Path transforms").

Each is a mask over the touches of all paths at once; none loops over paths."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from attribution.errors import AttributionError
from attribution.models.paths import Paths

Mask = NDArray[np.bool_]
TRANSFORMS = (
    "unique",
    "exposure",
    "first",
    "frequency",
    "trim_long_path",
    "remove_if_not_all",
    "remove_if_last_and_not_all",
)
_CALL = re.compile(r"^(?P<name>[a-z_]+)(?:\((?P<arg>[^()]*)\))?$")


def _keep(paths: Paths, keep: Mask) -> Paths:
    """The paths with only the kept touches (a transform never empties a path)."""
    counts = np.add.reduceat(keep.astype(np.int64), paths.offsets[:-1])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Paths(
        channels=paths.channels,
        offsets=offsets,
        codes=paths.codes[keep],
        conversions=paths.conversions,
        value=paths.value,
        nulls=paths.nulls,
        gaps=None if paths.gaps is None else paths.gaps[keep],
        sources=None if paths.sources is None else paths.sources[keep],
    )


def _code(paths: Paths, channel: str) -> int:
    return paths.channels.index(channel) if channel in paths.channels else -1


def exposure(paths: Paths) -> Paths:
    """Collapse consecutive repeats of a channel."""
    keep = np.ones(len(paths.codes), dtype=bool)
    keep[1:] = (paths.codes[1:] != paths.codes[:-1]) | (paths.position[1:] == 0)
    return _keep(paths, keep)


def first(paths: Paths) -> Paths:
    """Keep each channel's first occurrence in a path."""
    key = paths.path_of_touch * max(paths.n_channels, 1) + paths.codes
    _, first_index = np.unique(key, return_index=True)
    keep = np.zeros(len(paths.codes), dtype=bool)
    keep[first_index] = True
    return _keep(paths, keep)


def frequency(paths: Paths) -> Paths:
    """Keep each channel's first occurrence, renamed with its count: A > B > A > A gives
    A(3) > B(1) (as fractribution's frequency transform)."""
    counts = paths.channel_touch_counts
    kept = first(paths)
    key = paths.path_of_touch * max(paths.n_channels, 1) + paths.codes
    _, first_index = np.unique(key, return_index=True)
    kept_counts = counts[np.sort(first_index)]
    labels = paths.codes[np.sort(first_index)] * (int(counts.max(initial=1)) + 1) + kept_counts
    uniq, new_codes = np.unique(labels, return_inverse=True)
    base = int(counts.max(initial=1)) + 1
    names = tuple(f"{paths.channels[int(u) // base]}({int(u) % base})" for u in uniq)
    return Paths(
        channels=names,
        offsets=kept.offsets,
        codes=new_codes.ravel().astype(np.int64),
        conversions=kept.conversions,
        value=kept.value,
        nulls=kept.nulls,
        gaps=kept.gaps,
        sources=kept.sources,
    )


def trim_long_path(paths: Paths, n: int) -> Paths:
    """Keep the last n touches; n <= 0 keeps all."""
    if n <= 0:
        return paths
    return _keep(paths, paths.position >= np.repeat(paths.lengths, paths.lengths) - n)


def _all_x(paths: Paths, is_x: Mask) -> Mask:
    per_path = np.minimum.reduceat(is_x.astype(np.int64), paths.offsets[:-1]).astype(bool)
    return np.repeat(per_path, paths.lengths)


def remove_if_not_all(paths: Paths, channel: str) -> Paths:
    """Drop every touch of channel unless that empties the path."""
    is_x = paths.codes == _code(paths, channel)
    return _keep(paths, ~is_x | _all_x(paths, is_x))


def remove_if_last_and_not_all(paths: Paths, channel: str) -> Paths:
    """Drop the trailing run of channel unless the path is all that channel."""
    is_x = paths.codes == _code(paths, channel)
    index = np.arange(len(paths.codes), dtype=np.int64)
    last_other = np.maximum.reduceat(np.where(is_x, -1, index), paths.offsets[:-1])
    trailing = index > np.repeat(last_other, paths.lengths)
    return _keep(paths, ~trailing | _all_x(paths, is_x))


def parse(spec: str) -> tuple[str, str]:
    """A transform written as `exposure`, `trim_long_path(5)` or `remove_if_not_all(Direct)`:
    its name and argument ("" for none); AttributionError for one not known."""
    match = _CALL.match(spec.strip())
    name = match["name"] if match else spec
    arg = (match["arg"] or "").strip() if match else ""
    known = (
        name in ("unique", "exposure", "first", "frequency")
        or (name == "trim_long_path" and arg.lstrip("-").isdigit())
        or (name in ("remove_if_not_all", "remove_if_last_and_not_all") and arg != "")
    )
    if not known:
        raise AttributionError(
            f"unknown transform {spec!r}; use {', '.join(TRANSFORMS)}, e.g. "
            "trim_long_path(5) or remove_if_not_all(Direct)"
        )
    return name, arg


def apply(paths: Paths, specs: list[str]) -> Paths:
    """Apply transforms written as `exposure`, `trim_long_path(5)`, `remove_if_not_all(Direct)`."""
    for spec in specs:
        name, arg = parse(spec)
        if name == "exposure":
            paths = exposure(paths)
        elif name == "first":
            paths = first(paths)
        elif name == "frequency":
            paths = frequency(paths)
        elif name == "trim_long_path":
            paths = trim_long_path(paths, int(arg))
        elif name == "remove_if_not_all":
            paths = remove_if_not_all(paths, arg)
        elif name == "remove_if_last_and_not_all":
            paths = remove_if_last_and_not_all(paths, arg)
    return paths
