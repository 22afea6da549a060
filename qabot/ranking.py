"""Pure ranking functions: rescaling, fusion and its per-question dense share, voice boosts, near-duplicate removal.

They take arrays and return arrays, know nothing of indexes or settings, and are unit-tested on
hand-made numbers (tests/test_ranking.py).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable, Sequence

import numpy as np

from qabot.arrays import median


def rescale(scores: np.ndarray, floor: float | None = None) -> np.ndarray:
    """Map the median (or a given typical score) to 0 and the best score to 1, clipped to [0, 1]."""
    floor = median(scores) if floor is None and scores.size else (floor or 0.0)
    top = float(scores.max()) if scores.size else 0.0
    if top <= floor:
        return np.zeros_like(scores)
    return np.clip((scores - floor) / (top - floor), 0.0, 1.0)


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score, best first (ties broken by position)."""
    order = np.argsort(-scores, kind="stable")
    result = np.empty(len(scores), dtype=np.float64)
    result[order] = np.arange(1, len(scores) + 1)
    return result


def fuse(
    dense: np.ndarray,
    lexical: np.ndarray,
    weight: float,
    method: str,
    floors: tuple[float, float] | None = None,
    rrf_k: int = 60,
) -> np.ndarray:
    """One score per passage from its dense and BM25 scores; `weight` is the dense share.

    "minmax" rescales each between its median (or the given `floors`) and its best passage before
    mixing, so neither evidence dominates only because its scale is wider; "rrf" mixes reciprocal
    ranks (scaled by `rrf_k` so the best possible score is 1); "convex" mixes the scores as given.
    """
    if method == "rrf":
        return (weight / (rrf_k + ranks(dense)) + (1 - weight) / (rrf_k + ranks(lexical))) * (rrf_k + 1)
    if method == "minmax":
        dense = rescale(dense, floors[0] if floors else None)
        lexical = rescale(lexical, floors[1] if floors else None)
    return weight * dense + (1 - weight) * lexical


def idf(frequency: int, size: int) -> float:
    """BM25's inverse document frequency of a term found in `frequency` of `size` passages (0: the rarest)."""
    return math.log(1.0 + (size - frequency + 0.5) / (frequency + 0.5))


def lexical_coverage(question_terms: list[str], passage_terms: set[str], weight_of) -> float:
    """Share of the question's (distinct) terms, each weighted by `weight_of(term)` (IDF), that a passage contains."""
    wanted = list(dict.fromkeys(question_terms))
    weights = [weight_of(t) for t in wanted]
    total = sum(weights)
    return sum(w for t, w in zip(wanted, weights) if t in passage_terms) / total if total else 0.0


def dense_share(weight: float, slope: float, matched: float) -> float:
    """The dense share of one question's fusion: `weight` when BM25's best passage holds half of the
    question's IDF mass (`matched`), more when it holds less, less when it holds more (`slope` per
    unit), kept within [0.05, 0.95]. BM25 that matched only a question's commoner words is weak
    evidence, BM25 that matched its rare ones strong: a per-question estimate of which retriever to
    trust that carries over to folders the weights were not fitted on."""
    return float(min(0.95, max(0.05, weight + slope * (0.5 - matched))))


def boost(scores: np.ndarray, members: np.ndarray, groups: Sequence[int], bonus: float) -> np.ndarray:
    """`scores` with `bonus` added wherever `members` (a group number per passage) is in `groups`."""
    if not bonus or not len(groups):
        return scores
    return scores + bonus * np.isin(members, np.asarray(groups)).astype(scores.dtype)


FINGERPRINTS_COLUMN = "fingerprints"  # passages/ column: each passage's `fingerprint`, stored when written
_WORDS = re.compile(r"\w+")


@functools.lru_cache(maxsize=1 << 16)
def word_hash(word: str) -> int:
    """A word's 64-bit hash, the same in every process (Python's `hash` of a string is salted per
    process), so fingerprints written with a generation match those computed from text later."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def fingerprint(text: str) -> np.ndarray:
    """The distinct lower-case words of a text, as sorted word hashes: what near-duplicate
    detection compares (numbers, so a candidate list's shared-word counts are one matrix product;
    hashes, so no shared vocabulary has to be kept consistent across threads or generations)."""
    return np.array(sorted({word_hash(word) for word in set(_WORDS.findall(text.lower()))}), dtype=np.int64)


def without_near_duplicates(
    rows: Sequence[int], scores: np.ndarray, words_of: Callable[[int], np.ndarray], limit: float
) -> list[tuple[int, float]]:
    """(row, score) in the given order, dropping a row whose words mostly (Jaccard ≥ `limit`)
    repeat a row kept before it — so five hits say five things.

    `words_of(row)` gives a row's distinct word hashes (`fingerprint`). The shared-word counts of every
    pair come from one product of a rows × words 0/1 matrix, not from a set intersection per pair
    (50 candidates are 1,225 pairs: milliseconds in Python)."""
    rows = list(rows)
    if not rows:
        return []
    ids = [words_of(row) for row in rows]
    sizes = np.array([len(i) for i in ids], dtype=np.float32)
    _, columns = np.unique(np.concatenate(ids), return_inverse=True)
    matrix = np.zeros((len(rows), int(columns.max(initial=0)) + 1), dtype=np.float32)
    matrix[np.repeat(np.arange(len(rows)), sizes.astype(np.int64)), columns] = 1.0
    common = matrix @ matrix.T
    duplicate = common >= limit * np.maximum(1.0, sizes[:, None] + sizes[None, :] - common)
    earlier = np.triu(duplicate, k=1)  # earlier[i, j], i < j: row j repeats the earlier row i
    kept = np.ones(len(rows), dtype=bool)
    for at in np.flatnonzero(earlier.any(axis=0)).tolist():  # only rows that repeat something may go
        kept[at] = not earlier[:at, at][kept[:at]].any()
    return [(rows[at], float(scores[rows[at]])) for at in np.flatnonzero(kept).tolist()]


_LETTERS = re.compile(r"[^\W\d_]+")


def low_content(text: str, function_words: frozenset[str]) -> float:
    """How much a passage reads like a title block, a list of names or links rather than prose, in
    [0, 1]: the share of capitalised words minus the share of function words (prose has many
    function words and few capitals; a masthead or a contributor list the reverse)."""
    words = _LETTERS.findall(text)
    if not words:
        return 1.0
    capitalised = sum(w[0].isupper() for w in words) / len(words)
    function = sum(w.lower() in function_words for w in words) / len(words)
    return float(min(1.0, max(0.0, capitalised - function)))


def prefer_near(
    scores: np.ndarray, rows: Sequence[int], same_document: np.ndarray, same_section: np.ndarray, bonus: float
) -> np.ndarray:
    """`scores` (a copy) with `bonus` added to `rows` in the previous answer's document, and another
    `bonus` to those also in its section or speaker: a follow-up prefers, without requiring, where
    the conversation stands. `same_document`/`same_section` are booleans aligned with `rows`."""
    if not bonus or not len(rows):
        return scores
    result = scores.astype(np.float64, copy=True)
    result[np.asarray(rows, dtype=np.int64)] += bonus * (
        np.asarray(same_document, dtype=np.float64) + np.asarray(same_section & same_document, dtype=np.float64)
    )
    return result


def fuse_rankings(
    rankings: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float], rrf_k: int = 60
) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion of ranked (row, score) lists into one, best first; a row
    absent from a list gains nothing from it. Scaled so a row first in every list scores 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (row, _) in enumerate(ranking, 1):
            fused[row] = fused.get(row, 0.0) + weight / (rrf_k + rank)
    scale = (rrf_k + 1) / (sum(weights) or 1.0)
    return sorted(((row, score * scale) for row, score in fused.items()), key=lambda item: (-item[1], item[0]))
