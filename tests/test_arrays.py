"""The array helpers give numpy's own answers (they only skip its masked-array check)."""

import numpy as np
import pytest

from qabot.arrays import median, sorted_unique


@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 301])
def test_sorted_unique_equals_numpys_unique(size):
    rng = np.random.default_rng(size)
    for values in (rng.integers(0, 50, size), rng.integers(0, 10**6, size).astype(np.int64), rng.random(size).astype(np.float32)):
        got = sorted_unique(values)
        assert got.dtype == np.unique(values).dtype and np.array_equal(got, np.unique(values))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 11, 236, 1000])
def test_median_equals_numpys_median_bit_for_bit(size):
    rng = np.random.default_rng(size)
    for values in (rng.random(size).astype(np.float32), rng.normal(size=size), rng.integers(0, 9, size)):
        assert median(values) == float(np.median(values))
