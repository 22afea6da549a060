"""Fitting a decision threshold on labelled scores, and cross-validating the fit.

Used for the bars that say "this voice addresses the question" and "these two passages state the
same claim": each is a score compared with a threshold fitted on a labelled set, and the figures
reported are out-of-fold (every item is judged by a threshold fitted without it). Pure functions
over numbers, unit-tested on hand-made cases (tests/test_calibration.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Counts:
    """Binary decisions against labels."""

    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def precision(self) -> float:
        decided = self.true_positive + self.false_positive
        return self.true_positive / decided if decided else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 1.0


def count(predicted: Sequence[bool], labels: Sequence[bool]) -> Counts:
    pairs = list(zip(predicted, labels, strict=True))
    return Counts(
        sum(p and g for p, g in pairs), sum(p and not g for p, g in pairs), sum(g and not p for p, g in pairs)
    )


def fit_threshold(scores: Sequence[float], labels: Sequence[bool], min_precision: float) -> float:
    """The threshold (a score is "yes" when ≥ it) with the best recall among those whose precision
    on these items is at least `min_precision`; if none reaches it, the most precise one. Ties go
    to the higher threshold, which sits midway between neighbouring scores (or just outside them)."""
    values = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(labels, dtype=bool)
    distinct = np.unique(values)
    if not distinct.size:
        return 0.0
    cuts = np.concatenate([[distinct[0] - 1e-6], (distinct[:-1] + distinct[1:]) / 2, [distinct[-1] + 1e-6]])
    best, best_key = float(cuts[-1]), (-1.0, -1.0, -np.inf)
    for cut in cuts:
        counts = count(values >= cut, truth)
        key = (float(counts.precision >= min_precision), counts.recall if counts.precision >= min_precision else counts.precision, cut)
        if key > best_key:
            best, best_key = float(cut), key
    return best


def folds_of(groups: Sequence[str], folds: int) -> list[int]:
    """A fold number per item; items of one group (e.g. one question) share a fold."""
    order = sorted(set(groups))
    number = {group: position % folds for position, group in enumerate(order)}
    return [number[g] for g in groups]


def out_of_fold(
    items: Sequence, labels: Sequence[bool], groups: Sequence[str], folds: int,
    fit: Callable[[list, list[bool]], object], decide: Callable[[object, object], bool],
) -> tuple[list[bool], list[object]]:
    """Each item decided by a model `fit` on the other folds only; also the fitted models."""
    fold = folds_of(groups, folds)
    decided: list[bool] = [False] * len(items)
    models = []
    for held in sorted(set(fold)):
        train = [i for i, f in enumerate(fold) if f != held]
        model = fit([items[i] for i in train], [labels[i] for i in train])
        models.append(model)
        for i, f in enumerate(fold):
            if f == held:
                decided[i] = decide(model, items[i])
    return decided, models
