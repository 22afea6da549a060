"""The fast query path: ONNX vectors equal sentence-transformers', and answering never imports torch."""

import json
import os
import subprocess
import sys

import numpy as np

from qabot.query_encoder import EncoderPreload, OnnxQueryEncoder, load_query_encoder


def test_onnx_vectors_match_sentence_transformers_on_every_seed_passage(retriever):
    encoder = retriever.encoder
    assert isinstance(encoder, OnnxQueryEncoder)
    texts = [p.embed_text for p in retriever.index.passages]
    reference = np.asarray(retriever.index.vectors)  # written by sentence-transformers at build time
    onnx_vectors = np.vstack([encoder.encode_query(t) for t in texts])
    cosines = np.sum(reference * onnx_vectors, axis=1)
    assert len(texts) > 200 and cosines.min() > 0.9999


def test_the_query_encoders_threads_never_spin_after_a_run(retriever):
    """A spinning onnxruntime worker takes a core from the searches running beside and after it."""
    options = retriever.encoder.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_onnx_and_sentence_transformers_rank_the_same_passages(retriever, embedder):
    questions = [json.loads(l)["question"] for l in open(os.path.join(os.path.dirname(__file__), "..", "eval", "dev.jsonl"))]
    vectors = np.asarray(retriever.index.vectors)
    for question in questions[::3]:  # 16 questions, sentence-transformers is slow per query
        onnx_top = np.argsort(-(vectors @ retriever.encoder.encode_query(question)))[:10]
        st_top = np.argsort(-(vectors @ embedder.encode_query(question)))[:10]
        assert list(onnx_top) == list(st_top)


def test_texts_encoded_together_get_the_vectors_they_get_one_at_a_time(retriever):
    texts = ["What does he think comes next?", "What does Fyodor A. Lukyanov think comes next, after Kazakhstan?"]
    together = retriever.encoder.encode_queries(texts)  # padded to the longer one
    alone = np.vstack([retriever.encoder.encode_query(t) for t in texts])
    assert together.shape == alone.shape and np.abs(together - alone).max() < 1e-5


class CountingEncoder:
    """The real encoder, with the texts of each model run recorded."""

    def __init__(self, encoder):
        self.encoder, self.runs = encoder, []

    def encode_query(self, text):
        self.runs.append([text])
        return self.encoder.encode_query(text)

    def encode_queries(self, texts):
        self.runs.append(list(texts))
        return self.encoder.encode_queries(texts)


def test_a_follow_up_read_two_ways_runs_the_model_once_and_ranks_as_before(retriever):
    from qabot.follow_up import FollowUp
    from qabot.retrieval import Retriever

    counting = CountingEncoder(retriever.encoder)
    fresh = Retriever(retriever.index, retriever.settings, counting)
    previous = "What precedent did Russia set by sending troops to Kazakhstan?"
    fresh.ask(previous, k=3)
    follow_up = FollowUp(previous, "What does Fyodor A. Lukyanov think comes next?")
    answer = fresh.ask("What does he think comes next?", k=5, follow_up=follow_up)
    assert counting.runs[1:] == [[follow_up.reading, "What does he think comes next?"]]  # the context is cached
    expected = retriever.ask("What does he think comes next?", k=5, follow_up=follow_up)
    assert [(e.source, e.start) for e in answer.excerpts] == [(e.source, e.start) for e in expected.excerpts]


def test_damaged_encoder_falls_back_to_sentence_transformers(tmp_path, retriever, capsys):
    encoder = load_query_encoder(tmp_path, "encoder-missing", "all-MiniLM-L6-v2")
    assert not isinstance(encoder, OnnxQueryEncoder)
    assert "using sentence-transformers" in capsys.readouterr().err


def test_answering_does_not_import_torch_or_numpys_masked_arrays(seed_settings):
    probe = (
        "import sys; from qabot.cli import main; code = main(['ask', 'Why did Kazakhstan call in the CSTO?', '--json']);"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'sentence_transformers', 'transformers', 'bm25s', 'numba'}"
        " or m == 'numpy.ma');"  # numpy.ma: ~16 ms of a cold question (see qabot.arrays)
        "print('HEAVY', heavy); sys.exit(code)"
    )
    env = {**os.environ, "QABOT_SOURCES": str(seed_settings.sources), "QABOT_INDEX": str(seed_settings.index)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout


def test_the_saved_optimized_graph_gives_the_plain_graphs_vectors(retriever):
    import numpy as np

    from qabot.query_encoder import OPTIMIZED_NAME, PARITY_TEXTS, OnnxQueryEncoder

    folder = retriever.index.index_dir / retriever.index.manifest.query_encoder
    assert (folder / OPTIMIZED_NAME).is_file()
    optimized, plain = OnnxQueryEncoder(folder), OnnxQueryEncoder(folder, optimized=False)
    for text in PARITY_TEXTS:
        assert np.allclose(optimized.encode_query(text), plain.encode_query(text), atol=1e-5)


def test_the_encoder_opened_while_the_index_is_checked_is_used_only_if_the_index_names_it(retriever, tmp_path):
    index_dir, name = retriever.index.index_dir, retriever.index.manifest.query_encoder
    preload = EncoderPreload(index_dir)
    assert preload.current()[1].query_encoder == name
    preloaded = preload.result(index_dir, name)
    assert isinstance(preloaded, OnnxQueryEncoder)
    question = "Why did Kazakhstan call in the CSTO?"
    assert float(preloaded.encode_query(question) @ retriever.encoder.encode_query(question)) > 0.9999
    assert EncoderPreload(index_dir).result(index_dir, "encoder-another") is None  # a rebuild linked another
    missing = EncoderPreload(tmp_path)  # no index there: nothing read, nothing loaded, no exception
    assert missing.current() is None and missing.result(tmp_path, name) is None


def test_opening_a_retriever_uses_the_preloaded_encoder(seed_settings, monkeypatch):
    import qabot.query_encoder
    from qabot.retrieval import Retriever

    def no_second_load(*args, **kwargs):
        raise AssertionError("the encoder was loaded again after the preload")

    monkeypatch.setattr(qabot.query_encoder, "load_query_encoder", no_second_load)
    opened = Retriever.open(seed_settings)
    assert isinstance(opened.encoder, OnnxQueryEncoder)
    assert opened.ask("Why did Kazakhstan call in the CSTO?", k=3).excerpts


def test_a_failed_opening_waits_for_the_encoder_thread_before_raising(seed_settings, tmp_path):
    import pytest

    from qabot.errors import QabotError
    from qabot.retrieval import Retriever

    broken = seed_settings.model_copy(update={"sources": tmp_path / "no-such-folder"})
    preload = EncoderPreload(seed_settings.index)
    with pytest.raises(QabotError):
        Retriever.open(broken, preload=preload)
    assert not preload._thread.is_alive()
