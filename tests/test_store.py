"""The memory-mapped passage and document stores, and the build's passage encoder."""

import numpy as np
import pytest

from qabot.display import normalise
from qabot.passage_encoder import PassageEncoder, passage_text
from qabot.passages import Passage, sentence_texts, split_document
from qabot.sources import Document, Section
from qabot.store import DocumentStore, PassageStore


def _documents():
    return [
        Document("a.md", "# Über\n\nCafé owners met in Zürich. They agreed on prices — mostly.\n", "h1", "Über", "Ann",
                 "2020-01-02", (Section(0, "heading", "Über"),)),
        Document("b.txt", "", "h2"),
        Document("dir/c.txt", "Plain text without metadata. A second sentence here.", "h3", pages=(0, 20)),
    ]


def _passages(documents):
    passages = [p for d in documents for p in split_document(d, 100, 200, 10, 5)]
    odd = Passage("dir/c.txt", 0, 5, None, "Plain", "an embedded text that does not end with it", ())
    return passages + [odd]


def test_passage_store_round_trip_keeps_every_field(tmp_path):
    documents = _documents()
    passages = _passages(documents)
    numbers = {d.source: n for n, d in enumerate(documents)}
    PassageStore.write(tmp_path, passages, numbers)
    offsets = np.concatenate([[0], np.cumsum([len(p.sentences) for p in passages])])
    store = PassageStore(tmp_path, [d.source for d in documents], offsets)
    assert len(store) == len(passages) and list(store) == passages
    assert store[-1] == passages[-1] and store[1:3] == passages[1:3]
    assert store.row_of(passages[2].source, passages[2].start, passages[2].end) == 2
    assert store.row_of("a.md", 10_000, 10_001) is None and store.row_of("nowhere.txt", 0, 5) is None
    with pytest.raises(IndexError):
        store[len(passages)]


def test_document_store_round_trip_reads_texts_by_source(tmp_path):
    documents = _documents()
    DocumentStore.write(tmp_path, documents)
    store = DocumentStore(tmp_path)
    assert list(store) == [d.source for d in documents]
    assert [store[d.source] for d in documents] == documents
    assert store.get("missing") is None


def test_passage_text_is_read_from_disk_when_asked_not_when_opened(tmp_path):
    documents = _documents()
    passages = _passages(documents)
    PassageStore.write(tmp_path, passages, {d.source: n for n, d in enumerate(documents)})
    store = PassageStore(tmp_path, [d.source for d in documents], np.concatenate([[0], np.cumsum([len(p.sentences) for p in passages])]))
    blob = (tmp_path / "text.bin").read_bytes()
    first = passages[0].text.encode("utf-8")
    with open(tmp_path / "text.bin", "r+b") as handle:  # same length, so offsets still hold
        handle.write(first.upper())
    assert blob.startswith(first) and store[0].text == first.upper().decode("utf-8") != passages[0].text


def test_opened_index_holds_no_passage_objects_and_quotes_the_source(retriever):
    index = retriever.index
    assert isinstance(index.passages, PassageStore)
    for row in range(0, len(index.passages), 37):
        passage = index.passages[row]
        assert passage.text == normalise(index.document(passage.source).text[passage.start : passage.end])


def test_separate_sentence_vectors_match_sentence_transformers(embedder, seeds_dir):
    document = _seed_document(seeds_dir)
    passages = split_document(document)[:6]
    items = [passage_text(document, p) for p in passages]
    results = PassageEncoder(embedder).encode(items, batch_size=4)
    for passage, (vector, sentences) in zip(passages, results):
        expected = embedder.encode([passage.embed_text, *sentence_texts(document, passage)])
        assert float(vector @ expected[0]) > 0.9999
        assert np.all(np.sum(sentences * expected[1:], axis=1) > 0.9999)


def test_bfloat16_build_vectors_match_float32_ones(embedder, seeds_dir):
    """A bfloat16 model (native on AMX / AVX-512 BF16 CPUs, emulated elsewhere) gives the float32
    encoder's passage and sentence vectors to cosine > 0.9999, and the encoder says which it used."""
    from qabot.passage_encoder import TorchTokenModel, native_bfloat16

    document = _seed_document(seeds_dir)
    items = [passage_text(document, p) for p in split_document(document)[:6]]
    reduced = PassageEncoder(embedder, TorchTokenModel(embedder, "bfloat16"))
    exact = PassageEncoder(embedder, TorchTokenModel(embedder, "float32"))
    assert (reduced.precision, exact.precision) == ("bfloat16", "float32")
    for (vector, sentences), (expected, expected_sentences) in zip(reduced.encode(items, 4), exact.encode(items, 4)):
        assert 0.9999 < float(vector @ expected) and not np.array_equal(vector, expected)  # reduced, yet the same
        assert np.all(np.sum(sentences * expected_sentences, axis=1) > 0.9999)
    automatic = TorchTokenModel(embedder, "auto").precision
    assert automatic == ("bfloat16" if native_bfloat16() else "float32")


def test_pooled_sentence_vectors_stay_close_to_separately_encoded_ones(embedder, seeds_dir):
    """One pass per passage: the passage vector is unchanged; each sentence vector, pooled from the
    passage's tokens, points the same way as the sentence encoded alone (cosine ~0.74 on average)."""
    document = _seed_document(seeds_dir)
    passages = split_document(document)[:8]
    results = PassageEncoder(embedder, pooled=True).encode([passage_text(document, p) for p in passages])
    cosines = []
    for passage, (vector, sentences) in zip(passages, results):
        expected = embedder.encode([passage.embed_text, *sentence_texts(document, passage)])
        assert float(vector @ expected[0]) > 0.9999 and sentences.shape == (len(passage.sentences), 384)
        cosines.extend(np.sum(sentences * expected[1:], axis=1))
        others = expected[1:][::-1] if len(expected) > 2 else None
        if others is not None:  # each pooled vector is closer to its own sentence than to the one mirrored
            own, mirrored = np.sum(sentences * expected[1:], axis=1), np.sum(sentences * others, axis=1)
            assert (own >= mirrored).mean() >= 0.5
    assert np.mean(cosines) > 0.6 and np.min(cosines) > 0.1


def _seed_document(seeds_dir):
    from qabot.sources import read_document

    path = sorted(p for p in seeds_dir.iterdir() if p.suffix in (".md", ".txt"))[0]
    return read_document(path, path.name)


def test_array_column_round_trip_keeps_each_row_and_empty_ones(tmp_path):
    from qabot.store import ArrayColumn

    rows = [np.array([3, -1, 2**62], dtype=np.int64), np.zeros(0, dtype=np.int64), np.arange(5, dtype=np.int64)]
    ArrayColumn.write(tmp_path, "numbers", iter(rows), np.int64)  # written as the rows come
    column = ArrayColumn(tmp_path, "numbers", np.int64)
    assert len(column) == 3
    assert [column[i].tolist() for i in range(3)] == [r.tolist() for r in rows]
    assert [r.tolist() for r in column.everything()] == [r.tolist() for r in rows]
    ArrayColumn.write(tmp_path, "nothing", [], np.int64)
    assert len(ArrayColumn(tmp_path, "nothing", np.int64)) == 0 and ArrayColumn(tmp_path, "nothing", np.int64).everything() == []


def test_row_file_reads_ranges_and_rows_in_order_and_nothing_for_empty_ones(tmp_path):
    from qabot.store import RowFile

    matrix = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(tmp_path / "m.npy", matrix)
    rows = RowFile(tmp_path / "m.npy")
    assert np.array_equal(rows.spans(np.array([7, 2, 5]), np.array([9, 4, 5])), matrix[[7, 8, 2, 3]])
    assert np.array_equal(rows.take(np.array([9, 0, 9])), matrix[[9, 0, 9]])
    assert rows.take(np.zeros(0, dtype=np.int64)).shape == (0, 4) and rows.span(3, 4).tolist() == [matrix[3].tolist()]
    with pytest.raises(ValueError):
        rows.take(np.array([10]))


def test_what_generations_store_per_passage_is_computed_as_when_it_was_stored():
    """Fingerprints and claim terms are written with a generation and compared with ones computed
    later from text: a change to either function must come with a new column name
    (FINGERPRINTS_COLUMN, CLAIMS_COLUMN), or older indexes would compare unlike values."""
    from qabot.corroboration import CLAIMS_COLUMN, claim_terms
    from qabot.ranking import FINGERPRINTS_COLUMN, fingerprint

    text = "Peacekeepers arrived within days to guard airports and power stations in Almaty."
    assert (FINGERPRINTS_COLUMN, CLAIMS_COLUMN) == ("fingerprints", "claim_terms")
    assert fingerprint(text).tolist()[:3] == [-5762817696424362584, -3520212256425306044, -3315529349140369519]
    assert len(fingerprint(text)) == 12
    assert sorted(claim_terms(text)) == ["airport", "almati", "arriv", "day", "guard", "peacekeep", "power", "station", "within"]
