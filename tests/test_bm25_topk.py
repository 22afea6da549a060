"""Pruned BM25 (qabot.bm25_topk): the same top passages and scores as summing every posting."""

import numpy as np
import pytest

from qabot.bm25_topk import combined_scores, top_hits
from qabot.corpus_bench import write_corpus
from qabot.lexical import LexicalIndex
from qabot.term_counts import TermCounts, bm25_index


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """BM25 over 3,000 generated passages (function words at the Zipf head, then pseudo-words), saved and loaded."""
    folder = tmp_path_factory.mktemp("bm25-topk")
    write_corpus(folder / "sources", 3000)
    texts = [p for f in sorted((folder / "sources").iterdir()) for p in f.read_text(encoding="utf-8").split("\n\n")[1:]]
    bm25_index(TermCounts.of_texts(texts)).save(folder / "bm25")
    return LexicalIndex.load(folder / "bm25"), texts


def exhaustive(lexical, parts_text):
    """Every posting summed, parts combined as `Retriever.lexical_hits` combines them."""
    hits = [lexical.hits(text) for _, text in parts_text]
    rows = np.unique(np.concatenate([found for found, _ in hits]))
    scores = values_at(*hits[0], rows)
    for (weight, _), part in zip(parts_text[1:], hits[1:]):
        scores = scores + weight * values_at(*part, rows)
    return rows, scores


def values_at(rows, values, wanted):
    out = np.zeros(len(wanted), dtype=np.float32)
    at = np.minimum(np.searchsorted(rows, wanted), max(len(rows) - 1, 0))
    present = rows[at] == wanted
    out[present] = values[at[present]]
    return out


def test_pruned_bm25_returns_the_exhaustive_top_k_and_scores_on_a_generated_folder(generated):
    lexical, texts = generated
    pruned_some = 0
    for number in range(0, len(texts) - 1, 61):
        for parts_text in ([(1.0, texts[number][:100])], [(1.0, texts[number][:100]), (0.3, texts[number + 1][:80])]):
            parts = [(weight, lexical.term_ids(text)) for weight, text in parts_text]
            rows, scores = exhaustive(lexical, parts_text)
            for depth in (1, 10, 50):
                best = np.lexsort((rows, -scores))[:depth]
                expected = np.sort(rows[best[scores[best] > 0]])
                read: list[int] = []
                found, values = top_hits(lexical, lexical.row_terms, parts, depth, lookup_postings=1, read=read)
                assert np.array_equal(found, expected)
                assert np.array_equal(values, values_at(rows, scores, found))  # the same float32 bits
                pruned_some += len(read) < sum(len(ids) for _, ids in parts)
    assert pruned_some > 20  # common words' postings were really left unread


def test_passage_major_weights_give_every_passage_its_exhaustive_score(generated):
    lexical, texts = generated
    for number in range(0, len(texts) - 1, 97):
        parts_text = [(1.0, texts[number][:100]), (0.3, texts[number + 1][:80])]
        rows, scores = exhaustive(lexical, parts_text)
        parts = [(weight, lexical.term_ids(text)) for weight, text in parts_text]
        assert np.array_equal(combined_scores(lexical.row_terms, parts, rows), scores)
        assert not combined_scores(lexical.row_terms, parts, np.setdiff1d(np.arange(len(texts)), rows)).any()


def test_generated_text_is_half_function_words_that_bm25_drops(generated):
    from qabot.corpus_bench import FUNCTION_WORDS
    from qabot.lexical import STOPWORDS, tokenize

    _, texts = generated
    assert set(FUNCTION_WORDS) <= STOPWORDS
    words = " ".join(texts[:200]).lower().replace(".", "").split()
    share = sum(w in FUNCTION_WORDS for w in words) / len(words)
    assert 0.4 <= share <= 0.6
    assert not set(tokenize(" ".join(texts[:200]))) & set(FUNCTION_WORDS)
