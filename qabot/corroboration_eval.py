"""Measuring and fitting the "same claim" bar on labelled pairs of spans from different sources.

Each labelled pair (`{"id", "a": {"source", "answer"}, "b": {...}, "same_claim": bool}`) is scored
the way `Corroborator` scores passages: the best pair of sentences overlapping the two spans, by
`cosine + term_weight × overlap`. The weight and threshold are fitted for the best recall at
precision ≥ 0.9, and the figures reported are out of fold (5 folds, each pair judged by a fit
made without it). `score_auc` (the chance that a same-claim pair outscores a same-topic one, 0.5
being a coin toss) says how much the score can separate the two at all, whatever the bar.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qabot.calibration import count, fit_threshold, out_of_fold
from qabot.corroboration import claim_score, claim_terms, term_overlap
from qabot.evaluation import EvalInputError, find_occurrences

WEIGHTS = tuple(round(0.1 * step, 1) for step in range(0, 11))
MIN_PRECISION = 0.9
FOLDS = 5


@dataclass(frozen=True)
class LabelledPair:
    id: str
    same_claim: bool
    features: tuple[tuple[float, float], ...]  # (cosine, term overlap) for each sentence pair


def span_sentences(index, source: str, spans: list[tuple[int, int]]) -> list[int]:
    """Sentence ids (rows of the sentence vectors) overlapping any of `spans` in `source`."""
    found = []
    for row in np.flatnonzero(index.source_mask(source)).tolist():
        first = int(index.sentence_offsets[row])
        for number, (start, end) in enumerate(index.passages[row].sentences):
            if any(start < e and s < end for s, e in spans):
                found.append(first + number)
    return sorted(set(found))


def sentence_text(index, sentence: int) -> str:
    row = int(index.sentence_owners[sentence])
    start, end = index.passages[row].sentences[sentence - int(index.sentence_offsets[row])]
    return index.document(index.passages[row].source).text[start:end]


def load_pairs(path: Path, index) -> tuple[list[LabelledPair], list[str]]:
    """The labelled pairs with their sentence-pair features, and `file:line: why` for skipped lines."""
    if not path.is_file():
        raise EvalInputError(f"pair file {path} does not exist")
    pairs, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            sides = [_side_sentences(index, data[key]) for key in ("a", "b")]
            same = bool(data["same_claim"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            problems.append(f"{path}:{number}: {error}")
            continue
        if not all(sides):
            problems.append(f"{path}:{number}: a span was not found in its source")
            continue
        vectors = [np.asarray(index.sentence_vectors[s], dtype=np.float32) for s in sides]
        terms = [[claim_terms(sentence_text(index, s)) for s in side] for side in sides]
        cosines = vectors[0] @ vectors[1].T
        features = tuple(
            (float(cosines[i, j]), term_overlap(terms[0][i], terms[1][j]))
            for i in range(len(sides[0])) for j in range(len(sides[1]))
            if terms[0][i] and terms[1][j]
        ) or ((-1.0, 0.0),)
        pairs.append(LabelledPair(str(data.get("id") or f"line{number}"), same, features))
    if not pairs:
        raise EvalInputError(f"no usable pair in {path}")
    return pairs, problems


def _side_sentences(index, side: dict) -> list[int]:
    source, answer = side["source"], side["answer"]
    if source not in index.documents:
        raise ValueError(f"unknown source {source!r}")
    return span_sentences(index, source, find_occurrences(index.document(source).text, answer))


def pair_score(pair: LabelledPair, term_weight: float) -> float:
    return max(claim_score(cosine, overlap, term_weight) for cosine, overlap in pair.features)


def fit(pairs: list[LabelledPair], labels: list[bool]) -> tuple[float, float]:
    """(term_weight, threshold) with the best recall at precision ≥ MIN_PRECISION on `pairs`."""
    best, best_key = (0.0, 1.0), (-1.0, -1.0)
    for weight in WEIGHTS:
        scores = [pair_score(p, weight) for p in pairs]
        threshold = fit_threshold(scores, labels, MIN_PRECISION)
        counts = count([s >= threshold for s in scores], labels)
        key = (float(counts.precision >= MIN_PRECISION), counts.recall)
        if key > best_key:
            best, best_key = (weight, threshold), key
    return best


def separation(scores: list[float], labels: list[bool]) -> float:
    """Area under the ROC curve: the share of (same claim, same topic) pairs ordered right, ties half."""
    positive = [s for s, same in zip(scores, labels) if same]
    negative = [s for s, same in zip(scores, labels) if not same]
    if not positive or not negative:
        return 0.5
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def evaluate_pairs(pairs: list[LabelledPair], current: tuple[float, float]) -> dict:
    """Out-of-fold precision/recall, the fit on every pair, and the figures of the `current`
    (term_weight, threshold) the settings hold."""
    labels = [p.same_claim for p in pairs]
    decided, models = out_of_fold(
        pairs, labels, [p.id for p in pairs], FOLDS, fit, lambda m, p: pair_score(p, m[0]) >= m[1]
    )
    oof = count(decided, labels)
    weight, threshold = fit(pairs, labels)
    now = count([pair_score(p, current[0]) >= current[1] for p in pairs], labels)
    return {
        "pairs": len(pairs), "same_claim": sum(labels),
        "precision_oof": round(oof.precision, 4), "recall_oof": round(oof.recall, 4),
        "fitted_term_weight": weight, "fitted_threshold": round(threshold, 4),
        "fold_fits": [[w, round(t, 4)] for w, t in models],
        "precision_settings": round(now.precision, 4), "recall_settings": round(now.recall, 4),
        "score_auc": round(separation([pair_score(p, weight) for p in pairs], labels), 4),
    }
