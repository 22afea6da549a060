"""BM25: the numpy scoring of the saved sparse matrix gives bm25s's own scores."""

import bm25s
import numpy as np

from qabot.lexical import LexicalIndex, tokenize


def test_numpy_scores_equal_bm25s_scores_on_the_seed_passages(retriever, tmp_path):
    texts = [p.embed_text for p in retriever.index.passages]
    lexical = LexicalIndex.build(texts)
    lexical.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    reference = bm25s.BM25()
    reference.index([tokenize(t) or [""] for t in texts], show_progress=False)
    for question in ["Why did Kazakhstan call in the CSTO?", "Lukashenko warned Uzbekistan",
                     "peacekeepers airports power stations", "sourdough starter"]:
        ours = loaded.scores(question)
        query = [t for t in tokenize(question) if t in reference.vocab_dict]
        theirs = reference.get_scores(query) if query else np.zeros(len(texts))
        assert np.allclose(ours, theirs, atol=1e-5)


def test_unknown_words_score_nothing(retriever):
    assert not retriever.index.lexical_scores("zzzqqq xxyyzz").any()
