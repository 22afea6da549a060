"""Building, freshness, corruption and the one-read opening of the index, on tiny documents."""

import shutil

import numpy as np
import pytest

from qabot.build import build_index, ensure_index
from qabot.corroboration import Corroborator
from qabot.errors import IndexCorruptError, IndexMissingError, ModelError
from qabot.freshness import check_freshness
from qabot.index import Index
from qabot.manifest import Manifest, current_generation, read_current


def test_index_writes_manifest_with_what_decides_its_content(tiny_settings):
    report = build_index(tiny_settings)
    index = Index.open(tiny_settings.index)
    manifest = index.manifest
    assert report.embedded == report.passages == len(index.passages) > 0
    assert manifest.dims == 384 and manifest.config["model"] == "all-MiniLM-L6-v2"
    assert set(manifest.files) == {"rivers.md", "bees.txt", "lighthouse.txt"}
    assert all(len(entry["hash"]) == 64 for entry in manifest.files.values())
    assert manifest.qabot_version and manifest.query_encoder.startswith("encoder-")
    assert (tiny_settings.index / manifest.query_encoder / "model.onnx").is_file()


def test_rerun_on_unchanged_sources_embeds_nothing(tiny_settings):
    build_index(tiny_settings)
    again = build_index(tiny_settings)
    assert again.rebuilt is False and again.embedded == 0


def test_changing_one_file_is_stale_and_only_that_file_is_embedded_again(tiny_settings):
    first = build_index(tiny_settings)
    path = tiny_settings.sources / "bees.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nSwarms leave the hive in early summer.\n", encoding="utf-8")
    freshness = check_freshness(tiny_settings)
    assert freshness.state == "stale" and "bees.txt" in freshness.reasons[0]
    second = build_index(tiny_settings)
    changed_passages = sum(p.source == "bees.txt" for p in Index.open(tiny_settings.index).passages)
    assert second.changed == ["bees.txt"] and second.embedded == changed_passages
    assert second.reused == second.passages - changed_passages == first.passages - (first.passages - second.reused)
    index = Index.open(tiny_settings.index)  # claim terms: reused rows kept, new ones tokenized, all in place
    corroborator = Corroborator(index, 0.85, 0.8)
    sentences = np.arange(int(index.sentence_offsets[-1]))
    assert corroborator.terms_of(sentences) == [corroborator.document_terms(s) for s in sentences.tolist()]


def test_touching_a_file_without_editing_it_keeps_the_index_fresh(tiny_settings):
    build_index(tiny_settings)
    path = tiny_settings.sources / "bees.txt"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # new mtime, same bytes
    assert check_freshness(tiny_settings).fresh


def test_deleted_file_is_dropped(tiny_settings):
    build_index(tiny_settings)
    (tiny_settings.sources / "bees.txt").unlink()
    report = build_index(tiny_settings)
    assert report.removed == ["bees.txt"] and report.embedded == 0
    index = Index.open(tiny_settings.index)
    assert {p.source for p in index.passages} == {"rivers.md", "lighthouse.txt"}
    assert [s.source for s in index.sources()] == ["lighthouse.txt", "rivers.md"]


def test_missing_index_is_reported_then_built_on_demand(tiny_settings):
    with pytest.raises(IndexMissingError):
        Index.open(tiny_settings.index)
    messages = []

    class Collect:
        def message(self, text): messages.append(text)
        def start(self, total): pass
        def advance(self, count): pass
        def finish(self): pass

    index = ensure_index(tiny_settings, Collect())
    assert index.passages and "missing" in messages[0]


@pytest.mark.parametrize("damage", ["truncate-vectors", "garbage-manifest", "dangling-pointer", "missing-voices"])
def test_corrupt_index_is_detected_and_rebuilt(tiny_settings, damage):
    build_index(tiny_settings)
    generation = current_generation(tiny_settings.index)
    if damage == "truncate-vectors":
        data = (generation / "vectors.npy").read_bytes()
        (generation / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "garbage-manifest":
        (generation / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "missing-voices":
        (generation / "voices.json").unlink()
    else:
        (tiny_settings.index / "CURRENT").write_text("gen-does-not-exist\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        Index.open(tiny_settings.index)
    if damage in ("garbage-manifest", "dangling-pointer"):  # the manifest alone shows these
        assert check_freshness(tiny_settings).state == "corrupt"
    assert ensure_index(tiny_settings).passages


def test_a_generation_switch_while_opening_is_not_taken_for_corruption(tiny_settings, monkeypatch):
    """A build may switch CURRENT and delete the old generation between the reads of an opening."""
    build_index(tiny_settings)
    old = current_generation(tiny_settings.index)
    newer = tiny_settings.index / "gen-99999999999999-newer"
    shutil.copytree(old, newer)
    real_read = Manifest.read
    calls = []

    def read_then_switch(folder):
        calls.append(folder.name)
        if len(calls) == 1:  # a concurrent build lands right now
            (tiny_settings.index / "CURRENT").write_text(newer.name + "\n", encoding="utf-8")
            shutil.rmtree(old)
        return real_read(folder)

    monkeypatch.setattr(Manifest, "read", staticmethod(read_then_switch))
    index = Index.open(tiny_settings.index)
    assert index.generation == newer.name and calls == [old.name, newer.name]


def test_a_manifest_read_by_the_caller_is_not_read_again_unless_current_moved(tiny_settings, monkeypatch):
    build_index(tiny_settings)
    current = read_current(tiny_settings.index)
    reads = []
    real_read = Manifest.read
    monkeypatch.setattr(Manifest, "read", staticmethod(lambda folder: reads.append(folder.name) or real_read(folder)))
    index = ensure_index(tiny_settings, None, current)
    assert reads == [] and index.manifest is current[1]
    newer = tiny_settings.index / "gen-99999999999999-newer"
    shutil.copytree(current[0], newer)
    (tiny_settings.index / "CURRENT").write_text(newer.name + "\n", encoding="utf-8")
    index = Index.open(tiny_settings.index, current)  # what the caller read is now out of date
    assert index.generation == newer.name and reads == [newer.name]


def test_reloaded_opens_only_a_newer_generation(tiny_settings):
    build_index(tiny_settings)
    index = Index.open(tiny_settings.index)
    assert index.reloaded() is None
    (tiny_settings.sources / "owls.txt").write_text("Owls hunt at night and sleep by day in hollow trees.\n", encoding="utf-8")
    build_index(tiny_settings)
    newer = index.reloaded()
    assert newer is not None and newer.generation != index.generation and "owls.txt" in newer.documents
    assert index.passages and np.asarray(index.vectors).shape[0] == len(index.passages)  # the old one still reads


def test_failed_build_leaves_previous_index_intact(tiny_settings, monkeypatch):
    build_index(tiny_settings)
    before = Index.open(tiny_settings.index)
    (tiny_settings.sources / "new.txt").write_text("A brand new document about peacekeeping.\n", encoding="utf-8")

    import qabot.lexical

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(qabot.lexical.LexicalIndex, "save", explode)  # mid-way through writing the generation
    with pytest.raises(RuntimeError):
        build_index(tiny_settings)
    after = Index.open(tiny_settings.index)
    assert after.folder == before.folder and len(after.passages) == len(before.passages)
    assert not [p for p in tiny_settings.index.iterdir() if p.name.startswith(".tmp-")]


def test_changed_model_or_chunking_makes_index_stale(tiny_settings):
    from qabot.embedder import resolve_model

    build_index(tiny_settings)
    other_model = tiny_settings.model_copy(update={"model": str(resolve_model("all-MiniLM-L6-v2"))})
    assert check_freshness(other_model).state == "stale"
    other_chunks = tiny_settings.with_overrides({"indexing": {"passage_target_chars": 300}})
    reasons = check_freshness(other_chunks).reasons
    assert reasons == ["passage target chars changed"]


def test_unknown_model_is_a_clear_error_without_download(tiny_settings):
    with pytest.raises(ModelError, match="never downloads"):
        build_index(tiny_settings.model_copy(update={"model": "no-such/model-anywhere"}))


def test_vectors_are_unit_length(tiny_settings):
    build_index(tiny_settings)
    index = Index.open(tiny_settings.index)
    for vectors in (index.vectors, index.sentence_vectors):
        assert np.allclose(np.linalg.norm(np.asarray(vectors), axis=1), 1.0, atol=1e-4)


def test_voice_table_gives_each_passage_its_author_or_speaker(retriever):
    index = retriever.index
    labels = {index.voices[number].label for number in index.passage_voices}
    assert "Farkhod Tolipov" in labels and "Fyodor A. Lukyanov" in labels
    for passage, number in zip(index.passages, index.passage_voices):
        voice = index.voices[number]
        assert voice.author == index.document(passage.source).author
        assert voice.speaker in (None, passage.section)


def test_sentence_owners_looked_up_match_the_full_table(retriever):
    offsets = np.asarray(retriever.index.sentence_offsets)
    table = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    owners = retriever.index.sentence_owners
    assert len(owners) == len(table)
    assert np.array_equal(owners[np.arange(len(table))], table)
    assert int(owners[len(table) - 1]) == table[-1]
    empty = np.array([0, 2, 2, 2, 5])  # rows 1 and 2 own no sentence
    assert list(type(owners)(empty)[np.arange(5)]) == [0, 0, 3, 3, 3]
