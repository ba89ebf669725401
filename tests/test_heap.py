"""During a run, freed memory is reused rather than returned to the kernel (engine/heap.py)."""

from __future__ import annotations

import platform
import resource
import threading
from typing import Any

import numpy as np
import pytest

from attribution.engine import heap

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


def _hugepage_setter() -> Any:
    """numpy's switch of huge-page advice (set(enabled) returns the previous setting)."""
    return np._core.multiarray._set_madvise_hugepage  # type: ignore[attr-defined]


def _faults_to_fill(size: int) -> int:
    """Minor page faults of allocating, filling and freeing an array of `size` bytes."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = np.empty(size, dtype=np.uint8)
    block.fill(1)
    del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@glibc
def test_a_large_array_freed_in_a_run_is_reused_by_the_next_one() -> None:
    size = 64 * 2**20  # above glibc's largest mmap threshold (32 MB)
    with heap.reusing():
        _faults_to_fill(size)  # the heap grows once
        again = _faults_to_fill(size)
    assert again < size // 4096 // 100  # under 1 % of its pages


def test_numpys_huge_page_advice_is_off_during_a_run_and_restored_after() -> None:
    setter = _hugepage_setter()
    before = setter(True)
    try:
        with heap.reusing():
            assert setter(False) is False  # off inside
            with heap.reusing():  # nested (two runs at once): still off
                assert setter(False) is False
            assert setter(False) is False  # the outer run is still under way
        assert setter(True) is True  # set back once the last run ends
    finally:
        setter(before)


def test_runs_in_threads_leave_the_setting_as_it_was() -> None:
    setter = _hugepage_setter()
    before = setter(True)
    barrier = threading.Barrier(4)

    def run() -> None:
        with heap.reusing():
            barrier.wait()

    try:
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert setter(True) is True
    finally:
        setter(before)


@glibc
def test_arrays_larger_than_a_threads_heap_are_still_served_in_a_thread() -> None:
    """A thread's glibc arena grows in heaps of 64 MB: a larger array falls back to its own
    mapping even while mappings are turned off (a run in the API server's worker thread)."""
    sums: list[float] = []

    def run() -> None:
        with heap.reusing():
            for _ in range(3):
                big = np.ones(200 * 2**20 // 8)
                sums.append(float(big.sum()))
                del big

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert sums == [200 * 2**20 / 8] * 3
