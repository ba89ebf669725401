"""Memory a run frees is kept for its next arrays, instead of going back to the kernel.

A run allocates and frees many numpy arrays of tens to hundreds of megabytes. glibc serves
each one above 32 MB from a fresh mapping and unmaps it on free, and numpy asks for huge pages
for large arrays, so every such array is zero-filled again by the kernel: at 10 M journeys
that was 4 to 5 of a run's 27 processor seconds (0.2 of 2.7 at 1 M). During a run (see
`reusing`), glibc serves large arrays from its heap and keeps freed memory there, and numpy
asks for no huge pages; afterwards both are set back and the kept memory is returned. The
cost: the heap holds the run's peak a little longer (10 M journeys: about 0.25 GB more peak).
Elsewhere than Linux with glibc, only numpy's setting applies."""

from __future__ import annotations

import ctypes
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

# mallopt parameters (malloc.h) and glibc's defaults for them.
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536
_KEEP_UP_TO = 2**31 - 1  # freed memory kept at the heap's top while a run lasts (bytes)

_lock = threading.Lock()
_active = 0  # runs under way in this process: the first sets the policy, the last restores it
_numpy_hugepages: bool | None = None


def _glibc() -> Any:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _set_numpy_hugepages(enabled: bool) -> bool | None:
    """Set numpy's huge-page advice for large arrays; returns the previous setting (None where
    numpy has no such switch)."""
    switch = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(switch, "_set_madvise_hugepage", None)
    return None if setter is None else bool(setter(enabled))


def _enter() -> None:
    global _active, _numpy_hugepages
    with _lock:
        _active += 1
        if _active > 1:
            return
        _numpy_hugepages = _set_numpy_hugepages(False)
        libc = _glibc()
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_UP_TO)


def _exit() -> None:
    global _active
    with _lock:
        _active -= 1
        if _active > 0:
            return
        if _numpy_hugepages is not None:
            _set_numpy_hugepages(_numpy_hugepages)
        libc = _glibc()
        if libc is not None:
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
            libc.malloc_trim(0)  # what the run kept goes back to the system


@contextmanager
def reusing() -> Iterator[None]:
    """Within this block (one run, or several at once), freed memory is reused, not returned."""
    _enter()
    try:
        yield
    finally:
        _exit()
