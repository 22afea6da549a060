"""Question → ranked, fused, deduplicated `Excerpt`s. The one API every frontend calls."""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from qabot.answer import Answer, Excerpt
from qabot.errors import UnknownSourceError
from qabot.index import LoadedIndex, Reporter, ensure_index
from qabot.question import clean_question
from qabot.settings import Settings

CONTEXT_WEIGHT = 0.5  # how much an earlier question steers a follow-up


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
        from qabot.embedder import load_embedder

        return load_embedder(self.settings.model)

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
        ranked, confidence = self.rank(question, context, wanted_source, mode or self.settings.retrieval_mode)
        excerpts = [self.excerpt(row, score) for row, score in ranked]
        abstained = confidence < self.settings.abstain_threshold
        page = tuple(excerpts[offset : offset + k])
        return Answer(
            question=question,
            abstained=abstained,
            excerpts=page,
            confidence=confidence,
            offset=offset,
            total=len(excerpts),
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

    def rank(self, question: str, context: str | None, source: str | None, mode: str) -> tuple[list[tuple[int, float]], float]:
        """(passage row, fused score) best first, near-duplicates removed; and the answer confidence."""
        total = len(self.index.passages)
        depth = min(total, max(self.settings.candidates, 1))
        if source:
            allowed = np.array([p.source == source for p in self.index.passages])
            depth = total  # a filter may exclude every top candidate: score them all
        else:
            allowed = None
        dense = np.zeros(total, dtype=np.float32)
        lexical = np.zeros(total, dtype=np.float32)
        candidates: set[int] = set()
        if mode in ("dense", "hybrid"):
            scores, rows = self.index.dense.search(self.query_vector(question, context)[None, :], depth)
            for score, row in zip(scores[0], rows[0]):
                if row >= 0:
                    dense[row] = score
                    candidates.add(int(row))
        if mode in ("bm25", "hybrid"):
            raw = self.lexical_scores(question, context)
            top = float(raw.max()) if raw.size else 0.0
            if top > 0:
                lexical = raw / top
                candidates.update(int(r) for r in np.argsort(-raw)[:depth] if raw[r] > 0)
        weight = {"dense": 1.0, "bm25": 0.0}.get(mode, self.settings.dense_weight)
        fused = weight * dense + (1 - weight) * lexical
        rows = [r for r in candidates if allowed is None or allowed[r]]
        rows.sort(key=lambda r: -fused[r])
        ranked = self._without_near_duplicates(rows, fused)
        confidence = float(np.clip(fused[ranked[0][0]], 0.0, 1.0)) if ranked else 0.0
        return ranked, confidence

    def _without_near_duplicates(self, rows: list[int], scores: np.ndarray, limit: float = 0.7) -> list[tuple[int, float]]:
        """Drop a passage whose words mostly repeat a better-ranked one (so five hits say five things)."""
        kept: list[tuple[int, float]] = []
        for row in rows:
            words = self._fingerprints[row]
            if any(len(words & self._fingerprints[k]) / max(1, len(words | self._fingerprints[k])) >= limit for k, _ in kept):
                continue
            kept.append((row, float(scores[row])))
        return kept

    def excerpt(self, row: int, score: float) -> Excerpt:
        passage = self.index.passages[row]
        document = self.index.documents[passage.source]
        return Excerpt(
            source=passage.source,
            start=passage.start,
            end=passage.end,
            text=passage.text,
            score=round(float(score), 4),
            title=document.title,
            author=document.author,
            section=passage.section,
            page=document.page_at(passage.start),
        )
