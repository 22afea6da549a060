"""Which other sources state the same claim as an excerpt: sentence pairs close in meaning and words.

Two sentences of different documents state the same claim when their vectors are close *and*
they share content words, numbers and names: a topic is shared by many sentences that make
different claims, while the same claim tends to reuse its particulars ("fuel prices", "2,500",
"Tokayev"). A pair's score is `cosine + term_weight × overlap` (overlap: shared content terms over
the smaller sentence's terms); weight and threshold are fitted on labelled pairs, out of fold
(see `qabot.corroboration_eval`). Passages of the excerpt's own document never count, so a
paragraph a document repeats is not its own corroboration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qabot.answer import Excerpt, Highlight
from qabot.arrays import sorted_unique
from qabot.display import display_span
from qabot.lexical import tokenize


@dataclass(frozen=True)
class ClaimMatch:
    """A passage of another source that states a claim of the excerpt, and how strongly."""

    row: int
    sentence: tuple[int, int]  # the matching sentence's raw span in its source
    score: float


MIN_CLAIM_TERMS = 6  # fewer content terms (a heading, a title, "Yes.") state no claim to match
CLAIMS_COLUMN = "claim_terms"  # passages/ column: each sentence's claim terms, space-separated (see below)


def claim_terms(text: str) -> frozenset[str]:
    """Content-word stems, numbers and names of a sentence (stop words dropped); empty when the
    sentence states no claim: a question, or too short to carry particulars (a heading)."""
    terms = frozenset(tokenize(text))
    return terms if len(terms) >= MIN_CLAIM_TERMS and not text.rstrip().endswith("?") else frozenset()


def stored_claims(passage, document) -> list[str]:
    """The claim terms of each sentence of `passage`, as the generation stores them (sorted, joined by
    spaces: a term never holds a space), so a question never reads a whole document to get them."""
    return [" ".join(sorted(claim_terms(document.text[start:end]))) for start, end in passage.sentences]


def term_overlap(first: frozenset[str], second: frozenset[str]) -> float:
    """Shared terms over the smaller set: 1.0 when one sentence's particulars all recur in the other."""
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def claim_score(cosine: float, overlap: float, term_weight: float) -> float:
    return cosine + term_weight * overlap


@dataclass(frozen=True)
class PageSearch:
    """The sentences of some passages (`firsts`/`lasts`: each passage's sentence ids), their vectors
    (`own`, one row each, in order) and the ids of their nearest sentences (`found`, one row each)."""

    firsts: list[int]
    lasts: list[int]
    own: np.ndarray
    found: np.ndarray | None


class Corroborator:
    """Finds, for a passage, the passages of other sources that state one of its claims.

    Candidates are the `depth` nearest sentences of each of its sentences (a numpy product on a
    flat index, the sentence IVF or HNSW on an approximate one, where an IVF probes `nprobe` lists:
    a page's ~20 sentence searches were most of a warm ask at a million passages), so the cost does
    not grow with the corpus; their terms are cached (the index never changes under a Retriever)."""

    def __init__(self, index, threshold: float, term_weight: float, depth: int = 32, nprobe: int | None = None) -> None:
        self.index, self.threshold, self.term_weight, self.depth = index, threshold, term_weight, depth
        self.nprobe = nprobe  # IVF lists probed per sentence (None: the index's own nprobe)
        self._terms: dict[int, frozenset[str]] = {}

    def sentence_terms(self, sentence: int) -> frozenset[str]:
        stored = self.index.passages.claims
        if stored is not None:  # written at build time: one short read, nothing to cache
            return frozenset(stored[sentence].split())
        return self.document_terms(sentence)

    def document_terms(self, sentence: int) -> frozenset[str]:
        """`claim_terms` of a sentence read from its document (indexes written before the stored column)."""
        terms = self._terms.get(sentence)
        if terms is None:
            row = int(self.index.sentence_owners[sentence])
            start, end = self.index.passages[row].sentences[sentence - int(self.index.sentence_offsets[row])]
            terms = self._terms[sentence] = claim_terms(self.index.document(self.index.passages[row].source).text[start:end])
        return terms

    def terms_of(self, sentences: np.ndarray) -> list[frozenset[str]]:
        """`sentence_terms` of several sentences (one short read each from the stored column)."""
        stored = self.index.passages.claims
        if stored is None:
            return [self.document_terms(s) for s in sentences.tolist()]
        return [frozenset(text.split()) for text in stored.many(sentences)]

    def near_sentences(
        self, own: np.ndarray, found: np.ndarray | None = None, usable=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(sentence ids, cosines with each own sentence): the `depth` nearest sentences of each own
        sentence (a same claim is close in meaning), of which only those that could pass are kept.
        `found`: `_search(own)`, when searched already (a page's sentences in one batch);
        `usable(ids)`: a mask of the ids that may count at all, applied before their vectors are read."""
        found = self._search(own) if found is None else found
        ids = sorted_unique(found[found >= 0])
        if usable is not None:
            ids = ids[usable(ids)]
        columns = np.ascontiguousarray(own.T)  # a strided operand would send the product down a slow path
        cosines = np.asarray(self.index.sentence_rows.take(ids) @ columns, dtype=np.float32).T
        keep = cosines.max(axis=0) >= self.threshold - self.term_weight
        return ids[keep], cosines[:, keep]

    def _search(self, own: np.ndarray) -> np.ndarray:
        """The ids of the `depth` nearest sentences of each own sentence, one row each: on a flat
        index one product over every sentence vector for all of them (per passage, a page read the
        whole matrix five times: ~18 of a ~36 ms warm ask at 3,000 passages), else the FAISS index."""
        index = self.index
        if index.sentence_index is None:
            everything = np.asarray(np.asarray(index.sentence_vectors) @ np.ascontiguousarray(own.T), dtype=np.float32)
            depth = min(self.depth, everything.shape[0])
            return np.argpartition(-everything, depth - 1, axis=0)[:depth].T
        from qabot.vector_index import search

        return search(index.sentence_index, np.ascontiguousarray(own, dtype=np.float32), self.depth, self.nprobe)[1]

    def matches(self, row: int, allowed: np.ndarray | None = None) -> list[ClaimMatch]:
        """The best-matching passage of each other source whose best sentence pair passes the bar,
        strongest first (`allowed`: a mask of the passages that may be cited)."""
        return self.matches_many([row], allowed)[0]

    def matches_many(
        self, rows: list[int], allowed: np.ndarray | None = None, searched: PageSearch | None = None
    ) -> list[list[ClaimMatch]]:
        """`matches` of several passages; all their sentences are searched at once (one pass over
        the sentence vectors, or over an approximate index's probed lists, instead of one per passage).
        `searched`: `search_many(rows)`, when done already (on another thread, see `Retriever.ask`)."""
        searched = self.search_many(rows) if searched is None else searched
        own, found = searched.own, searched.found
        result, at = [], 0
        for row, first, last in zip(rows, searched.firsts, searched.lasts):
            size = last - first
            part = None if found is None else found[at : at + size]
            result.append(self._matches(row, first, last, own[at : at + size], part, allowed) if size else [])
            at += size
        return result

    def search_many(self, rows: list[int]) -> PageSearch:
        """The sentence vectors of `rows` and their nearest sentences: the part of `matches_many` that
        needs no Python while it runs (reads and the FAISS or numpy search release the interpreter lock)."""
        index = self.index
        firsts = [int(index.sentence_offsets[r]) for r in rows]
        lasts = [int(index.sentence_offsets[r + 1]) for r in rows]
        own = np.asarray(index.sentence_rows.spans(np.array(firsts, dtype=np.int64), np.array(lasts, dtype=np.int64)),
                         dtype=np.float32)
        return PageSearch(firsts, lasts, own, self._search(own) if len(own) else None)

    def _matches(
        self, row: int, first: int, last: int, own: np.ndarray, found: np.ndarray | None, allowed: np.ndarray | None
    ) -> list[ClaimMatch]:
        index = self.index
        owned = [(k, terms, len(terms)) for k, terms in enumerate(self.terms_of(np.arange(first, last))) if terms]
        if not owned:  # no sentence of it states a claim: nothing can match
            return []
        ids, cosines = self.near_sentences(own, found, lambda ids: self._usable(row, ids, allowed))
        others = np.asarray(index.sentence_owners[ids], dtype=np.int64)
        sources = np.asarray(index.passage_sources[others])
        best: dict[int, ClaimMatch] = {}  # by source number
        weight, union = self.term_weight, frozenset().union(*(terms for _, terms, _ in owned))
        ceilings = cosines[[k for k, _, _ in owned]].max(axis=0).tolist()  # best cosine with a claim sentence
        smallest = min(own_size for _, _, own_size in owned)
        for ceiling, cosine, sentence, other, source, terms in zip(
            ceilings, cosines.T.tolist(), ids.tolist(), others.tolist(), sources.tolist(), self.terms_of(ids)
        ):  # Python floats and sets: a hot loop, ~600 candidates a page at scale
            if not terms:
                continue
            shared, size = terms & union, len(terms)
            if not shared:  # no term in common with any own sentence: the overlap adds nothing
                score = ceiling
            elif ceiling + weight * min(1.0, len(shared) / min(smallest, size)) < self.threshold:
                continue  # no own sentence shares more than `shared`: even that bound stays below the bar
            else:  # claim_score(cosine, term_overlap(own, terms), weight), inlined
                score = max(cosine[k] + weight * (len(own & shared) / min(own_size, size)) for k, own, own_size in owned)
            if score >= self.threshold and (source not in best or score > best[source].score):
                span = index.passages.sentences[sentence].tolist()  # a sentence's span by its number: no Passage built
                best[source] = ClaimMatch(other, tuple(span), round(score, 4))
        return sorted(best.values(), key=lambda m: (-m.score, m.row))

    def _usable(self, row: int, ids: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        """Which sentences may corroborate passage `row`: another source's, and one that may be cited."""
        others = self.index.sentence_owners[ids]
        usable = self.index.passage_sources[others] != self.index.passage_sources[row]
        return usable & allowed[others] if allowed is not None else usable


def match_excerpts(index, matches: list[ClaimMatch]) -> list[Excerpt]:
    """The matched passages as excerpts ranked 1, 2, …, each with its matching sentence marked."""
    result = []
    for number, match in enumerate(matches, 1):
        passage = index.passages[match.row]
        document = index.document(passage.source)
        raw = document.text[passage.start : passage.end]
        text_start, text_end = display_span(raw, match.sentence[0] - passage.start, match.sentence[1] - passage.start)
        result.append(Excerpt(
            source=passage.source, start=passage.start, end=passage.end, text=passage.text, score=match.score,
            rank=number, title=document.title, author=document.author, section=passage.section,
            highlight=Highlight(match.sentence[0], match.sentence[1], text_start, text_end),
            page=document.page_at(passage.start),
        ))
    return result
