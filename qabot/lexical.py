"""BM25 over passages (bm25s sparse matrices), with one tokenizer for passages and questions."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t don according author authors
    say says said""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer

        return Stemmer.Stemmer("english")
    except ImportError:  # optional accelerator: plain lower-case words still work
        return None


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without stop words; the same function serves passages and questions."""
    words = [w.replace("’", "'") for w in _WORD.findall(text.lower())]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    words = [w for w in words if w not in STOPWORDS]
    stemmer = _stemmer()
    return stemmer.stemWords(words) if stemmer else words


class LexicalIndex:
    """BM25 scores for every passage. Built with bm25s at index time; at query time its saved sparse
    matrix (one column of precomputed term scores per vocabulary term) is read and summed with
    numpy alone, so answering never imports bm25s (nor the numba it pulls in)."""

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocabulary: dict[str, int], size: int) -> None:
        self.data = data
        self.indices = indices
        self.indptr = indptr
        self.vocabulary = vocabulary
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25()
        model.index([tokenize(t) or [""] for t in texts], show_progress=False)
        scores = model.scores
        columns = len(scores["indptr"]) - 1
        vocabulary = {term: i for term, i in model.vocab_dict.items() if term and i < columns}  # no "" column
        return cls(scores["data"], scores["indices"], scores["indptr"], vocabulary, int(scores["num_docs"]))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "data.npy", self.data)
        np.save(folder / "indices.npy", self.indices)
        np.save(folder / "indptr.npy", self.indptr)
        (folder / "vocabulary.json").write_text(
            json.dumps({"size": self.size, "terms": self.vocabulary}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        from qabot.store import RowFile

        meta = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        indptr = np.load(folder / "indptr.npy")
        if meta["terms"] and max(meta["terms"].values()) + 1 >= len(indptr):
            raise ValueError("BM25 vocabulary and matrix disagree")
        return cls(
            RowFile(folder / "data.npy"), RowFile(folder / "indices.npy"),
            indptr, meta["terms"], int(meta["size"]),
        )

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for `query` (zeros when no query word is indexed)."""
        rows, values = self.hits(query)
        scores = np.zeros(self.size, dtype=np.float32)
        scores[rows] = values
        return scores

    def hits(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, BM25 scores) of the passages containing a query word: only the query
        words' postings are read, so a question costs what its words occur in (all of them for a
        word in every passage), never a pass over every passage in Python."""
        ids = [self.vocabulary[t] for t in tokenize(query) if t in self.vocabulary]
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.concatenate([_postings(self.indices, self.indptr[i], self.indptr[i + 1]) for i in ids])
        weights = np.concatenate([_postings(self.data, self.indptr[i], self.indptr[i + 1]) for i in ids])
        if len(rows) * 8 < self.size:  # few postings: sum them per row after sorting
            found, inverse = np.unique(rows, return_inverse=True)
            return found.astype(np.int64), np.bincount(inverse, weights=weights).astype(np.float32)
        summed = np.bincount(rows, weights=weights, minlength=self.size)
        found = np.flatnonzero(summed)
        return found, summed[found].astype(np.float32)


def _postings(column, first: int, last: int) -> np.ndarray:
    """One term's slice of a posting column: an array when built, a `RowFile` when loaded."""
    return column.span(int(first), int(last)) if hasattr(column, "span") else column[first:last]

