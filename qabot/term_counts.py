"""Each passage's term counts, kept in the generation so a rebuild tokenizes only new passages.

BM25 scores depend on the whole corpus (document frequencies, mean length), so one changed file
changes every score; recomputing them from stored counts is a few vectorised numpy steps, while
tokenizing every passage again was most of a one-file rebuild in a big folder. `bm25_index` gives
the scores bm25s gives (its default "lucene" variant, k1 = 1.5, b = 0.75), as a `LexicalIndex`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qabot.lexical import LexicalIndex, tokenize

K1, B = 1.5, 0.75


@dataclass(frozen=True)
class TermCounts:
    """A passages × terms count matrix (CSR rows) and each passage's length in tokens."""

    terms: list[str]
    indptr: np.ndarray  # int64, one more than there are passages
    term_ids: np.ndarray  # int32 column of each count
    counts: np.ndarray  # int32
    lengths: np.ndarray  # int32 tokens per passage (an empty passage counts one empty token, as bm25s does)

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> TermCounts:
        numbers: dict[str, int] = {}
        indptr, term_ids, counts, lengths = [0], [], [], []
        for text in texts:
            tokens = tokenize(text) or [""]
            for term, count in Counter(tokens).items():
                term_ids.append(numbers.setdefault(term, len(numbers)))
                counts.append(count)
            indptr.append(len(term_ids))
            lengths.append(len(tokens))
        return cls(list(numbers), np.array(indptr, np.int64), np.array(term_ids, np.int32), np.array(counts, np.int32),
                   np.array(lengths, np.int32))

    def __len__(self) -> int:
        return len(self.lengths)

    def rows(self, rows: np.ndarray) -> TermCounts:
        """These passages, in this order (vectorised gather, no Python loop per passage)."""
        rows = np.asarray(rows, np.int64)
        sizes = self.indptr[rows + 1] - self.indptr[rows]
        indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        gather = np.repeat(self.indptr[rows] - indptr[:-1], sizes) + np.arange(indptr[-1])
        return TermCounts(self.terms, indptr, self.term_ids[gather], self.counts[gather], self.lengths[rows])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("indptr", "term_ids", "counts", "lengths"):
            np.save(folder / f"{name}.npy", getattr(self, name))
        (folder / "terms.json").write_text(json.dumps(self.terms, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TermCounts | None:
        """The counts saved in `folder`, or None when there are none (an index built before them)."""
        try:
            terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
            arrays = [np.load(folder / f"{name}.npy") for name in ("indptr", "term_ids", "counts", "lengths")]
        except (OSError, ValueError):
            return None
        return cls(terms, *arrays)


def concatenate(first: TermCounts, second: TermCounts) -> TermCounts:
    """`first`'s passages then `second`'s, over the union of their terms."""
    numbers = {term: number for number, term in enumerate(first.terms)}
    terms = list(first.terms)
    remap = np.array([numbers.setdefault(t, len(numbers)) for t in second.terms], np.int32)
    terms.extend(t for t in list(numbers)[len(first.terms) :])
    return TermCounts(
        terms, np.concatenate([first.indptr, second.indptr[1:] + first.indptr[-1]]),
        np.concatenate([first.term_ids, remap[second.term_ids] if len(second.term_ids) else second.term_ids]),
        np.concatenate([first.counts, second.counts]), np.concatenate([first.lengths, second.lengths]),
    )


def compact(counts: TermCounts) -> TermCounts:
    """Only the terms some passage still uses (a rebuild drops the passages of edited files)."""
    used = np.flatnonzero(np.bincount(counts.term_ids, minlength=len(counts.terms)))
    if len(used) == len(counts.terms):
        return counts
    renumber = np.full(len(counts.terms), -1, np.int32)
    renumber[used] = np.arange(len(used), dtype=np.int32)
    terms = [counts.terms[i] for i in used]
    return TermCounts(terms, counts.indptr, renumber[counts.term_ids], counts.counts, counts.lengths)


def bm25_index(counts: TermCounts) -> LexicalIndex:
    """BM25 term scores of every passage, one column per term (the matrix `LexicalIndex` reads)."""
    size = len(counts)
    passages = np.repeat(np.arange(size, dtype=np.int32), np.diff(counts.indptr))
    frequencies = np.bincount(counts.term_ids, minlength=len(counts.terms)).astype(np.float64)
    idf = np.log(1 + (size - frequencies + 0.5) / (frequencies + 0.5))
    mean_length = float(counts.lengths.mean()) if size else 1.0
    tf = counts.counts.astype(np.float64)
    norm = K1 * (1 - B + B * counts.lengths[passages].astype(np.float64) / mean_length)
    scores = (idf[counts.term_ids] * tf / (tf + norm)).astype(np.float32)
    keep = [number for number, term in enumerate(counts.terms) if term and frequencies[number] > 0]
    column = np.full(len(counts.terms), -1, np.int64)
    column[keep] = np.arange(len(keep))
    entries = column[counts.term_ids]
    chosen = entries >= 0
    order = np.argsort(entries[chosen], kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(entries[chosen], minlength=len(keep)))]).astype(np.int64)
    vocabulary = {counts.terms[number]: int(column[number]) for number in keep}
    return LexicalIndex(scores[chosen][order], passages[chosen][order], indptr, vocabulary, size)
