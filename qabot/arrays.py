"""Array helpers where numpy's general function costs more than the answer it gives.

`np.unique` and `np.median` (numpy 2.x) first ask `numpy.ma` whether the array is masked: the
first call of a process imports `numpy.ma` (~16 ms of a cold question), and `np.unique` pays
~50 µs a call for a few hundred rows. These give the same values without it.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(values) -> np.ndarray:
    """The distinct values of an array, ascending: `np.unique(values)`."""
    values = np.sort(np.asarray(values).ravel())
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def median(values) -> float:
    """`np.median(values)` of a non-empty array without NaNs (the same partition and mean)."""
    values = np.asarray(values).ravel()
    middle = len(values) // 2
    if len(values) % 2:
        return float(np.partition(values, middle)[middle])
    return float(np.partition(values, [middle - 1, middle])[middle - 1 : middle + 1].mean())
