"""The exact best BM25 passages of a question without reading every posting of its common words.

A common word's posting list is long, and its BM25 weight per passage is small (low IDF). MaxScore
pruning (Turtle & Flood 1995) reads the question's postings rarest word first, keeping partial
scores; it stops once the best weights of the words not read yet (`term_max`, one per word, stored
at build time) add up to less than the `depth`-th best partial score: no passage outside those read
can reach the top `depth` any more. The candidates that still could are then scored exactly from a
passage-major copy of the matrix (`row_terms`: each passage's (word, weight) pairs), with the same
float arithmetic as `LexicalIndex.hits`, so the top `depth` (ties by row) and their scores are the
ones exhaustive scoring gives. Approximate (large) indexes use this; flat ones score every posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MARGIN = 1e-4  # relative slack on the bounds: partial sums are float64, stored weights float32
LOOKUP_POSTINGS = 100  # one passage's exact score read from `row_terms` costs about as much as summing this many postings
ROW_TERMS = "row_terms.npy"
ROW_INDPTR = "row_indptr.npy"
TERM_MAX = "term_max.npy"


def write_pruning_files(folder: Path, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, size: int) -> None:
    """Each word's best weight, and the matrix passage-major (columns ascending within a passage)."""
    data, indices, indptr = np.asarray(data), np.asarray(indices), np.asarray(indptr)
    lengths = np.diff(indptr)
    term_max = np.zeros(len(lengths), dtype=np.float32)
    nonempty = lengths > 0
    if nonempty.any():
        term_max[nonempty] = np.maximum.reduceat(data, indptr[:-1][nonempty])
    np.save(folder / TERM_MAX, term_max)
    order = np.argsort(indices, kind="stable")  # by passage; within one, by column (the matrix is column-major)
    records = np.empty((len(order), 2), dtype=np.int32)  # (column, weight's float32 bits): one read per passage
    records[:, 0] = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)[order]
    records[:, 1] = np.asarray(data, dtype=np.float32)[order].view(np.int32)
    np.save(folder / ROW_TERMS, records)
    np.save(folder / ROW_INDPTR, np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=size))]).astype(np.int64))


def has_pruning_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (ROW_TERMS, ROW_INDPTR, TERM_MAX))


class RowTerms:
    """BM25 of given passages for given words, read passage by passage (one `pread` each)."""

    def __init__(self, folder: Path) -> None:
        from qabot.store import RowFile

        self.folder = folder
        self.records = RowFile(folder / ROW_TERMS)
        self.term_max = np.load(folder / TERM_MAX)

    @cached_property
    def indptr(self) -> np.ndarray:
        return np.load(self.folder / ROW_INDPTR)  # 8 bytes a passage, read on the first question

    def read(self, rows: np.ndarray) -> PassageTerms:
        """The (word, weight) pairs of the given passages, one `pread` each."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        pairs = self.records.spans(starts, ends)
        return PassageTerms(len(rows), np.repeat(np.arange(len(rows)), ends - starts), pairs[:, 0], pairs[:, 1].view(np.float32))

    def scores(self, ids: list[int], rows: np.ndarray) -> np.ndarray:
        return self.read(rows).scores(ids)


@dataclass(frozen=True)
class PassageTerms:
    """Some passages' (word, weight) pairs, read once and scored for any words."""

    size: int
    owner: np.ndarray  # the passage (0..size-1) of each pair
    columns: np.ndarray
    values: np.ndarray

    def scores(self, ids: list[int]) -> np.ndarray:
        """Float32 score of each passage for the word columns `ids` (repeats count again), summed in
        `ids` order in float64 as `LexicalIndex.hits` does, so the values are the same bits."""
        total = np.zeros(self.size, dtype=np.float64)
        for column in ids:
            hit = self.columns == column
            add = np.zeros(self.size, dtype=np.float64)
            add[self.owner[hit]] = self.values[hit]
            total += add
        return total.astype(np.float32)

    def combined(self, parts: list[tuple[float, list[int]]]) -> np.ndarray:
        """Σ weight × BM25 over the parts (the first unweighted), with `Retriever.lexical_hits`' arithmetic."""
        scores = self.scores(parts[0][1])
        for weight, ids in parts[1:]:
            scores = scores + weight * self.scores(ids)
        return scores


def combined_scores(row_terms: RowTerms, parts: list[tuple[float, list[int]]], rows: np.ndarray) -> np.ndarray:
    return row_terms.read(rows).combined(parts)


def top_hits(
    lexical, row_terms: RowTerms, parts: list[tuple[float, list[int]]], depth: int,
    lookup_postings: int = LOOKUP_POSTINGS, read: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows ascending, exact scores) of the `depth` best passages (ties: lower row first) with a
    positive combined score; see the module docstring. `read` collects the columns whose
    postings were read."""
    occurrences = sorted(
        ((int(lexical.indptr[i + 1] - lexical.indptr[i]), weight, i) for weight, ids in parts for i in ids), key=lambda o: o[0]
    )
    remaining = sum(weight * float(row_terms.term_max[i]) for _, weight, i in occurrences)
    unread = sum(length for length, _, _ in occurrences)
    partial = np.zeros(lexical.size, dtype=np.float64)  # by row; pages are touched only where postings fall
    seen: list[np.ndarray] = []  # rows met for the first time, word by word
    count = 0
    for number, (length, weight, column) in enumerate(occurrences):
        # a check costs about as much as the rows seen so far: only before a word worth skipping
        if number and 4 * length >= count and _can_stop(partial, seen, remaining, depth, unread, lookup_postings):
            break
        unread -= length
        if read is not None:
            read.append(column)
        rows, values = lexical.postings(column)
        fresh = rows[partial[rows] == 0]  # every weight is positive, so 0 means not met yet
        partial[rows] += weight * values.astype(np.float64)  # a word lists a passage once: no repeated rows
        seen.append(fresh)
        count += len(fresh)
        remaining -= weight * float(row_terms.term_max[column])
    if not count:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    found = np.concatenate(seen)
    scores = partial[found]
    theta = _kth(scores, depth)
    slack = max(remaining, 0.0) * (1 + MARGIN) + MARGIN * theta
    keep = np.sort(found[scores + slack >= theta * (1 - MARGIN)])  # the rest cannot reach the `depth`-th score
    exact = combined_scores(row_terms, parts, keep)
    order = np.lexsort((keep, -exact))[:depth]
    order = order[exact[order] > 0]
    chosen = np.sort(order)
    return keep[chosen], exact[chosen]


def _kth(partial: np.ndarray, depth: int) -> float:
    if len(partial) < depth:
        return 0.0
    return float(np.partition(partial, len(partial) - depth)[len(partial) - depth])


def _can_stop(
    partial: np.ndarray, seen: list[np.ndarray], remaining: float, depth: int, unread: int, lookup_postings: int
) -> bool:
    """No passage outside those read can reach the `depth`-th best partial score any more, and
    scoring the ones that still could exactly costs less than reading the postings left."""
    if unread < lookup_postings * depth or sum(len(r) for r in seen) < depth:
        return False
    scores = partial[np.concatenate(seen)]
    theta = _kth(scores, depth)
    if remaining * (1 + MARGIN) >= theta * (1 - MARGIN):
        return False
    undecided = int(np.count_nonzero(scores + remaining * (1 + MARGIN) + MARGIN * theta >= theta * (1 - MARGIN)))
    return undecided * lookup_postings < unread
