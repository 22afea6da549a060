"""Question → ranked, fused, deduplicated `Excerpt`s. The one API every frontend calls."""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from qabot.abstention import confidence, evidence, proper_nouns
from qabot.answer import Answer, Excerpt, Highlight
from qabot.errors import UnknownSourceError
from qabot.lexical import tokenize
from qabot.passages import normalise
from qabot.index import LoadedIndex, ensure_index
from qabot.progress import Reporter
from qabot.question import clean_question
from qabot.settings import Settings
from qabot.vector_index import search

CONTEXT_WEIGHT = 0.5  # how much an earlier question steers a follow-up
HIGHLIGHT_TERM_WEIGHT = 0.3  # in picking the best sentence: share of question terms, next to similarity


def fuse(dense: np.ndarray, lexical: np.ndarray, weight: float, method: str, floors: tuple[float, float] | None = None) -> np.ndarray:
    """One score per passage from dense similarities and BM25 scores (both already per passage).

    "minmax" rescales each to [0, 1] between its median and its best passage before mixing, so
    neither evidence dominates only because its scale is wider; "rrf" mixes reciprocal ranks.
    """
    if method == "rrf":
        ranks_dense = np.empty(len(dense)); ranks_dense[np.argsort(-dense)] = np.arange(1, len(dense) + 1)
        ranks_lex = np.empty(len(lexical)); ranks_lex[np.argsort(-lexical)] = np.arange(1, len(lexical) + 1)
        return (weight / (60 + ranks_dense) + (1 - weight) / (60 + ranks_lex)) * 60
    if method == "minmax":
        dense = _rescale(dense, floors[0] if floors else None)
        lexical = _rescale(lexical, floors[1] if floors else None)
    return weight * dense + (1 - weight) * lexical


def _rescale(scores: np.ndarray, floor: float | None = None) -> np.ndarray:
    """Map the median (or a given typical score) to 0 and the best score to 1."""
    floor = float(np.median(scores)) if floor is None else floor
    top = float(scores.max()) if scores.size else 0.0
    if top <= floor:
        return np.zeros_like(scores)
    return np.clip((scores - floor) / (top - floor), 0.0, 1.0)


class Retriever:
    """Answers questions from one loaded index. Build with `Retriever.open(settings)`."""

    def __init__(self, index: LoadedIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._fingerprints = [set(re.findall(r"\w+", p.text.lower())) for p in index.passages]

    @classmethod
    def open(cls, settings: Settings, reporter: Reporter | None = None) -> Retriever:
        """Load the index of `settings`, building it first if it is missing, stale or corrupt."""
        return cls(ensure_index(settings, reporter), settings)

    @cached_property
    def encoder(self):
        """The query encoder: ONNX when the index has one (no torch import), else sentence-transformers."""
        from qabot.query_encoder import load_query_encoder

        return load_query_encoder(self.index.folder.parent, self.index.manifest, self.settings.model)

    # ------------------------------------------------------------------ public API

    def sources(self) -> list[dict]:
        """Every indexed document with its metadata and passage count."""
        counts: dict[str, int] = {}
        for passage in self.index.passages:
            counts[passage.source] = counts.get(passage.source, 0) + 1
        return [
            {"source": d.source, "title": d.title, "author": d.author, "date": d.date, "passages": counts.get(d.source, 0)}
            for d in self.index.documents.values()
        ]

    def resolve_source(self, name: str) -> str:
        """The indexed source a user means: its path, its file name, or an unambiguous prefix of it."""
        wanted = name.strip().lower()
        sources = list(self.index.documents)
        exact = [s for s in sources if s.lower() == wanted or s.lower().rsplit("/", 1)[-1] == wanted]
        if len(exact) == 1:
            return exact[0]
        partial = [s for s in sources if s.lower().rsplit("/", 1)[-1].startswith(wanted) or s.lower().startswith(wanted)]
        if len(partial) == 1:
            return partial[0]
        if not partial:
            raise UnknownSourceError(f"no indexed source matches '{name}'; known sources: {', '.join(sources)}")
        raise UnknownSourceError(f"'{name}' matches several sources: {', '.join(partial)}")

    def ask(
        self,
        question: str,
        k: int | None = None,
        source: str | None = None,
        context: str | None = None,
        offset: int = 0,
        mode: str | None = None,
    ) -> Answer:
        """The top `k` excerpts for `question` (after skipping `offset`), optionally within one source.

        `context` is an earlier question this one follows up on: it steers retrieval, the
        question itself stays what the user typed.
        """
        k = k or self.settings.k
        question = clean_question(question, self.settings.max_question_chars)
        context = clean_question(context, self.settings.max_question_chars) if context else None
        wanted_source = self.resolve_source(source) if source else None
        ranked, evidence_value, query = self.rank(question, context, wanted_source, mode or self.settings.retrieval_mode)
        page = tuple(self.excerpt(row, score, question, query) for row, score in ranked[offset : offset + k])
        threshold = self.settings.abstain_below
        return Answer(
            question=question,
            abstained=evidence_value < threshold,
            excerpts=page,
            confidence=confidence(evidence_value, threshold),
            offset=offset,
            total=len(ranked),
            resolved_question=f"{context} {question}" if context else question,
        )

    # ------------------------------------------------------------------ ranking

    def query_vector(self, question: str, context: str | None) -> np.ndarray:
        vector = self.encoder.encode_query(question)
        if context:
            vector = vector + CONTEXT_WEIGHT * self.encoder.encode_query(context)
            vector = vector / np.linalg.norm(vector)
        return np.asarray(vector, dtype=np.float32)

    def lexical_scores(self, question: str, context: str | None) -> np.ndarray:
        scores = self.index.lexical.scores(question)
        if context:
            scores = scores + CONTEXT_WEIGHT * self.index.lexical.scores(context)
        return scores

    def rank(self, question: str, context: str | None, source: str | None, mode: str) -> tuple[list[tuple[int, float]], float, np.ndarray]:
        """(passage row, fused score) best first, near-duplicates removed; the abstention evidence;
        and the query vector (for highlights)."""
        total = len(self.index.passages)
        depth = min(total, max(self.settings.candidates, 1))
        allowed = None
        if source:
            allowed = self._source_ids == self._source_numbers[source]
            depth = total if not self.index.approximate else min(total, depth * 20)
        query = self.query_vector(question, context)
        dense, candidates = self.dense_scores(query, depth)
        best_dense = float(dense[list(candidates)].max()) if candidates else 0.0
        if allowed is not None:
            kept = [r for r in candidates if allowed[r]]
            best_dense = float(dense[kept].max()) if kept else 0.0
        lexical = np.zeros(total, dtype=np.float32)
        if mode in ("bm25", "hybrid"):
            raw = self.lexical_scores(question, context)
            top = float(raw.max()) if raw.size else 0.0
            if top > 0:
                lexical = raw / top
                best = np.argpartition(-raw, depth - 1)[:depth] if depth < total else np.arange(total)
                lexical_candidates = {int(r) for r in best if raw[r] > 0}
                if mode == "bm25":
                    candidates = lexical_candidates
                else:
                    candidates |= lexical_candidates
            elif mode == "bm25":
                candidates = set()
        weight = {"dense": 1.0, "bm25": 0.0}.get(mode, self.settings.dense_weight)
        if mode == "hybrid":
            sample = self._floor_sample
            fused = fuse(dense, lexical, weight, self.settings.fusion, self._floors(query, lexical, sample))
        else:
            fused = dense if mode == "dense" else lexical
        asked = f"{context} {question}" if context else question
        fused = self._boost_named_voices(fused, asked)
        rows = [r for r in candidates if allowed is None or allowed[r]]
        rows.sort(key=lambda r: -fused[r])
        ranked = self._without_near_duplicates(rows[: max(self.settings.candidates, 10)], fused)
        return ranked, evidence(best_dense, asked, self.index.lexical.vocabulary, self.settings.name_bonus), query

    def _boost_named_voices(self, scores: np.ndarray, question: str) -> np.ndarray:
        """Passages written or spoken by someone the question names ("according to Lukyanov") rank higher:
        a question that names a voice asks for that voice's words."""
        bonus = self.settings.voice_bonus
        names = {t for word in proper_nouns(question) for t in tokenize(word)}
        if not bonus or not names:
            return scores
        voices = self._voice_terms
        matching = [number for number, terms in enumerate(voices) if terms & names]
        if not matching:
            return scores
        boosted = scores.copy()
        for number in matching:
            boosted[self._voice_ids == number] += bonus
        return boosted

    @cached_property
    def _voice_terms(self) -> list[set[str]]:
        """Name terms of each distinct voice, in `_voice_ids` numbering."""
        return [set(tokenize(" ".join(part for part in voice if part))) for voice in self._voice_table[0]]

    @property
    def _voice_ids(self) -> np.ndarray:
        return self._voice_table[1]

    @cached_property
    def _voice_table(self) -> tuple[list[tuple[str | None, str | None]], np.ndarray]:
        """Distinct voices and each passage's voice number, in one pass over the passages.

        A passage's voice is its document's author plus the Q&A speaker when its section is one."""
        speakers = {
            source: {s.label for s in document.sections if s.kind == "speaker"}
            for source, document in self.index.documents.items()
        }
        numbers: dict[tuple[str | None, str | None], int] = {}
        ids = np.empty(len(self.index.passages), dtype=np.int32)
        for row, passage in enumerate(self.index.passages):
            speaker = passage.section if passage.section in speakers[passage.source] else None
            voice = (self.index.documents[passage.source].author, speaker)
            ids[row] = numbers.setdefault(voice, len(numbers))
        return list(numbers), ids

    def dense_scores(self, query: np.ndarray, depth: int) -> tuple[np.ndarray, set[int]]:
        """Per passage: a mix of its own similarity and its best sentence's; and the candidate rows.

        A passage embeds several ideas at once; the one sentence that answers a question is often
        closer to it than the passage as a whole, so both granularities vote. Exact over every
        passage for a flat index; over the candidates of both HNSW indexes for a large one.
        """
        index = self.index
        total = len(index.passages)
        weight = self.settings.sentence_weight
        _, rows = search(index.dense, query[None, :], depth)
        candidates = {int(r) for r in rows[0] if r >= 0}
        owners = self._sentence_owner
        if not index.approximate:
            sentence_sims = np.asarray(index.sentence_vectors) @ query
            best = np.argpartition(-sentence_sims, depth - 1)[:depth] if depth < len(sentence_sims) else np.arange(len(sentence_sims))
            candidates.update(int(owners[s]) for s in best)
            passage_sims = np.asarray(index.vectors) @ query
            best_sentence = np.maximum.reduceat(sentence_sims, index.sentence_offsets[:-1]) if total else passage_sims
            return (weight * best_sentence + (1 - weight) * passage_sims).astype(np.float32), candidates
        _, sentence_rows = search(index.sentence_index, query[None, :], depth * 3)
        candidates.update(int(owners[s]) for s in sentence_rows[0] if s >= 0)
        scores = np.zeros(total, dtype=np.float32)
        for row in candidates:
            scores[row] = self._dense_score(row, query, weight)
        return scores, candidates

    def _dense_score(self, row: int, query: np.ndarray, weight: float) -> float:
        offsets = self.index.sentence_offsets
        sentences = np.asarray(self.index.sentence_vectors[offsets[row] : offsets[row + 1]]) @ query
        return float(weight * sentences.max() + (1 - weight) * (np.asarray(self.index.vectors[row]) @ query))

    def _floors(self, query: np.ndarray, lexical: np.ndarray, sample: np.ndarray | None) -> tuple[float, float] | None:
        """Typical (median) dense and BM25 scores, from a fixed sample of passages on large indexes."""
        if sample is None:
            return None
        weight = self.settings.sentence_weight
        dense = [self._dense_score(int(row), query, weight) for row in sample]
        return float(np.median(dense)), float(np.median(lexical[sample]))

    @cached_property
    def _floor_sample(self) -> np.ndarray | None:
        if not self.index.approximate:
            return None
        return np.linspace(0, len(self.index.passages) - 1, num=min(500, len(self.index.passages))).astype(np.int64)

    @cached_property
    def _sentence_owner(self) -> np.ndarray:
        offsets = self.index.sentence_offsets
        return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))

    @cached_property
    def _source_numbers(self) -> dict[str, int]:
        return {source: number for number, source in enumerate(self.index.documents)}

    @cached_property
    def _source_ids(self) -> np.ndarray:
        numbers = self._source_numbers
        return np.array([numbers[p.source] for p in self.index.passages], dtype=np.int32)

    def _without_near_duplicates(self, rows: list[int], scores: np.ndarray, limit: float = 0.7) -> list[tuple[int, float]]:
        """Drop a passage whose words mostly repeat a better-ranked one (so five hits say five things)."""
        kept: list[tuple[int, float]] = []
        for row in rows:
            words = self._fingerprints[row]
            if any(len(words & self._fingerprints[k]) / max(1, len(words | self._fingerprints[k])) >= limit for k, _ in kept):
                continue
            kept.append((row, float(scores[row])))
        return kept

    def excerpt(self, row: int, score: float, question: str = "", query: np.ndarray | None = None) -> Excerpt:
        passage = self.index.passages[row]
        document = self.index.documents[passage.source]
        highlight = self.best_sentence(row, question, query) if query is not None else None
        return Excerpt(
            source=passage.source,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            score=round(float(score), 4),
            title=document.title,
            author=document.author,
            section=passage.section,
            highlight=Highlight(*highlight) if highlight else None,
            page=document.page_at(passage.start),
            highlight_text=normalise(document.text[highlight[0] : highlight[1]]) if highlight else None,
        )

    def best_sentence(self, row: int, question: str, query: np.ndarray) -> tuple[int, int] | None:
        """The sentence of passage `row` that best answers `question`: dense similarity plus shared terms."""
        passage = self.index.passages[row]
        if len(passage.sentences) < 2:
            return None
        first = int(self.index.sentence_offsets[row])
        similarities = np.asarray(self.index.sentence_vectors[first : first + len(passage.sentences)]) @ query
        terms = set(tokenize(question))
        document_text = self.index.documents[passage.source].text
        best, best_score = None, -np.inf
        for number, (start, end) in enumerate(passage.sentences):
            words = set(tokenize(document_text[start:end]))
            overlap = len(terms & words) / len(terms) if terms else 0.0
            score = float(similarities[number]) + HIGHLIGHT_TERM_WEIGHT * overlap
            if score > best_score:
                best, best_score = (start, end), score
        return best
