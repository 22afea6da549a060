"""BM25 from stored term counts: the scores bm25s gives, without tokenizing reused passages again."""

from __future__ import annotations

import numpy as np

from qabot.lexical import LexicalIndex
from qabot.term_counts import TermCounts, bm25_index, compact, concatenate

TEXTS = [
    "The river flooded the lower village twice in one spring.",
    "Bees keep the orchard alive; the orchard keeps the bees fed.",
    "",
    "A new dam was built upstream, and the river never flooded the village again.",
    "The the the.",
    "Lighthouse keepers wrote about storms, ships and the river mouth.",
]
QUERIES = ["river flooded village", "bees orchard", "dam upstream storms", "lighthouse keepers ships"]


def assert_same_scores(mine: LexicalIndex, reference: LexicalIndex) -> None:
    assert mine.size == reference.size and set(mine.vocabulary) == set(reference.vocabulary)
    assert sum(reference.scores(query).max() > 0 for query in QUERIES) >= 3
    for query in QUERIES:
        np.testing.assert_allclose(mine.scores(query), reference.scores(query), rtol=1e-5, atol=1e-6)


def test_bm25_from_term_counts_scores_as_bm25s_does():
    assert_same_scores(bm25_index(TermCounts.of_texts(TEXTS)), LexicalIndex.build(TEXTS))


def test_counts_reassembled_from_a_previous_generation_score_as_a_fresh_build():
    """Rows of an old generation (one passage dropped, order changed) plus newly tokenized ones."""
    previous = TermCounts.of_texts(TEXTS[:4])
    new = TermCounts.of_texts(TEXTS[4:])
    rows = np.array([4, 0, 5, 3, 2])  # TEXTS[1] (the only one about bees) is gone
    texts = [TEXTS[4], TEXTS[0], TEXTS[5], TEXTS[3], TEXTS[2]]
    counts = compact(concatenate(previous, new).rows(rows))
    assert "bee" not in counts.terms and len(counts) == 5
    assert_same_scores(bm25_index(counts), LexicalIndex.build(texts))


def test_term_counts_survive_a_save_and_load(tmp_path):
    counts = TermCounts.of_texts(TEXTS)
    counts.save(tmp_path / "counts")
    loaded = TermCounts.load(tmp_path / "counts")
    assert loaded is not None and loaded.terms == counts.terms
    np.testing.assert_array_equal(loaded.term_ids, counts.term_ids)
    assert TermCounts.load(tmp_path / "missing") is None
