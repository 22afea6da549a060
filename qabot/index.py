"""One generation of the on-disk index, opened once and shared read-only by every thread.

`Index.open` reads `CURRENT` once and everything else from the generation folder it names, so a
build that switches `CURRENT` meanwhile cannot mix two generations (if the folder it named is
removed under it, it opens the newer one). Nothing here changes after opening: concurrent
questions need no lock. Building lives in `qabot.build`. Past 250 lines: the catalogue, the
search primitives and the per-row reads of one generation share its open files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from qabot.arrays import sorted_unique
from qabot.errors import IndexCorruptError, UnknownSourceError
from qabot.manifest import Manifest, current_generation, current_name
from qabot.sources import Document
from qabot.store import DocumentStore, PassageStore, RowFile, map_array

ACRONYMS_NAME = "acronyms.json"
LOW_CONTENT_NAME = "low_content.npy"  # qabot.ranking.low_content of each passage, computed when written


@dataclass(frozen=True)
class SourceInfo:
    """One indexed document as a catalogue lists it."""

    source: str
    title: str | None
    author: str | None
    date: str | None
    passages: int


@dataclass(frozen=True)
class Voice:
    """Who speaks in a passage: the document's author, and the Q&A speaker when there is one."""

    author: str | None
    speaker: str | None

    @property
    def label(self) -> str | None:
        return self.speaker or self.author


@dataclass(frozen=True)
class DenseHits:
    """Dense evidence for one query: the rows scored (every row on a flat index, the rows found on
    an approximate one), their two cosines aligned with `rows`, and the rows near the query."""

    rows: np.ndarray  # ascending
    passage: np.ndarray  # cosine with the passage vector, per row of `rows`
    best_sentence: np.ndarray  # cosine with the passage's closest sentence, per row of `rows`
    candidates: np.ndarray  # rows near the query, by either vector


@dataclass(frozen=True)
class RowVectors:
    """The vectors of some passage rows, read once and scored against any query."""

    rows: np.ndarray
    passages: np.ndarray  # one vector per row
    sentences: np.ndarray  # the rows' sentence vectors, row after row
    has_sentences: np.ndarray  # per row
    starts: np.ndarray  # where each row with sentences starts in `sentences`

    def score(self, query: np.ndarray) -> DenseHits:
        passage = np.asarray(self.passages @ query, dtype=np.float32).reshape(-1)
        best = np.zeros(len(self.rows), dtype=np.float32)
        if len(self.sentences):
            best[self.has_sentences] = np.maximum.reduceat(np.asarray(self.sentences @ query, dtype=np.float32), self.starts)
        return DenseHits(self.rows, passage, best, self.rows)


class SentenceOwners:
    """The passage row of sentence ids, found by a binary search in the sentence offsets: a table of
    all owners (one int per sentence) cost ~0.2 s of the first question at a million passages."""

    def __init__(self, offsets: np.ndarray) -> None:
        self.offsets = offsets  # passage row r owns sentences offsets[r] .. offsets[r + 1] - 1

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, ids):
        return np.searchsorted(self.offsets, ids, side="right") - 1


class Index:
    """Documents, passages, vectors, BM25 and the voice table of one generation."""

    def __init__(self, index_dir: Path, folder: Path, manifest: Manifest) -> None:
        from qabot.lexical import LexicalIndex
        from qabot.vector_index import read_vector_index

        self.index_dir, self.folder, self.manifest = index_dir, folder, manifest
        self.documents = DocumentStore(folder)
        self.source_names = list(self.documents)
        self.vectors = map_array(folder / "vectors.npy")
        self.sentence_vectors = map_array(folder / "sentence_vectors.npy")
        self.sentence_offsets = map_array(folder / "sentence_offsets.npy")
        self.vector_rows = RowFile(folder / "vectors.npy")  # the few rows a question reads (see RowFile)
        self.sentence_rows = RowFile(folder / "sentence_vectors.npy")
        self.passages = PassageStore(folder / "passages", self.source_names, self.sentence_offsets)
        self.voices = [Voice(**v) for v in _json(folder / "voices.json")]
        self.passage_voices = np.load(folder / "passage_voices.npy")
        self.passage_sources = np.load(folder / "passage_sources.npy")
        self.lexical = LexicalIndex.load(folder / "bm25")
        self._low_content = map_array(folder / LOW_CONTENT_NAME) if (folder / LOW_CONTENT_NAME).is_file() else None
        self.dense = self.sentence_index = None
        if manifest.approximate:  # flat search is a numpy product over the memory-mapped vectors
            self.dense = read_vector_index(folder / "dense.faiss", manifest.vector_index)
            self.sentence_index = read_vector_index(folder / "sentences.faiss", manifest.sentence_index or {})
        self._check()

    @classmethod
    def open(cls, index_dir: Path, current: tuple[Path, Manifest] | None = None) -> Index:
        """The current generation; a missing index is IndexMissingError, a broken one IndexCorruptError.

        `current` (a generation folder and its manifest, read by the caller) saves reading the
        manifest again (~30 ms at a million passages) while `CURRENT` still names that folder."""
        for attempt in range(3):
            folder = current_generation(index_dir)
            try:
                known = current is not None and attempt == 0 and current[0] == folder
                return cls(index_dir, folder, current[1] if known else Manifest.read(folder))
            except IndexCorruptError:
                if current_name(index_dir) == folder.name or attempt == 2:
                    raise
            except Exception as error:  # truncated or foreign files surface as many exception types
                if current_name(index_dir) == folder.name or attempt == 2:
                    raise IndexCorruptError(f"the index in {index_dir} is corrupt: {type(error).__name__}: {error}") from None
            # CURRENT moved on while this generation was read (and may have been removed): read the new one
        raise AssertionError("unreachable")

    @property
    def generation(self) -> str:
        return self.folder.name

    def reloaded(self) -> Index | None:
        """The newer generation when `CURRENT` has moved on since this one was opened, else None."""
        name = current_name(self.index_dir)
        if name is None or name == self.generation:
            return None
        return Index.open(self.index_dir)

    def _check(self) -> None:
        counts = {
            len(self.passages), self.vectors.shape[0], self.lexical.size, self.manifest.passages,
            len(self.sentence_offsets) - 1, len(self.passage_voices), len(self.passage_sources),
        }
        if self.dense is not None:
            counts.add(self.dense.ntotal)
        if self.passages.fingerprints is not None:
            counts.add(len(self.passages.fingerprints))
        sentences = {int(self.sentence_offsets[-1]), self.sentence_vectors.shape[0], len(self.passages.sentences)}
        if len(counts) != 1 or len(sentences) != 1:
            raise IndexCorruptError(f"the index in {self.index_dir} is corrupt: its parts disagree on the passage count")

    @cached_property
    def sentence_owners(self) -> SentenceOwners:
        """The passage row of sentence vectors, `sentence_owners[ids]` (looked up, not tabulated)."""
        return SentenceOwners(self.sentence_offsets)

    def low_content_scores(self) -> list[float] | None:
        """Every passage's stored low-content score (None: written before they were stored)."""
        return None if self._low_content is None else np.asarray(self._low_content, dtype=np.float64).tolist()

    def low_content(self, row: int) -> float:
        """How little passage `row` reads like prose (see `qabot.ranking.low_content`), read from the
        generation (computed on the fly for one written before it was stored)."""
        if self._low_content is not None:
            return float(self._low_content[row])
        from qabot.lexical import STOPWORDS
        from qabot.ranking import low_content

        return low_content(self.passages[row].text, STOPWORDS)

    def fingerprint(self, row: int) -> np.ndarray:
        """Passage `row`'s near-duplicate fingerprint (see `qabot.ranking.fingerprint`), read from the
        generation (computed from its text for one written before it was stored)."""
        if self.passages.fingerprints is not None:
            return self.passages.fingerprints[row]
        from qabot.ranking import fingerprint

        return fingerprint(self.passages[row].text)

    def acronyms(self) -> dict[str, str]:
        """ACRONYM → full name as the documents define them, mined when the generation was written
        (reading every document at start-up would grow with the corpus)."""
        path = self.folder / ACRONYMS_NAME
        if path.is_file():
            return _json(path)
        from qabot.aliases import mine_acronyms

        return mine_acronyms(d.text for d in self.documents.values())

    # ------------------------------------------------------------------------------ catalogue

    def sources(self) -> list[SourceInfo]:
        """Every indexed document with its metadata and passage count."""
        counts = np.bincount(self.passage_sources, minlength=len(self.source_names))
        return [
            SourceInfo(d["source"], d.get("title"), d.get("author"), d.get("date"), int(counts[number]))
            for number, d in enumerate(self.documents.metadata)
        ]

    def resolve(self, name: str) -> str:
        """The indexed source a user means: its path, its file name, or an unambiguous prefix of it."""
        wanted = name.strip().lower()
        sources = self.source_names
        exact = [s for s in sources if s.lower() == wanted or s.lower().rsplit("/", 1)[-1] == wanted]
        if len(exact) == 1:
            return exact[0]
        partial = [s for s in sources if s.lower().rsplit("/", 1)[-1].startswith(wanted) or s.lower().startswith(wanted)]
        if len(partial) == 1 and wanted:
            return partial[0]
        if not partial or not wanted:
            shown = ", ".join(sources[:10]) + (", …" if len(sources) > 10 else "")
            raise UnknownSourceError(f"no indexed source matches '{name}'; known sources: {shown}")
        raise UnknownSourceError(f"'{name}' matches several sources: {', '.join(partial[:10])}")

    def document(self, source: str) -> Document:
        document = self.documents.get(source)
        if document is None:
            raise UnknownSourceError(f"no indexed source '{source}'")
        return document

    def source_mask(self, source: str) -> np.ndarray:
        """True for the passages of `source`."""
        return self.passage_sources == self.source_names.index(source)

    def surrounding(self, source: str, start: int, end: int, chars: int) -> tuple[str, str]:
        """Raw text before and after [start, end), about `chars` each side, cut at a paragraph or
        sentence boundary so the context reads cleanly."""
        text = self.document(source).text
        before = _boundary_after(text, max(0, start - chars), chars // 2)
        after = _boundary_before(text, min(len(text), end + chars), chars // 2)
        return text[before:start], text[end:after]

    # ------------------------------------------------------------------------ search primitives

    @property
    def approximate(self) -> bool:
        return self.manifest.approximate

    def dense_search(self, query: np.ndarray, depth: int, sentence_depth: int) -> DenseHits:
        """Passages near `query` by their own vector or by one of their sentences, with both cosines.

        Exact over every passage on a flat index (a numpy product over the memory-mapped vectors);
        on an approximate index, the union of both FAISS searches, scored exactly for those rows only."""
        total = len(self.passages)
        if self.dense is None:
            passage = np.asarray(self.vectors @ query, dtype=np.float32)
            sentences = np.asarray(self.sentence_vectors @ query, dtype=np.float32)
            best = np.maximum.reduceat(sentences, self.sentence_offsets[:-1]) if total else passage
            near = np.concatenate([_top(passage, depth), self.sentence_owners[_top(sentences, depth)]])
            return DenseHits(np.arange(total), passage, best, sorted_unique(near))
        from qabot.vector_index import search

        passage_rows = search(self.dense, query[None, :], depth)[1][0]
        sentence_rows = search(self.sentence_index, query[None, :], depth * sentence_depth)[1][0]
        rows = sorted_unique(np.concatenate([passage_rows[passage_rows >= 0], self.sentence_owners[sentence_rows[sentence_rows >= 0]]]))
        return self.dense_scores(query, rows)

    def dense_scores(self, query: np.ndarray, rows: np.ndarray) -> DenseHits:
        """Both exact cosines for the given passage rows only: only their vectors are read."""
        return self.row_vectors(rows).score(query)

    def with_rows(self, hits: DenseHits, query: np.ndarray, rows: np.ndarray) -> DenseHits:
        """`hits` plus the cosines of more rows (only the rows not scored yet are read)."""
        more = self.dense_scores(query, np.setdiff1d(sorted_unique(rows), hits.rows, assume_unique=True))
        merged = np.concatenate([hits.rows, more.rows])
        order = np.argsort(merged, kind="stable")
        rows = merged[order]
        return DenseHits(rows, np.concatenate([hits.passage, more.passage])[order],
                         np.concatenate([hits.best_sentence, more.best_sentence])[order], rows)

    def row_vectors(self, rows: np.ndarray) -> RowVectors:
        """The passage and sentence vectors of some rows (ascending, no repeats), read from disk once."""
        rows = sorted_unique(np.asarray(rows, dtype=np.int64))
        firsts, lasts = self.sentence_offsets[rows], self.sentence_offsets[rows + 1]
        counts = lasts - firsts
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return RowVectors(rows, self.vector_rows.take(rows), self.sentence_rows.spans(firsts, lasts), counts > 0, starts[counts > 0])

    def sentence_similarities(self, row: int, query: np.ndarray) -> np.ndarray:
        """Cosine of `query` with each sentence of passage `row`."""
        first, last = int(self.sentence_offsets[row]), int(self.sentence_offsets[row + 1])
        return np.asarray(self.sentence_rows.span(first, last) @ query, dtype=np.float32)

    def lexical_scores(self, text: str) -> np.ndarray:
        """BM25 score of every passage for `text`."""
        return self.lexical.scores(text)

    def lexical_hits(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows ascending, BM25 scores) of the passages sharing a word with `text`."""
        return self.lexical.hits(text)

    @property
    def vocabulary(self):
        return self.lexical.vocabulary


def _top(scores: np.ndarray, depth: int) -> np.ndarray:
    if depth >= len(scores):
        return np.arange(len(scores))
    return np.argpartition(-scores, depth - 1)[:depth]


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


_BREAKS = re.compile(r"\n\s*\n|(?<=[.!?])\s+")


def _boundary_after(text: str, at: int, reach: int) -> int:
    """The first paragraph or sentence start at or after `at`, if one is within `reach`."""
    if at == 0:
        return 0
    found = _BREAKS.search(text, at, min(len(text), at + reach))
    return found.end() if found else at


def _boundary_before(text: str, at: int, reach: int) -> int:
    """The last paragraph or sentence end at or before `at`, if one is within `reach`."""
    if at >= len(text):
        return len(text)
    ends = [m.start() for m in _BREAKS.finditer(text, max(0, at - reach), at)]
    return ends[-1] if ends else at
