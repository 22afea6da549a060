"""Question → ranked, fused, deduplicated `Excerpt`s: `Retriever.ask`, the one API frontends call.

A `Retriever` is immutable once made (index, settings and query encoder are fixed in `__init__`),
so any number of threads may call `ask` at once; a new index generation means a new `Retriever`
(see `qabot.engine`). Follow-ups come in through `rank_follow_up` (with `rank`'s
`locality`) and `topic_distance` (is a line a new topic?), which with perspectives and "also"
take the module past 250 lines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from qabot.abstention import Signals, confidence, coverage, known_name_share, proper_nouns
from qabot.aliases import Aliases
from qabot.answer_type import mismatch
from qabot.answer import Also, Answer, Excerpt, Highlight, Perspective, Perspectives
from qabot.arrays import median, sorted_unique
from qabot.beside import beside
from qabot.corroboration import Corroborator, match_excerpts
from qabot.errors import UnknownSourceError
from qabot.display import display_span
from qabot.follow_up import FollowUp, Locality
from qabot.index import Index
from qabot.lexical import tokenize
from qabot.perspectives import by_best_excerpt, split_addressed, voice_evidence, voice_name
from qabot.progress import Reporter
from qabot.query_vectors import QueryVectors
from qabot.question import clean_question
from qabot.ranking import (
    boost, dense_share, fuse, fuse_rankings, idf, lexical_coverage, prefer_near, without_near_duplicates,
)
from qabot.settings import Settings
from qabot.scan import SYNONYMS_NAME
from qabot.vector_index import numpy_blas_on_one_thread

ALSO_CACHE = 8192  # rows whose "also" (no source filter) a retriever keeps


@dataclass(frozen=True)
class Ranking:
    """Passages for one question, best first and without near-duplicates, and the evidence that
    decides abstention. `vector` is the query vector (highlights reuse it)."""

    rows: list[tuple[int, float]]
    evidence: float
    vector: np.ndarray
    scores: np.ndarray | None = None  # the fused (and boosted) score of every passage
    dense: np.ndarray | None = None  # the dense score (passage and best-sentence mix) of every passage
    allowed: np.ndarray | None = None  # the passages the source filter lets through (None: all)
    signals: Signals | None = None  # what abstention weighed (see qabot.abstention)
    dense_share: float | None = None  # the dense share the fusion gave this question (hybrid mode)


class Retriever:
    """Answers questions from one opened index. Make one with `Retriever.open(settings)`."""

    def __init__(self, index: Index, settings: Settings, encoder=None) -> None:
        from qabot.query_encoder import load_query_encoder

        self.index = index
        self.settings = settings
        self.encoder = encoder or load_query_encoder(
            index.index_dir, index.manifest.query_encoder, settings.model, settings.indexing.query_threads
        )
        retrieval = settings.retrieval
        self.corroborator = Corroborator(index, retrieval.also_threshold, retrieval.also_term_weight, nprobe=retrieval.also_nprobe)
        self.encode = QueryVectors(self.encoder)  # a follow-up re-encodes its context
        # a passage's word set (stored with the generation) is read once, not for every question it is a candidate of
        numpy_blas_on_one_thread()  # once per process
        self.words_of = functools.lru_cache(maxsize=65536)(index.fingerprint)
        # and so are its terms (abstention's coverage, the dense share), its "also" and its highlights
        self.terms_of = functools.lru_cache(maxsize=65536)(lambda row: frozenset(tokenize(index.passages[row].embed_text)))
        self._also_cache: dict[int, tuple[Also, ...]] = {}  # `also` without a source filter, by row (see also_many)
        self._display_span = functools.lru_cache(maxsize=8192)(self._display_span_of)
        # a follow-up's context is the last turn's question: its postings were summed then
        self._postings = functools.lru_cache(maxsize=256)(self._read_postings)
        self._voice_terms = [set(tokenize(" ".join(p for p in (v.author, v.speaker) if p))) for v in index.voices]
        self.aliases = self._aliases(settings)

    def forget_questions(self) -> None:
        """Drop what is cached by question text (query vectors, BM25 postings), keeping what is cached
        by passage: a benchmark times each question as if nobody had asked it before."""
        self.encode.cache_clear()
        self._postings.cache_clear()

    def forget_passages(self) -> None:
        """Drop what is cached by passage (words, terms, highlight spans, "also"): a benchmark of work
        done per passage times it as for passages no question has touched yet."""
        for cached in (self.words_of, self.terms_of, self._display_span):
            cached.cache_clear()
        self._also_cache.clear()

    def _aliases(self, settings: Settings) -> Aliases:
        """The user's synonyms file and the aliases the documents state ("Full Name (ACRONYM)")."""
        retrieval = settings.retrieval
        path = retrieval.synonyms_file or settings.sources / SYNONYMS_NAME
        return Aliases.from_acronyms(path, self.index.acronyms() if retrieval.mine_aliases else {})

    @classmethod
    def open(cls, settings: Settings, reporter: Reporter | None = None, preload=None) -> Retriever:
        """Open the index of `settings`, building it first if it is missing, stale or corrupt; the
        query encoder the current generation names opens meanwhile (`preload`, a
        `qabot.query_encoder.EncoderPreload` of `settings.index` started earlier, or one started now)."""
        from qabot.build import ensure_index
        from qabot.query_encoder import EncoderPreload

        preload = preload or EncoderPreload(settings.index, settings.indexing.query_threads)
        try:
            index = ensure_index(settings, reporter, preload.current())
        except BaseException:
            preload.wait()
            raise
        return cls(index, settings, preload.result(index.index_dir, index.manifest.query_encoder))

    def with_settings(self, settings: Settings) -> Retriever:
        """The same index and encoder under other retrieval settings (for comparisons)."""
        return Retriever(self.index, settings, self.encoder)

    def ask(
        self,
        question: str,
        k: int | None = None,
        source: str | None = None,
        context: str | None = None,
        offset: int = 0,
        mode: str | None = None,
        follow_up: FollowUp | None = None,
    ) -> Answer:
        """The excerpts ranked `offset + 1` to `offset + k` for `question`, optionally within one source.

        `context` is an earlier question this one follows up on: it steers retrieval; the
        question itself stays what the user typed. `follow_up` (see `qabot.follow_up.read`) replaces
        `context` with a resolved reading, a preferred place and, when unsure, a fused ranking.
        """
        question, ranking = self._ranked(question, source, context, mode, follow_up)
        return self._answer(question, ranking, k or self.settings.k, offset)

    def perspectives(
        self, question: str, source: str | None = None, context: str | None = None, k: int | None = None,
        follow_up: FollowUp | None = None,
    ) -> Perspectives:
        """The usual answer, plus the best excerpt of each voice that addresses the question (best
        first, ranked 1, 2, … in that list) and the names of the voices that seem not to; a
        follow-up is ranked as read (`follow_up`), as its answer was."""
        question, ranking = self._ranked(question, source, context, None, follow_up)
        answer = self._answer(question, ranking, k or self.settings.k, 0)
        # voices are judged on one dense share for every question (the fusion voice_bar was fitted on)
        share = self.settings.retrieval.voice_dense_weight
        voices = self._ranked(question, source, context, None, follow_up, share)[1]
        evidence = voice_evidence(voices.scores, self.index.passage_voices, voices.allowed)
        addressed, silent = split_addressed(evidence, self.settings.retrieval.voice_bar, not answer.abstained)
        terms = set(tokenize(question))
        perspectives = []
        for number, item in enumerate(by_best_excerpt(addressed, voices.scores), 1):
            excerpt = self.excerpt(item.row, float(voices.scores[item.row]), number, terms, voices.vector, voices.allowed)
            perspectives.append(Perspective(self._voice_name(item.row), excerpt.source, excerpt))
        return Perspectives(answer, tuple(perspectives), tuple(self._voice_name(item.row) for item in silent))

    def _ranked(
        self, question: str, source: str | None, context: str | None, mode: str | None, follow_up: FollowUp | None = None,
        share: float | None = None,
    ) -> tuple[str, Ranking]:
        limit = self.settings.max_question_chars
        question = clean_question(question, limit)
        context = clean_question(context, limit) if context else None
        wanted = self.index.resolve(source) if source else None
        mode = mode or self.settings.retrieval.mode
        if follow_up is not None:
            return question, self.rank_follow_up(question, follow_up, wanted, mode, share)
        return question, self.rank(question, context, wanted, mode, share=share)

    def _answer(self, question: str, ranking: Ranking, k: int, offset: int) -> Answer:
        terms = set(tokenize(question))
        page = ranking.rows[offset : offset + k]
        threshold = self.settings.retrieval.abstain_below
        alsos = self.also_later([row for row, _ in page], ranking.allowed)  # its search runs beside the excerpts
        excerpts = [self.excerpt(row, score, offset + number, terms, ranking.vector, ranking.allowed, ())
                    for number, (row, score) in enumerate(page, 1)]
        return Answer(
            question=question,
            abstained=ranking.evidence < threshold,
            excerpts=tuple(replace(excerpt, also=also) for excerpt, also in zip(excerpts, alsos())),
            confidence=confidence(ranking.evidence, threshold, self.settings.retrieval.confidence_scale),
            more=offset + k < len(ranking.rows),
        )

    def _voice_name(self, row: int) -> str:
        return voice_name(self.index.voices[int(self.index.passage_voices[row])], self.index.passages[row].source)

    # ------------------------------------------------------------------------------ ranking

    def query_vector(self, question: str, context: str | None) -> np.ndarray:
        vector = self.encode(question)
        if context:
            vector = vector + self.settings.retrieval.context_weight * self.encode(context)
            vector = vector / np.linalg.norm(vector)
        return np.asarray(vector, dtype=np.float32)

    def lexical_scores(self, question: str, context: str | None) -> np.ndarray:
        """BM25 of the question, plus (weighted) BM25 of the other names of what it names (aliases)."""
        rows, values = self.lexical_hits(question, context)
        scores = np.zeros(len(self.index.passages), dtype=np.float32)
        scores[rows] = values
        return scores

    def lexical_hits(self, question: str, context: str | None) -> tuple[np.ndarray, np.ndarray]:
        """`lexical_scores` for the passages sharing a word with the question, its aliases or its
        context only: (rows ascending, scores)."""
        parts = [(weight, *self._postings(text)) for text, weight in self._lexical_texts(question, context)]
        if len(parts) == 1:
            return parts[0][1], parts[0][2]
        rows = sorted_unique(np.concatenate([found for _, found, _ in parts]))
        scores = _values_at(parts[0][1], parts[0][2], rows)
        for weight, found, values in parts[1:]:
            scores = scores + weight * _values_at(found, values, rows)
        return rows, scores

    def _read_postings(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = self.index.lexical_hits(text)
        rows.setflags(write=False)  # shared through the cache
        scores.setflags(write=False)
        return rows, scores

    def _lexical_texts(self, question: str, context: str | None) -> list[tuple[str, float]]:
        """What BM25 scores, with weights: the question, the other names of what it names, its context."""
        texts = [(question, 1.0)]
        expansions = self.aliases.expansions(question)
        if expansions and self.settings.retrieval.alias_weight:
            texts.append((" ".join(expansions), self.settings.retrieval.alias_weight))
        if context:
            texts.append((context, self.settings.retrieval.context_weight))
        return texts

    def rank_follow_up(
        self, question: str, follow_up: FollowUp, source: str | None, mode: str, share: float | None = None
    ) -> Ranking:
        """A follow-up ranked as resolved, with its context, near the previous answer; unless sure,
        fused (reciprocal ranks, `lean` : 1 - `lean`) with the line ranked alone, so a wrong guess costs little.
        `share` as in `rank`."""
        limit = self.settings.max_question_chars
        reading = clean_question(follow_up.reading, limit)
        context = clean_question(follow_up.context, limit)
        self.encode.many([reading, question, context])  # whichever are new, in one run
        leaning = self.rank(reading, context, source, mode, follow_up.locality, share)
        if follow_up.lean >= 1 and reading == question:
            return leaning
        if follow_up.lean >= 1:  # a resolved pronoun may be wrong: fuse with the line as typed
            other, weights = self.rank(question, context, source, mode, follow_up.locality, share), (0.5, 0.5)
        else:
            other, weights = self.rank(question, None, source, mode, share=share), (follow_up.lean, 1 - follow_up.lean)
        rows = fuse_rankings([leaning.rows, other.rows], weights, self.settings.retrieval.rrf_k)
        # unsure it follows up, the line must be covered on its own: an off-topic line still abstains
        evidence = max(leaning.evidence, other.evidence) if follow_up.lean >= 1 else other.evidence
        return replace(leaning, rows=rows, evidence=evidence)

    def rank(
        self, question: str, context: str | None, source: str | None, mode: str, locality: Locality | None = None,
        share: float | None = None,
    ) -> Ranking:
        """Every candidate passage fused, boosted, filtered, sorted and deduplicated; `locality`
        (a follow-up's previous answer) lifts passages of its document and section; `share` fixes
        the fusion's dense share (else `ranking.dense_share` picks one for the question).

        Scores live in a "space" of rows: every passage on a flat index (fusion's medians are taken
        over all of them), the candidates only on an approximate one, so a question there touches
        a few hundred rows whatever the corpus size."""
        settings = self.settings.retrieval
        index = self.index
        total = len(index.passages)
        depth = min(total, settings.candidates)
        allowed = index.source_mask(source) if source else None
        if allowed is not None:
            depth = min(total, depth * settings.filter_depth) if index.approximate else total
        fixed, share = share, settings.dense_weight if share is None else share
        # BM25 needs no query vector: its part runs beside the encoding and the dense search
        pending = beside(self._lexical_side, question, context, depth, fixed) if mode in ("bm25", "hybrid") else None
        vector = self.query_vector(question, context)
        hits = index.dense_search(vector, max(depth, 1), settings.sentence_depth)
        candidates = set(hits.candidates.tolist())
        scored = [r for r in candidates if allowed is None or allowed[r]]
        found, raw = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = 0.0
        if pending is not None:
            found, raw, top, lexical_share, matched = pending.result()
            share = share if lexical_share is None else lexical_share
            candidates = matched if mode == "bm25" else candidates | matched
        if index.approximate and candidates - set(hits.rows.tolist()):
            hits = index.with_rows(hits, vector, np.fromiter(candidates, dtype=np.int64))
        space = hits.rows
        dense = self._dense_mix(hits.best_sentence, hits.passage)
        best_dense = float(dense[np.searchsorted(space, scored)].max()) if scored else 0.0
        lexical = _values_at(found, raw, space) / top if top > 0 else np.zeros(len(space), dtype=np.float32)
        if mode == "hybrid":
            floors = self._floors(vector, found, raw, top)
            fused = fuse(dense, lexical, share, settings.fusion, floors, settings.rrf_k)
        else:
            fused = dense if mode == "dense" else lexical
        asked = f"{context} {question}" if context else question
        members = index.passage_voices[space] if index.approximate else index.passage_voices
        fused = boost(fused, members, self._named_voices(asked), settings.voice_bonus)
        if settings.boilerplate_penalty:
            fused = fused.copy()
            rows = list(candidates)
            for row, at in zip(rows, np.searchsorted(space, rows).tolist()):
                fused[at] -= settings.boilerplate_penalty * self._low_content_of(row)
        if locality is not None:
            fused = self._prefer_near(fused, space, candidates, locality)
        scores, dense = _spread(space, fused, total), _spread(space, dense, total)
        rows = sorted((r for r in candidates if allowed is None or allowed[r]), key=lambda r: (-scores[r], r))
        ranked = without_near_duplicates(
            rows[: max(settings.candidates, 10)], scores, self.words_of,
            settings.duplicate_overlap,
        )
        signals = self._signals(asked, best_dense, ranked, question)
        evidence = signals.evidence(
            settings.name_bonus, settings.coverage_bonus, settings.unknown_penalty, settings.mismatch_penalty
        )
        return Ranking(ranked, evidence, vector, scores, dense, allowed, signals, share if mode == "hybrid" else None)

    def _lexical_side(
        self, question: str, context: str | None, depth: int, fixed: float | None
    ) -> tuple[np.ndarray, np.ndarray, float, float | None, set[int]]:
        """BM25's part of `rank`: its hits (rows, scores), their best score, the dense share the best
        hit implies (`fixed` if given; None without a hit) and the `depth` best rows."""
        found, raw = self.lexical_hits(question, context)
        top = float(raw.max()) if raw.size else 0.0
        if top <= 0:
            return found, raw, top, None, set()
        share = self._dense_share(question, int(found[np.argmax(raw)])) if fixed is None else fixed
        best = _lexical_best(found, raw, depth, len(self.index.passages), whole=not self.index.approximate)
        return found, raw, top, share, set(best.tolist())

    def _dense_mix(self, best_sentence, passage):
        """A passage's dense score: its best sentence's cosine and its own, mixed by `sentence_weight`."""
        weight = self.settings.retrieval.sentence_weight
        return weight * best_sentence + (1 - weight) * passage

    def _dense_share(self, question: str, best_lexical: int) -> float:
        """`ranking.dense_share` for this question, from the IDF mass of its words in BM25's best passage."""
        settings = self.settings.retrieval
        if not settings.adaptive_weight:
            return settings.dense_weight
        matched = lexical_coverage(tokenize(question), self.terms_of(best_lexical), self._idf)
        return dense_share(settings.dense_weight, settings.adaptive_weight, matched)

    def _idf(self, term: str) -> float:
        lexical = self.index.lexical
        column = lexical.vocabulary.get(term)
        return idf(0 if column is None else int(lexical.indptr[column + 1] - lexical.indptr[column]), lexical.size)

    def _signals(self, asked: str, best_dense: float, ranked: list[tuple[int, float]], line: str) -> Signals:
        """Abstention's evidence: dense match, known names, the question's words in the best passages
        and in the sources, and whether the best passages offer the kind of answer `line` asks for."""
        top = [row for row, _ in ranked[: self.settings.retrieval.coverage_depth]]
        best = [self.index.passages[row] for row in top]
        passage_terms = set().union(*(self.terms_of(row) for row in top))
        terms = tokenize(asked)
        covered = coverage(terms, passage_terms)
        unknown = 1.0 - lexical_coverage(terms, self.index.vocabulary.keys(), self._idf) if terms else 0.0
        names = {t for word in proper_nouns(asked) for t in tokenize(word) if t in self.index.vocabulary}
        facts = [t for t in terms if t not in names]
        missing = mismatch(line, facts, _sentences(self.index, best), [p.text for p in best])
        return Signals(best_dense, known_name_share(asked, self.index.vocabulary), covered, unknown, missing)

    def _prefer_near(self, scores: np.ndarray, space: np.ndarray, candidates: set[int], locality: Locality) -> np.ndarray:
        rows = sorted(candidates)
        passages = [self.index.passages[r] for r in rows]
        same_document = np.array([p.source == locality.source for p in passages], dtype=bool)
        same_section = np.array([p.section == locality.section for p in passages], dtype=bool)
        at = np.searchsorted(space, rows).tolist()
        return prefer_near(scores, at, same_document, same_section, self.settings.retrieval.locality_bonus)

    def _previous_row(self, locality: Locality | None) -> int | None:
        """The passage row of the previous answer's first excerpt, when the locality names its span."""
        if locality is None or locality.start is None or locality.end is None:
            return None
        return self.index.passages.row_of(locality.source, locality.start, locality.end)

    def topic_distance(
        self, question: str, previous_question: str, locality: Locality | None, reading: str | None = None
    ) -> tuple[float, float]:
        """How much better the line alone matches its best passage than the previous answer's
        (dense), and its cosine to the previous question: a new topic that names nothing new is
        far from the previous turn and close to other passages. `reading`, the line as a follow-up
        would read it, is encoded in the same run (it is ranked next unless the line stands alone)."""
        limit = self.settings.max_question_chars
        question = clean_question(question, limit)
        self.encode.many([question, clean_question(reading, limit)] if reading else [question])
        vector = self.query_vector(question, None)
        similarity = float(vector @ self.encode(clean_question(previous_question, limit)))
        previous = self._previous_row(locality)
        if previous is None:
            return 0.0, similarity
        settings = self.settings.retrieval
        hits = self.index.dense_search(vector, min(len(self.index.passages), 10), settings.sentence_depth)
        dense = self._dense_mix(hits.best_sentence, hits.passage)
        near = float(self.index.vector_rows.span(previous, previous + 1)[0] @ vector)
        near_sentence = float(self.index.sentence_similarities(previous, vector).max())
        previous_dense = self._dense_mix(near_sentence, near)
        return float(dense[np.searchsorted(hits.rows, hits.candidates)].max() - previous_dense), similarity

    def _named_voices(self, question: str) -> list[int]:
        """Voices the question names ("according to Lukyanov"): their passages are what it asks for."""
        names = {t for word in proper_nouns(question) for t in tokenize(word)}
        return [number for number, terms in enumerate(self._voice_terms) if terms & names] if names else []

    def _low_content_of(self, row: int) -> float:
        return self.index.low_content(row)

    def _floors(self, vector: np.ndarray, found: np.ndarray, raw: np.ndarray, top: float) -> tuple[float, float] | None:
        """Typical (median) dense and BM25 scores from a fixed sample of passages, on approximate
        indexes (where only candidates are scored); None on flat ones (medians over everything)."""
        if not self.index.approximate:
            return None
        hits = self._floor_vectors.score(vector)
        dense = self._dense_mix(hits.best_sentence, hits.passage)
        lexical = _values_at(found, raw, hits.rows) / top if top > 0 else np.zeros(len(hits.rows), dtype=np.float32)
        return median(dense), median(lexical)

    @functools.cached_property
    def _floor_vectors(self):
        """The vectors of a fixed sample of passages, read once for every question's floors."""
        total = len(self.index.passages)
        sample = np.linspace(0, total - 1, num=min(self.settings.retrieval.floor_sample, total)).astype(np.int64)
        return self.index.row_vectors(sample)

    # ----------------------------------------------------------------------------- excerpts

    def excerpt(
        self, row: int, score: float, rank: int, terms: set[str], vector: np.ndarray, allowed: np.ndarray | None = None,
        also: tuple[Also, ...] | None = None,
    ) -> Excerpt:
        """Passage `row` as a cited excerpt: its best sentence marked, the other sources stating
        one of its claims in `also` (among the passages `allowed` by the source filter; given when
        found already for a whole page, see `also_many`)."""
        passage = self.index.passages[row]
        document = self.index.document(passage.source)
        highlight = None
        best = self.best_sentence(row, terms, vector)
        if best is not None:
            highlight = Highlight(best[0], best[1], *self._display_span(row, best[0], best[1]))
        return Excerpt(
            source=passage.source, start=passage.start, end=passage.end, text=passage.text,
            score=round(float(score), 4), rank=rank, title=document.title, author=document.author,
            section=passage.section, highlight=highlight, page=document.page_at(passage.start),
            also=self.also(row, allowed) if also is None else also,
        )

    def _display_span_of(self, row: int, start: int, end: int) -> tuple[int, int]:
        """Where the file's [start:end] lies in passage `row`'s display text."""
        passage = self.index.passages[row]
        raw = self.index.document(passage.source).text[passage.start : passage.end]
        return display_span(raw, start - passage.start, end - passage.start)

    def also(self, row: int, allowed: np.ndarray | None = None) -> tuple[Also, ...]:
        """Passages of other sources that state one of the claims of passage `row`."""
        return self.also_many([row], allowed)[0]

    def also_many(self, rows: list[int], allowed: np.ndarray | None = None) -> list[tuple[Also, ...]]:
        """`also` of several passages. Without a source filter a row's list is kept (a row recurs
        across turns); the rows not known yet are found together (one sentence search for all of
        them on an approximate index)."""
        return self.also_later(rows, allowed, at_once=True)()

    def also_later(
        self, rows: list[int], allowed: np.ndarray | None = None, at_once: bool = False
    ) -> Callable[[], list[tuple[Also, ...]]]:
        """`also_many`, its sentence search started now on a worker thread (unless `at_once`): call
        the result for the lists (the matching runs then, on the calling thread)."""
        known: dict[int, tuple[Also, ...]] = {}
        if allowed is None:
            for row in rows:
                if (found := self._also_cache.get(row)) is not None:
                    known[row] = found
        missing = [row for row in dict.fromkeys(rows) if row not in known]
        searched = None
        if missing and not at_once:
            searched = beside(self.corroborator.search_many, missing)

        def collect() -> list[tuple[Also, ...]]:
            if missing:
                passages = self.index.passages
                page = None if searched is None else searched.result()
                for row, matches in zip(missing, self.corroborator.matches_many(missing, allowed, page)):
                    known[row] = tuple(
                        Also(passages[m.row].source, passages[m.row].start, passages[m.row].end, self._voice_name(m.row))
                        for m in matches
                    )
                if allowed is None:
                    if len(self._also_cache) > ALSO_CACHE:  # bounded: dropped whole, rebuilt by later turns
                        self._also_cache.clear()
                    self._also_cache.update((row, known[row]) for row in missing)
            return [known[row] for row in rows]

        return collect

    def corroborating(self, excerpt: Excerpt, source: str | None = None) -> list[Excerpt]:
        """The passages behind `excerpt.also` as excerpts (ranked 1, 2, …), the matching sentence
        marked; `source` is the filter in force, as when the excerpt was given."""
        row = self.row_of(excerpt)
        allowed = self.index.source_mask(self.index.resolve(source)) if source else None
        return match_excerpts(self.index, self.corroborator.matches(row, allowed))

    def row_of(self, excerpt: Excerpt) -> int:
        """The passage row an excerpt quotes."""
        row = self.index.passages.row_of(excerpt.source, excerpt.start, excerpt.end)
        if row is None:
            raise UnknownSourceError(f"{excerpt.source} [{excerpt.start}:{excerpt.end}] is not a passage of this index")
        return row

    def best_sentence(self, row: int, terms: set[str], vector: np.ndarray) -> tuple[int, int] | None:
        """The sentence of passage `row` that best answers the question: similarity plus shared terms."""
        passage = self.index.passages[row]
        if len(passage.sentences) < 2:
            return None
        similarities = self.index.sentence_similarities(row, vector)
        text = self.index.document(passage.source).text
        weight = self.settings.retrieval.highlight_term_weight
        scores = [
            float(similarities[number]) + weight * (len(terms & set(tokenize(text[start:end]))) / len(terms) if terms else 0.0)
            for number, (start, end) in enumerate(passage.sentences)
        ]
        return passage.sentences[int(np.argmax(scores))]


def _values_at(rows: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """`values` (aligned with ascending `rows`) at the `wanted` rows, zero where a row is absent."""
    result = np.zeros(len(wanted), dtype=values.dtype)
    if not len(rows) or not len(wanted):
        return result
    at = np.minimum(np.searchsorted(rows, wanted), len(rows) - 1)
    present = rows[at] == wanted
    result[present] = values[at[present]]
    return result


def _lexical_best(rows: np.ndarray, raw: np.ndarray, depth: int, total: int, whole: bool) -> np.ndarray:
    """The `depth` best BM25 rows with a positive score. `whole`: chosen among every passage, as
    flat indexes always did (ties fall the same way); else among the passages with a score."""
    if whole:
        scores = np.zeros(total, dtype=np.float32)
        scores[rows] = raw
        best = np.argpartition(-scores, depth - 1)[:depth] if depth < total else np.arange(total)
        return best[scores[best] > 0]
    best = np.argpartition(-raw, depth - 1)[:depth] if depth < len(raw) else np.arange(len(raw))
    return rows[best[raw[best] > 0]]


def _sentences(index: Index, passages) -> list[str]:
    """The sentences of some passages, as text (a passage without sentence spans is one sentence)."""
    texts = []
    for passage in passages:
        document = index.document(passage.source).text
        texts.extend(document[start:end] for start, end in passage.sentences or [(passage.start, passage.end)])
    return texts


def _spread(space: np.ndarray, values: np.ndarray, total: int) -> np.ndarray:
    """Scores of the rows in `space` as one array over every passage (zero elsewhere)."""
    if len(space) == total:
        return values
    result = np.zeros(total, dtype=values.dtype)
    result[space] = values
    return result
