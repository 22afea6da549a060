"""Vector indexes by size: exact search on small folders, memory-mapped IVF-SQ8 on large ones."""

import numpy as np
import pytest

from qabot.follow_up import Locality
from qabot.settings import IndexingSettings
from qabot.store import RowFile
from qabot.vector_index import build_vector_index, choose_index_type, read_vector_index, search, write_vector_index


def _clustered(count: int, dims: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dims))
    vectors = centres[rng.integers(0, 20, count)] + 0.3 * rng.standard_normal((count, dims))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_auto_is_exact_below_the_threshold_and_ivf_from_it():
    settings = IndexingSettings(approximate_threshold=1000)
    assert choose_index_type(999, settings) == "flat"
    assert choose_index_type(1000, settings) == "ivf"
    assert choose_index_type(10, IndexingSettings(index_type="hnsw")) == "hnsw"


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_an_approximate_index_survives_writing_and_memory_mapped_reading(tmp_path, kind):
    vectors = _clustered(3000)
    index, params = build_vector_index(vectors, IndexingSettings(ivf_nprobe=8), kind)
    write_vector_index(index, tmp_path / "v.faiss")
    loaded = read_vector_index(tmp_path / "v.faiss", params)
    assert params["type"] == kind and loaded.ntotal == len(vectors)
    _, found = search(loaded, vectors[:200], 1)
    assert (found[:, 0] == np.arange(200)).mean() >= 0.98  # each stored vector finds itself
    if kind == "ivf":
        assert params["lists"] == 3000 // 40 and params["nprobe"] == 8  # 2·√n lists, at least 40 vectors each


def test_row_file_reads_the_rows_asked_for(tmp_path):
    matrix = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "m.npy", matrix)
    rows = RowFile(tmp_path / "m.npy")
    assert len(rows) == 10
    assert np.array_equal(rows.take(np.array([7, 2, 2])), matrix[[7, 2, 2]])
    assert np.array_equal(rows.spans(np.array([0, 5, 9]), np.array([2, 5, 10])), matrix[[0, 1, 9]])
    assert rows.span(3, 3).shape == (0, 4)


def test_the_seed_folder_is_searched_exactly(seed_settings):
    from qabot.index import Index

    index = Index.open(seed_settings.index)
    assert index.manifest.vector_index == {"type": "flat"} and not index.approximate
    assert not (index.folder / "dense.faiss").exists() and index.dense is None


@pytest.fixture(scope="module")
def ivf_seeds(tmp_path_factory, seed_settings):
    """The seeds' own passages and vectors written again as a generation with IVF indexes."""
    import shutil

    from qabot.reuse import previous_generation
    from qabot.freshness import index_config
    from qabot.generation import write_generation
    from qabot.index import Index

    folder = tmp_path_factory.mktemp("ivf-seeds")
    settings = seed_settings.model_copy(update={
        "index": shutil.copytree(seed_settings.index, folder / "index", symlinks=True),
        "indexing": seed_settings.indexing.model_copy(update={"index_type": "ivf"}),
    })
    previous = previous_generation(settings, index_config(settings))
    records = [record for source in Index.open(settings.index).source_names for record in previous.records[source]]
    write_generation(settings, Index.open(settings.index).manifest, records)
    return settings


def test_an_ivf_generation_scores_its_candidates_with_the_exact_vectors(ivf_seeds, retriever):
    from qabot.retrieval import Retriever

    approximate = Retriever.open(ivf_seeds)
    assert approximate.index.approximate and approximate.index.manifest.sentence_index["type"] == "ivf"
    vector = retriever.query_vector("Why did Kazakhstan ask the CSTO for troops?", None)
    exact = retriever.index.dense_search(vector, 10, 3)
    found = approximate.index.dense_search(vector, 10, 3)
    best = exact.rows[np.argsort(-exact.passage)[:10]]
    assert set(best.tolist()) <= set(found.rows.tolist())  # a handful of lists, all probed: nothing missed
    at = np.searchsorted(exact.rows, found.rows)
    assert np.allclose(found.passage, exact.passage[at], atol=1e-5)
    assert np.allclose(found.best_sentence, exact.best_sentence[at], atol=1e-5)
    answer = approximate.ask("Why did Kazakhstan ask the CSTO for troops?", k=3)
    assert len(answer.excerpts) == 3 and not answer.abstained
    for excerpt in answer.excerpts:
        passage = approximate.index.passages[approximate.row_of(excerpt)]
        assert excerpt.text == passage.text
    first = answer.excerpts[0]
    locality = Locality(first.source, first.section, first.start, first.end)
    line, before = "What did Russia gain from the intervention?", "Why did Kazakhstan ask the CSTO for troops?"
    assert np.allclose(approximate.topic_distance(line, before, locality), retriever.topic_distance(line, before, locality), atol=1e-5)


def test_a_generation_stores_what_questions_would_otherwise_recompute(retriever):
    from qabot.aliases import mine_acronyms
    from qabot.lexical import STOPWORDS
    from qabot.ranking import low_content

    index = retriever.index
    assert index.acronyms() == mine_acronyms(d.text for d in index.documents.values())
    for row in range(0, len(index.passages), 17):
        assert index.low_content(row) == low_content(index.passages[row].text, STOPWORDS)


QUESTIONS = (
    "Why did Kazakhstan ask the CSTO for troops?", "What did Russia gain from the intervention?",
    "fuel prices protests Almaty", "Who is Tokayev?",
)


def test_also_searched_for_a_whole_page_at_once_equals_one_passage_at_a_time(ivf_seeds):
    from qabot.retrieval import Retriever

    approximate = Retriever.open(ivf_seeds)
    rows = [row for question in QUESTIONS for row, _ in approximate.rank(question, None, None, "hybrid").rows[:5]]
    together = approximate.corroborator.matches_many(rows)
    assert together == [approximate.corroborator.matches(row) for row in rows]
    assert any(together)  # the seeds restate claims across sources: the comparison is not of empty lists


def test_a_page_whose_also_is_searched_beside_its_excerpts_equals_also_found_at_once(ivf_seeds):
    """`ask` starts the page's sentence search on a worker while it builds the excerpts: the also
    lists must be those `also_many` finds on the asking thread, with and without a source filter."""
    from qabot.retrieval import Retriever

    asked, alone = Retriever.open(ivf_seeds), Retriever.open(ivf_seeds)  # caches empty in both
    source = asked.index.source_names[0]
    for question in QUESTIONS:
        for name in (None, source):
            answer = asked.ask(question, k=5, source=name)
            rows = [asked.row_of(excerpt) for excerpt in answer.excerpts]
            allowed = alone.index.source_mask(alone.index.resolve(name)) if name else None
            assert [excerpt.also for excerpt in answer.excerpts] == alone.also_many(rows, allowed)
    assert any(excerpt.also for question in QUESTIONS for excerpt in asked.ask(question).excerpts)


def test_a_search_with_its_own_nprobe_equals_the_index_set_to_it_and_leaves_the_index_alone(ivf_seeds):
    """`also` probes `retrieval.also_nprobe` lists through search parameters: the shared index keeps its own."""
    import faiss

    from qabot.index import Index
    from qabot.vector_index import search

    index = Index.open(ivf_seeds.index).sentence_index
    ivf = faiss.extract_index_ivf(index)
    queries = np.ascontiguousarray(np.asarray(Index.open(ivf_seeds.index).sentence_vectors[:40], dtype=np.float32))
    default = ivf.nprobe
    narrow = search(index, queries, 10, 1)
    assert ivf.nprobe == default > 1
    ivf.nprobe = 1
    try:
        assert np.array_equal(narrow[1], index.search(queries, 10)[1])
    finally:
        ivf.nprobe = default
    assert not np.array_equal(narrow[1], search(index, queries, 10)[1])  # one list finds less: the parameter is used


def test_ivf_search_in_two_steps_equals_faiss_search_for_every_query_of_a_batch(retriever, tmp_path):
    """`search` runs the coarse quantizer and the list scan itself (no list prefetch): the same
    neighbours as `IndexIVF.search`, query by query and in a batch, for the index's nprobe and fewer."""
    import faiss

    from qabot.settings import IndexingSettings
    from qabot.vector_index import build_vector_index, read_vector_index, search, write_vector_index

    vectors = np.ascontiguousarray(np.asarray(retriever.index.sentence_vectors, dtype=np.float32))
    built, params = build_vector_index(vectors, IndexingSettings(ivf_lists=16, ivf_nprobe=4), "ivf")
    write_vector_index(built, tmp_path / "s.faiss")
    index = read_vector_index(tmp_path / "s.faiss", params)  # memory-mapped lists, as questions read them
    queries = vectors[::7][:40] + np.float32(0.01)
    for nprobe in (None, 4, 2, 1, 8):
        expected = index.search(queries, 10, params=faiss.SearchParametersIVF(nprobe=nprobe or 4))
        batch = search(index, queries, 10, nprobe)
        assert np.array_equal(batch[1], expected[1]) and np.allclose(batch[0], expected[0])
        assert np.array_equal(np.concatenate([search(index, q[None, :], 10, nprobe)[1] for q in queries]), expected[1])
    assert faiss.extract_index_ivf(index).nprobe == 4


def test_a_kept_trained_ivf_is_reused_only_for_a_similar_count_of_the_same_dimensions(tmp_path):
    from qabot.vector_index import fill_vector_index, read_trained, train_vector_index, write_trained

    vectors = _clustered(3000)
    empty, params = train_vector_index(vectors, IndexingSettings(ivf_nprobe=8), "ivf")
    write_trained(empty, params, tmp_path / "v.trained.faiss")
    settings = IndexingSettings()
    kept = read_trained(tmp_path / "v.trained.faiss", 3500, 32, settings)
    assert kept is not None and kept[0].ntotal == 0 and kept[1]["trained_rows"] == 3000
    assert read_trained(tmp_path / "v.trained.faiss", 3000, 32, IndexingSettings(ivf_lists=50)) is None  # asked for other lists
    assert read_trained(tmp_path / "v.trained.faiss", 3000, 32, IndexingSettings(ivf_lists=params["lists"])) is not None
    fill_vector_index(kept[0], vectors)
    _, found = search(kept[0], vectors[:100], 1)
    assert (found[:, 0] == np.arange(100)).mean() >= 0.98
    assert read_trained(tmp_path / "v.trained.faiss", 4000, 32, settings) is None  # grew past RETRAIN_DRIFT
    assert read_trained(tmp_path / "v.trained.faiss", 2000, 32, settings) is None
    assert read_trained(tmp_path / "v.trained.faiss", 3000, 64, settings) is None  # another model's vectors
    assert read_trained(tmp_path / "missing.trained.faiss", 3000, 32, settings) is None
    write_trained(kept[0], params, tmp_path / "full.trained.faiss")  # filled: nothing is kept
    assert not (tmp_path / "full.trained.faiss").exists()
