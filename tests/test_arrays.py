"""Arrow columns built from numpy buffers (engine/arrays.py) equal pyarrow's own conversion."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from attribution.engine import arrays


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (np.array([3, -1, 7], dtype=np.int32), pa.int32()),
        (np.array([2**40, 0, -5], dtype=np.int64), pa.int64()),
        (np.array([0.5, -2.25, 1e300]), pa.float64()),
        (np.array([True, False, True, True, False, False, True, False, True]), pa.bool_()),
        (np.array(["2026-01-01T10:00:00.000001", "1970-01-01"], "datetime64[us]"), None),
        (np.array(["2026-12-05", "1999-02-28"], "datetime64[D]"), pa.date32()),
        (np.arange(10, dtype=np.int64)[::3], pa.int64()),  # not contiguous
    ],
    ids=["int32", "int64", "float64", "bool", "timestamp", "date", "strided"],
)
def test_a_column_holds_the_same_values_as_pyarrows_conversion(
    values: np.ndarray, kind: pa.DataType | None
) -> None:
    made = arrays.column(values)
    assert made.equals(pa.array(values, kind))


def test_rows_not_valid_are_null() -> None:
    made = arrays.column(np.array([1.5, 9.0, 2.5]), np.array([True, False, True]))
    assert made.to_pylist() == [1.5, None, 2.5]


def test_a_dtype_without_an_arrow_column_is_refused() -> None:
    with pytest.raises(TypeError, match="float32"):
        arrays.column(np.zeros(2, dtype=np.float32))


def test_strings_constants_and_tables() -> None:
    assert arrays.strings(["Paid Search", "", "Émail"]).to_pylist() == ["Paid Search", "", "Émail"]
    assert arrays.strings([]).to_pylist() == []
    assert arrays.constant("markov", 3).to_pylist() == ["markov"] * 3
    table = arrays.table(
        {"n": np.array([1, 2], dtype=np.int32), "day": np.array(["2026-01-02"] * 2, "M8[D]")}
    )
    assert table.to_pylist() == [
        {"n": 1, "day": date(2026, 1, 2)},
        {"n": 2, "day": date(2026, 1, 2)},
    ]
    stamp = arrays.column(np.array(["2026-01-02T03:04:05"], "datetime64[us]"))
    assert stamp.to_pylist() == [datetime(2026, 1, 2, 3, 4, 5)]


def test_times_and_numbers_with_nulls() -> None:
    aware = datetime(2026, 3, 1, 12, tzinfo=UTC)
    made = arrays.timestamps([datetime(2026, 1, 2), None, aware])
    assert made.type == pa.timestamp("us")
    assert made.to_pylist() == [datetime(2026, 1, 2), None, datetime(2026, 3, 1, 12)]
    assert arrays.floats([1.5, None, -2.0]).to_pylist() == [1.5, None, -2.0]
    assert arrays.floats([]).to_pylist() == []
