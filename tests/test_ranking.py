"""The pure ranking functions on hand-made numbers."""

import numpy as np
import pytest

from qabot.ranking import (
    boost,
    dense_share,
    fingerprint,
    fuse,
    idf,
    lexical_coverage,
    ranks,
    rescale,
    without_near_duplicates,
)


def test_rescale_maps_the_median_to_zero_and_the_best_to_one():
    scores = np.array([0.1, 0.2, 0.3, 0.5, 0.7])
    assert rescale(scores).tolist() == pytest.approx([0, 0, 0, 0.5, 1])
    assert rescale(scores, floor=0.5).tolist() == pytest.approx([0, 0, 0, 0, 1])
    assert rescale(np.array([0.4, 0.4])).tolist() == [0, 0]  # nothing stands out


def test_ranks_are_one_based_best_first():
    assert ranks(np.array([0.2, 0.9, 0.5])).tolist() == [3, 1, 2]


def test_minmax_fusion_lets_neither_scale_dominate():
    dense = np.array([0.50, 0.52, 0.54, 0.60])  # narrow scale
    lexical = np.array([0.0, 10.0, 1.0, 2.0])  # wide scale
    fused = fuse(dense, lexical, 0.5, "minmax")
    # dense rescaled: median 0.53 → 0, best 0.60 → 1; lexical: median 1.5 → 0, best 10 → 1
    assert fused.tolist() == pytest.approx([0, 0.5 * 1.0, 0.5 * (0.01 / 0.07), 0.5 + 0.5 * (0.5 / 8.5)])
    assert fuse(dense, lexical, 1.0, "minmax").argmax() == 3


def test_convex_and_rrf_fusion():
    dense, lexical = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert fuse(dense, lexical, 0.75, "convex").tolist() == pytest.approx([0.75, 0.25])
    rrf = fuse(dense, lexical, 0.5, "rrf", rrf_k=60)
    assert rrf.tolist() == pytest.approx([(0.5 / 61 + 0.5 / 62) * 61] * 2)
    assert fuse(np.array([1.0, 0.5]), np.array([1.0, 0.5]), 0.5, "rrf")[0] == pytest.approx(1.0)


def test_boost_adds_the_bonus_to_the_named_groups_only():
    scores = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    boosted = boost(scores, np.array([0, 1, 1]), [1], 0.5)
    assert boosted.tolist() == pytest.approx([0.1, 0.7, 0.8])
    assert boost(scores, np.array([0, 1, 1]), [], 0.5) is scores


def test_near_duplicates_are_dropped_after_the_better_one():
    texts = ["the alliance sent troops to the airport", "The alliance sent troops to the airport!",
             "a different passage about bees and honey"]
    kept = without_near_duplicates([1, 0, 2], np.array([0.5, 0.9, 0.1]), lambda r: fingerprint(texts[r]), 0.7)
    assert kept == [(1, 0.9), (2, pytest.approx(0.1))]


def test_a_row_repeating_only_a_dropped_row_is_kept():
    words = {0: "a b c d e f", 1: "a b c d e f g h", 2: "b c d e f g h i"}  # 1 repeats 0; 2 repeats 1 only
    kept = without_near_duplicates([0, 1, 2], np.ones(3), lambda r: fingerprint(words[r]), 0.7)
    assert [row for row, _ in kept] == [0, 2]
    kept = without_near_duplicates([1, 0, 2], np.ones(3), lambda r: fingerprint(words[r]), 0.7)
    assert [row for row, _ in kept] == [1]  # 1 kept first: 0 and 2 both repeat it


def test_prefer_near_lifts_the_previous_document_and_its_section_more():
    from qabot.ranking import prefer_near

    scores = np.ones(4)
    same_document, same_section = np.array([True, True, False]), np.array([True, False, True])
    lifted = prefer_near(scores, [0, 1, 2], same_document, same_section, 0.1)
    assert lifted.tolist() == pytest.approx([1.2, 1.1, 1.0, 1.0]) and scores.tolist() == [1, 1, 1, 1]
    assert prefer_near(scores, [0], np.array([True]), np.array([True]), 0.0) is scores


def test_fuse_rankings_is_weighted_reciprocal_rank_fusion():
    from qabot.ranking import fuse_rankings

    fused = fuse_rankings([[(1, 0.9), (2, 0.5)], [(2, 0.7), (3, 0.1)]], (0.5, 0.5), rrf_k=1)
    assert [row for row, _ in fused] == [2, 1, 3]
    assert [score for _, score in fused] == pytest.approx([2 * (0.5 / 3 + 0.5 / 2), 2 * 0.5 / 2, 2 * 0.5 / 3])
    assert fuse_rankings([[(5, 0.1)], [(5, 0.2)]], (1, 3)) == [(5, pytest.approx(1.0))]
    leaning_on_second = fuse_rankings([[(1, 0)], [(2, 0)]], (1 / 3, 2 / 3))
    assert [row for row, _ in leaning_on_second] == [2, 1]


def test_idf_is_highest_for_a_term_no_passage_holds():
    assert idf(0, 10) > idf(1, 10) > idf(5, 10) > idf(10, 10) > 0
    assert idf(1, 10) == pytest.approx(np.log(1 + 9.5 / 1.5))


def test_lexical_coverage_weighs_each_distinct_question_term_once():
    weights = {"rare": 3.0, "common": 1.0, "absent": 2.0}
    terms = ["rare", "common", "common", "absent"]
    assert lexical_coverage(terms, {"rare", "common", "other"}, weights.get) == pytest.approx(4 / 6)
    assert lexical_coverage(terms, {"absent"}, weights.get) == pytest.approx(2 / 6)
    assert lexical_coverage([], {"rare"}, weights.get) == 0.0


def test_dense_share_rises_as_bm25_misses_the_question_and_stays_within_bounds():
    assert dense_share(0.4, 1.0, 0.5) == pytest.approx(0.4)  # half the IDF mass matched: the base share
    assert dense_share(0.4, 1.0, 0.1) == pytest.approx(0.8)  # BM25 matched little: trust the vectors
    assert dense_share(0.4, 1.0, 0.8) == pytest.approx(0.1)  # BM25 matched the rare words: trust it
    assert dense_share(0.4, 1.0, 1.0) == 0.05 and dense_share(0.9, 1.0, 0.0) == 0.95
    assert dense_share(0.4, 0.0, 0.0) == pytest.approx(0.4)  # no slope: a fixed share
