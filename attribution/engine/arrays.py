"""Arrow columns and tables made from numpy buffers and short string lists.

pyarrow's converters (pa.array, pa.table) ask pandas whether the input is one of its objects,
which imports pandas: about 0.2 s of a run's start. Building arrays from their buffers asks
nothing, copies no numeric data, and keeps the run's process free of pandas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

_TYPES = {
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.float64): pa.float64(),
    np.dtype("datetime64[us]"): pa.timestamp("us"),
    np.dtype("datetime64[D]"): pa.date32(),
}


def _bits(flags: NDArray[np.bool_]) -> pa.Buffer:
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


def column(values: NDArray[Any], valid: NDArray[np.bool_] | None = None) -> pa.Array:
    """A numpy array as an Arrow array (int32, int64, float64, bool, datetime64[us] or [D]);
    rows where valid is False are null."""
    values = np.ascontiguousarray(values)
    nulls = None if valid is None or valid.all() else _bits(valid)
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(values), [nulls, _bits(values)])
    if values.dtype == np.dtype("datetime64[D]"):
        values = values.astype(np.int32)  # date32 counts days in 32 bits
        return pa.Array.from_buffers(pa.date32(), len(values), [nulls, pa.py_buffer(values)])
    kind = _TYPES.get(values.dtype)
    if kind is None:
        raise TypeError(f"no Arrow column for numpy {values.dtype}")
    return pa.Array.from_buffers(kind, len(values), [nulls, pa.py_buffer(values)])


def strings(texts: Sequence[str]) -> pa.Array:
    """A short list of strings (names, not rows of data) as an Arrow string array."""
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(offsets), data])


def timestamps(values: Sequence[datetime | None]) -> pa.Array:
    """A short list of times (None: null) as an Arrow timestamp array; aware times in UTC."""
    naive = [
        v.astimezone(UTC).replace(tzinfo=None) if v is not None and v.tzinfo else v for v in values
    ]
    stamps = np.array([np.datetime64("NaT") if v is None else v for v in naive], "datetime64[us]")
    return column(stamps, ~np.isnat(stamps))


def floats(values: Sequence[float | None]) -> pa.Array:
    """A short list of numbers (None: null) as an Arrow float64 array."""
    known = np.array([v is not None for v in values], dtype=bool)
    return column(np.array([0.0 if v is None else v for v in values], np.float64), known)


def constant(text: str, n: int) -> pa.DictionaryArray:
    """A column of n copies of one string, stored once."""
    return pa.DictionaryArray.from_arrays(column(np.zeros(n, dtype=np.int32)), strings([text]))


def table(columns: Mapping[str, pa.Array | NDArray[Any]]) -> pa.Table:
    """A table of named columns, numpy ones made Arrow arrays."""
    arrays = [c if isinstance(c, pa.Array) else column(c) for c in columns.values()]
    return pa.Table.from_arrays(arrays, names=list(columns))
