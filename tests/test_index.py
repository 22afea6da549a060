import shutil

import numpy as np
import pytest

from qabot.errors import IndexCorruptError, IndexMissingError, ModelError
from qabot.index import build_index, check_freshness, current_generation, ensure_index, load_index
from qabot.settings import Settings


@pytest.fixture
def small_settings(tmp_path, seeds_dir, embedder):
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("001_447d33c9b4f716e3.txt", "002_3cb0feacf9f23aea.txt"):
        shutil.copy(seeds_dir / name, folder / name)
    return Settings(sources=folder, index=tmp_path / "index")


def test_index_writes_manifest_with_what_decides_its_content(small_settings):
    report = build_index(small_settings)
    manifest = load_index(small_settings.index).manifest
    assert report.embedded == report.passages > 0
    assert manifest["dims"] == 384 and manifest["normalized"] is True
    assert manifest["config"]["model"] == "all-MiniLM-L6-v2"
    assert set(manifest["files"]) == {"001_447d33c9b4f716e3.txt", "002_3cb0feacf9f23aea.txt"}
    assert all(len(entry["hash"]) == 64 for entry in manifest["files"].values())
    assert manifest["qabot_version"]


def test_rerun_on_unchanged_sources_embeds_nothing(small_settings):
    build_index(small_settings)
    again = build_index(small_settings)
    assert again.rebuilt is False and again.embedded == 0


def test_changing_one_file_is_stale_and_only_that_file_is_embedded_again(small_settings):
    first = build_index(small_settings)
    path = small_settings.sources / "002_3cb0feacf9f23aea.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nA new closing paragraph about the alliance.\n", encoding="utf-8")
    freshness = check_freshness(small_settings)
    assert freshness.state == "stale" and "002_3cb0feacf9f23aea.txt" in freshness.reasons[0]
    second = build_index(small_settings)
    changed_passages = sum(p.source == "002_3cb0feacf9f23aea.txt" for p in load_index(small_settings.index).passages)
    assert second.embedded == changed_passages
    assert second.reused == second.passages - changed_passages
    assert first.passages - second.reused > 0
    assert second.changed == ["002_3cb0feacf9f23aea.txt"]


def test_deleted_file_is_dropped(small_settings):
    build_index(small_settings)
    (small_settings.sources / "001_447d33c9b4f716e3.txt").unlink()
    report = build_index(small_settings)
    assert report.removed == ["001_447d33c9b4f716e3.txt"] and report.embedded == 0
    assert {p.source for p in load_index(small_settings.index).passages} == {"002_3cb0feacf9f23aea.txt"}


def test_missing_index_is_reported_then_built_on_demand(small_settings):
    with pytest.raises(IndexMissingError):
        load_index(small_settings.index)
    messages = []

    class Collect:
        def message(self, text): messages.append(text)
        def start(self, total): pass
        def advance(self, count): pass
        def finish(self): pass

    index = ensure_index(small_settings, Collect())
    assert index.passages and "missing" in messages[0]


@pytest.mark.parametrize("damage", ["truncate-vectors", "garbage-manifest", "dangling-pointer"])
def test_corrupt_index_is_detected_and_rebuilt(small_settings, damage):
    build_index(small_settings)
    generation = current_generation(small_settings.index)
    if damage == "truncate-vectors":
        data = (generation / "vectors.npy").read_bytes()
        (generation / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "garbage-manifest":
        (generation / "manifest.json").write_text("{not json", encoding="utf-8")
    else:
        (small_settings.index / "CURRENT").write_text("gen-does-not-exist\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        load_index(small_settings.index)
    if damage != "truncate-vectors":  # the manifest alone shows these
        assert check_freshness(small_settings).state == "corrupt"
    assert ensure_index(small_settings).passages


def test_failed_build_leaves_previous_index_intact(small_settings, monkeypatch):
    build_index(small_settings)
    before = load_index(small_settings.index)
    (small_settings.sources / "new.txt").write_text("A brand new document about peacekeeping.\n", encoding="utf-8")

    import qabot.lexical

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(qabot.lexical.LexicalIndex, "build", explode)
    with pytest.raises(RuntimeError):
        build_index(small_settings)
    after = load_index(small_settings.index)
    assert after.folder == before.folder and len(after.passages) == len(before.passages)
    assert not [p for p in small_settings.index.iterdir() if p.name.startswith(".tmp-")]


def test_changed_model_makes_index_stale(small_settings):
    from qabot.embedder import resolve_model

    build_index(small_settings)
    other = small_settings.model_copy(update={"model": str(resolve_model("all-MiniLM-L6-v2"))})
    assert check_freshness(other).state == "stale"


def test_unknown_model_is_a_clear_error_without_download(small_settings):
    with pytest.raises(ModelError, match="never downloads"):
        build_index(small_settings.model_copy(update={"model": "no-such/model-anywhere"}))


def test_vectors_are_unit_length(small_settings):
    build_index(small_settings)
    vectors = np.asarray(load_index(small_settings.index).vectors)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
