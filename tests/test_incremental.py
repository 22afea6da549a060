"""Incremental re-index: only changed files are embedded, deleted ones vanish, a killed build harms nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from conftest import write_tiny_folder

from qabot.build import build_index
from qabot.freshness import index_config
from qabot.index import Index
from qabot.lexical import LexicalIndex
from qabot.passages import split_document
from qabot.ranking import fingerprint
from qabot.reuse import BuildMemory
from qabot.settings import Settings

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def small_folder(folder: Path) -> Path:
    write_tiny_folder(folder)
    (folder / "note.md").write_text(
        "# Field note\n\nThe river flooded the lower village twice in one spring.\n", encoding="utf-8"
    )
    return folder


def passages_of(settings: Settings, source: str) -> list:
    return [p for p in Index.open(settings.index).passages if p.source == source]


def test_editing_one_file_embeds_only_that_files_passages(tmp_path, embedder):
    settings = Settings(sources=small_folder(tmp_path / "src"), index=tmp_path / "index")
    first = build_index(settings)
    assert first.embedded == first.passages
    note = settings.sources / "note.md"
    note.write_text(note.read_text(encoding="utf-8") + "\nA new dam was built upstream in the following year.\n",
                    encoding="utf-8")
    second = build_index(settings)
    index = Index.open(settings.index)
    indexing = settings.indexing
    expected = split_document(index.documents["note.md"], indexing.passage_target_chars, indexing.passage_max_chars,
                              indexing.passage_min_chars, indexing.sentence_min_chars)
    assert second.changed == ["note.md"]
    assert second.embedded == len(expected) == len(passages_of(settings, "note.md"))
    assert second.reused == second.passages - second.embedded
    assert "dam was built" in index.documents["note.md"].text
    assert set(second.stages) == {"freshness", "previous", "read", "embed", "write"}
    assert build_index(settings).rebuilt is False


def test_rebuilds_reuse_vectors_and_term_counts_from_disk_or_memory_and_score_as_a_fresh_build(tmp_path, embedder):
    """Reused passages keep their vectors; BM25 assembled from the previous generation's term counts
    equals bm25s over every passage; a file with unchanged size and time is not read again. The first
    rebuild reads the previous generation from disk, the second gets it from `BuildMemory` (--watch)."""
    settings = Settings(sources=small_folder(tmp_path / "src"), index=tmp_path / "index")
    build_index(settings)
    bees = settings.sources / "bees.txt"
    stat = bees.stat()
    bees.write_text(bees.read_text(encoding="utf-8")[::-1], encoding="utf-8")  # same size and time: trusted unchanged
    os.utime(bees, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    memory = BuildMemory()
    for edit in ["The orchard flooded too.", "The mill was rebuilt in stone."]:
        before = Index.open(settings.index)
        old_vectors = {(p.source, p.start, p.end): np.array(before.vectors[row]) for row, p in enumerate(before.passages)}
        note = settings.sources / "note.md"
        note.write_text(note.read_text(encoding="utf-8") + f"\n{edit}\n", encoding="utf-8")
        recalled = memory.recall(settings, index_config(settings)) is not None
        report = build_index(settings, memory=memory)
        assert report.changed == ["note.md"] and recalled == (edit != "The orchard flooded too.")
        index = Index.open(settings.index)
        reused = [(row, p) for row, p in enumerate(index.passages) if p.source != "note.md"]
        assert reused and all(np.array_equal(index.vectors[row], old_vectors[(p.source, p.start, p.end)]) for row, p in reused)
        fresh = LexicalIndex.build([p.embed_text for p in index.passages])
        for query in ["orchard flooded", "mill stone", "river village spring", "bees"]:
            np.testing.assert_allclose(index.lexical_scores(query), fresh.scores(query), rtol=1e-5, atol=1e-6)
        # stored fingerprints, reused or computed, are those of the texts now in the index
        assert [index.fingerprint(row).tolist() for row in range(len(index.passages))] == [
            fingerprint(p.text).tolist() for p in index.passages
        ]


def test_deleting_a_file_removes_its_passages(tmp_path, embedder):
    settings = Settings(sources=small_folder(tmp_path / "src"), index=tmp_path / "index")
    build_index(settings)
    gone = "bees.txt"
    assert passages_of(settings, gone)
    (settings.sources / gone).unlink()
    report = build_index(settings)
    assert report.removed == [gone] and report.embedded == 0
    index = Index.open(settings.index)
    assert gone not in index.documents
    assert passages_of(settings, gone) == []
    assert index.vectors.shape[0] == len(index.passages) == len(index.passage_sources)


def test_kill_9_during_indexing_leaves_a_usable_index(tmp_path, embedder):
    settings = Settings(sources=small_folder(tmp_path / "src"), index=tmp_path / "index")
    build_index(settings)
    old_generation = (settings.index / "CURRENT").read_text().strip()
    copies = []
    for copy in range(6):  # enough new text that the build is still running when it is killed
        for path in SEEDS.glob("*.txt"):
            target = settings.sources / f"copy{copy}_{path.name}"
            target.write_text(path.read_text(encoding="utf-8") + f"\nCopy {copy}.\n", encoding="utf-8")
            copies.append(target)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QABOT_INDEXING__EMBED_BATCH_SIZE": "8"}
    process = subprocess.Popen([sys.executable, "-m", "qabot", "index", "--sources", str(settings.sources),
                                "--index", str(settings.index)], env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for line in process.stderr:  # "qabot: embedding N texts": the model is loaded and working
            if "embedding" in line:
                break
        time.sleep(1.0)  # well into the embedding (thousands of texts, batches of 8)
        assert process.poll() is None, "the build finished before it could be killed; make the folder bigger"
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
    assert (settings.index / "CURRENT").read_text().strip() == old_generation
    for target in copies:  # the folder as the surviving generation knows it: answered without a rebuild
        target.unlink()
    asked = subprocess.run([sys.executable, "-m", "qabot", "ask", "When did the river flood the village?", "--json",
                            "--sources", str(settings.sources), "--index", str(settings.index), "--k", "1"],
                           env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr
    assert "rebuilding" not in asked.stderr
    assert json.loads(asked.stdout)["excerpts"][0]["source"] in {"note.md", "rivers.md"}
    index = Index.open(settings.index)
    assert index.generation == old_generation and index.vectors.shape[0] == len(index.passages)


def test_watch_reindexes_after_an_edit_and_stops_cleanly(tmp_path, embedder):
    settings = Settings(sources=small_folder(tmp_path / "src"), index=tmp_path / "index")
    build_index(settings)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QABOT_INDEXING__WATCH_DEBOUNCE_MS": "200"}
    process = subprocess.Popen([sys.executable, "-m", "qabot", "index", "--watch", "--sources", str(settings.sources),
                                "--index", str(settings.index)], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()

    def wait_for(text: str, seconds: float = 300) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and process.poll() is None:
            for line in lines:
                if text in line:
                    return line
            time.sleep(0.2)
        raise AssertionError(f"no line with {text!r}; got {lines}")

    try:
        wait_for("watching")
        note = settings.sources / "note.md"
        note.write_text(note.read_text(encoding="utf-8") + "\nThe mill was rebuilt in stone.\n", encoding="utf-8")
        line = wait_for("re-indexed")
        assert "note.md" in line and "embedded" in line
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        reader.join(timeout=10)
        assert any("stopped watching" in line for line in lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "mill was rebuilt" in Index.open(settings.index).documents["note.md"].text


def _centroids(path: Path) -> np.ndarray:
    import faiss

    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
    quantizer = faiss.extract_index_ivf(index).quantizer
    return quantizer.reconstruct_n(0, quantizer.ntotal)


def test_a_small_rebuild_keeps_the_trained_ivf_a_large_one_retrains_and_a_bad_one_is_ignored(tmp_path, embedder):
    """A rebuild that embeds few passages adds to the previous generation's trained IVFs (no k-means:
    same centroids); one that embeds many trains again; a damaged trained file only means training.
    Stored low-content scores, reused or computed, are those of the texts now in the index."""
    import shutil

    from qabot.ranking import low_content
    from qabot.lexical import STOPWORDS

    sources = tmp_path / "src"
    shutil.copytree(SEEDS, sources)
    settings = Settings(sources=sources, index=tmp_path / "index").with_overrides(
        {"indexing": {"approximate_threshold": 100}}
    )
    build_index(settings)
    first = Index.open(settings.index).folder
    assert first.joinpath("dense.trained.faiss").is_file() and first.joinpath("sentences.trained.json").is_file()
    trained = {name: _centroids(first / f"{name}.trained.faiss") for name in ("dense", "sentences")}
    assert len(trained["dense"]) > 1

    edited = sources / "addendum.md"  # a new short file: few passages to embed
    edited.write_text("# Addendum\n\nA closing line about the harbour lights and the night ferry.\n", encoding="utf-8")
    small = build_index(settings)
    assert 0 < small.embedded <= 0.1 * small.passages
    second = Index.open(settings.index)
    for name in ("dense", "sentences"):
        assert np.array_equal(_centroids(second.folder / f"{name}.faiss"), trained[name])
    assert second.manifest.vector_index["type"] == "ivf"
    assert [second.low_content(row) for row in range(len(second.passages))] == [
        low_content(p.text, STOPWORDS) for p in second.passages
    ]

    (second.folder / "dense.trained.faiss").write_bytes(b"not a faiss index")
    edited.write_text(edited.read_text(encoding="utf-8") + "\nAnother line about the ferry.\n", encoding="utf-8")
    build_index(settings)  # the damaged file is not reused: the passages are trained again, the build succeeds
    third = Index.open(settings.index).folder
    assert np.array_equal(_centroids(third / "dense.faiss"), _centroids(third / "dense.trained.faiss"))  # written anew
    assert np.array_equal(_centroids(third / "sentences.faiss"), trained["sentences"])  # its own file was sound

    largest = max((p for p in sources.iterdir() if p.suffix in (".md", ".txt")), key=lambda p: p.stat().st_size)
    (sources / "copy.md").write_text(largest.read_text(encoding="utf-8").replace(" the ", " a "), encoding="utf-8")
    large = build_index(settings)
    assert large.embedded > 0.1 * large.passages
    fourth = Index.open(settings.index)
    assert not np.array_equal(_centroids(fourth.folder / "sentences.faiss"), trained["sentences"])
    assert fourth.manifest.sentence_index["trained_rows"] == int(fourth.sentence_offsets[-1])
