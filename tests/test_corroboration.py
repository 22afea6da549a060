"""Corroboration: other sources stating the same claim, never the excerpt's own document."""

from pathlib import Path

import numpy as np

from qabot.corroboration import Corroborator, claim_terms, term_overlap
from qabot.corroboration_eval import evaluate_pairs, load_pairs

REPO = Path(__file__).resolve().parent.parent


def test_term_overlap_is_shared_terms_over_the_smaller_sentence():
    first = claim_terms("Fuel prices doubled in the west of the country in early January 2022.")
    second = claim_terms("In early January 2022, fuel prices doubled in the country's west.")
    assert term_overlap(first, second) == 1.0
    assert term_overlap(first, claim_terms("Troops from four member states arrived by air at night.")) == 0.0
    assert term_overlap(frozenset(), first) == 0.0


def test_questions_and_headings_state_no_claim():
    assert claim_terms("How will the crisis in Kazakhstan affect regional cooperation in Central Asia?") == frozenset()
    assert claim_terms("Regional and global implications") == frozenset()
    assert claim_terms("The crisis in Kazakhstan will hurt regional cooperation in Central Asia.")


def test_a_duplicated_paragraph_is_not_its_own_corroboration(retriever):
    index = retriever.index
    text = index.document("001_447d33c9b4f716e3.txt").text
    repeated = [
        row for row, p in enumerate(index.passages)
        if p.source.startswith("001") and text.count(text[p.start : p.start + 80]) > 1
    ]
    assert repeated, "seeds/001 repeats its first half"
    anything = Corroborator(index, threshold=-10.0, term_weight=0.0)  # every near sentence would count
    for row in repeated:
        matches = anything.matches(row)
        assert matches and all(not index.passages[m.row].source.startswith("001") for m in matches)
        assert len({index.passages[m.row].source for m in matches}) == len(matches)  # one per other source


def test_excerpts_name_other_sources_stating_the_same_claim(retriever):
    excerpts = [e for q in ("Was the CSTO intervention legal?", "Why did Kazakhstan call in the CSTO?")
                for e in retriever.ask(q, k=5).excerpts]
    with_also = [e for e in excerpts if e.also]
    assert with_also
    for excerpt in with_also:
        assert all(a.source != excerpt.source and a.end > a.start and a.voice for a in excerpt.also)


def test_also_respects_the_source_filter(retriever):
    for excerpt in retriever.ask("Was the CSTO intervention legal?", k=5, source="000").excerpts:
        assert excerpt.also == ()  # the only allowed source is the excerpt's own


def test_labelled_pairs_are_scored_and_reported_out_of_fold(retriever):
    pairs, problems = load_pairs(REPO / "eval" / "corroboration.jsonl", retriever.index)
    assert not problems and len(pairs) == 58
    report = evaluate_pairs(pairs, (0.8, 0.85))
    assert report["same_claim"] == 32 and len(report["fold_fits"]) == 5
    assert 0.0 <= report["precision_oof"] <= 1.0 and 0.0 <= report["recall_oof"] <= 1.0


def test_separation_is_the_share_of_same_claim_pairs_scored_above_same_topic_ones():
    from qabot.corroboration_eval import separation

    assert separation([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert separation([0.1, 0.9], [True, False]) == 0.0
    assert separation([0.5, 0.5, 0.9, 0.2], [True, False, True, False]) == 0.875  # a tie counts half


def test_claim_terms_stored_at_build_time_equal_those_read_from_the_documents(retriever):
    import numpy as np

    corroborator, index = retriever.corroborator, retriever.index
    assert index.passages.claims is not None
    everything = np.arange(int(index.sentence_offsets[-1]))
    stored = corroborator.terms_of(everything)
    assert stored == [corroborator.document_terms(s) for s in everything.tolist()]
    assert sum(bool(terms) for terms in stored) > len(stored) // 2


def test_a_page_searched_at_once_finds_what_each_passage_finds_alone(retriever):
    """matches_many searches every sentence of a page in one product over the sentence vectors;
    one passage at a time (matches) must give the same claims."""
    corroborator = retriever.corroborator
    rows = list(range(0, len(retriever.index.passages), 7))
    together = corroborator.matches_many(rows)
    assert together == [corroborator.matches(row) for row in rows]
    assert sum(1 for found in together if found) >= 5  # the seeds' documents do repeat claims


def test_matches_are_each_other_sources_best_pair_by_the_plain_claim_score(retriever):
    """The matching loop skips candidates by an upper bound of their score; every passage's matches
    must still be what scoring each candidate with `claim_score` and `term_overlap` gives."""
    from qabot.corroboration import claim_score

    corroborator, index = retriever.corroborator, retriever.index
    for row in range(0, len(index.passages), 3):
        first, last = int(index.sentence_offsets[row]), int(index.sentence_offsets[row + 1])
        own = [(k, terms) for k, terms in enumerate(corroborator.terms_of(np.arange(first, last))) if terms]
        expected: dict[str, tuple[float, int]] = {}
        if own and last > first:
            vectors = index.sentence_rows.span(first, last)
            ids, cosines = corroborator.near_sentences(vectors, usable=lambda ids: corroborator._usable(row, ids, None))
            for at, (sentence, terms) in enumerate(zip(ids.tolist(), corroborator.terms_of(ids))):
                if not terms:
                    continue
                score = max(claim_score(float(cosines[k, at]), term_overlap(mine, terms), corroborator.term_weight)
                            for k, mine in own)
                other = int(index.sentence_owners[sentence])
                source = index.passages[other].source
                if score >= corroborator.threshold and (source not in expected or score > expected[source][0]):
                    expected[source] = (score, other)
        found = {index.passages[m.row].source: (m.score, m.row) for m in corroborator.matches(row)}
        assert found == {source: (round(score, 4), other) for source, (score, other) in expected.items()}
