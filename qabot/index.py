"""Building, saving (atomically), checking and loading the on-disk index.

Layout of the index folder: each build writes a new generation folder `gen-*` (manifest, documents,
passages, vectors, FAISS and BM25 files), then points the file `CURRENT` at it with an atomic
rename. A build killed at any moment leaves `CURRENT` naming a complete generation, old or new.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qabot import __version__
from qabot.errors import IndexCorruptError, IndexMissingError, SourcesError
from qabot.passages import Passage, split_document
from qabot.progress import Reporter, SilentReporter
from qabot.scan import ReadLimits, scan_folder
from qabot.settings import Settings
from qabot.vector_index import configure_loaded
from qabot.sources import (
    Document,
    Section,
    check_folder,
    hash_bytes,
    load_manifest,
    read_document,
)

FORMAT_VERSION = 2
SPLITTER_VERSION = 3  # bump whenever passages.py cuts differently: old indexes become stale
POINTER = "CURRENT"


@dataclass
class BuildReport:
    """What a build did, for the user and for tests."""

    documents: int = 0
    passages: int = 0
    embedded: int = 0  # passages embedded by this build (the rest were reused)
    reused: int = 0
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0  # time spent in the model, for throughput figures
    embedded_texts: int = 0  # passages and sentences embedded
    rebuilt: bool = True  # False when the index was already fresh and nothing was written


@dataclass
class Freshness:
    state: str  # "fresh" | "missing" | "stale" | "corrupt"
    reasons: list[str] = field(default_factory=list)

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


@dataclass
class LoadedIndex:
    """Everything retrieval needs, read from one generation folder."""

    folder: Path
    manifest: dict
    documents: dict[str, Document]
    passages: list[Passage]
    vectors: np.ndarray
    dense: object  # faiss.Index
    lexical: object  # qabot.lexical.LexicalIndex
    sentence_vectors: np.ndarray  # one row per sentence of every passage, in passage order
    sentence_offsets: np.ndarray  # passage i owns sentence rows sentence_offsets[i]:sentence_offsets[i+1]
    sentence_index: object | None = None  # FAISS over sentence vectors, written only for large corpora

    @property
    def approximate(self) -> bool:
        """True when search is approximate (HNSW): retrieval then scores candidates only."""
        return self.manifest.get("vector_index", {}).get("type", "flat") != "flat"


def index_config(settings: Settings) -> dict:
    """What, besides the sources, decides the index content: a change to any of it means rebuild."""
    from qabot.embedder import model_fingerprint, resolve_model

    return {
        "model": settings.model,
        "model_fingerprint": model_fingerprint(resolve_model(settings.model)),
        "passage_target_chars": settings.passage_target_chars,
        "passage_max_chars": settings.passage_max_chars,
        "splitter_version": SPLITTER_VERSION,
        "format": FORMAT_VERSION,
    }


# ---------------------------------------------------------------- reading the current generation


def current_generation(index_dir: Path) -> Path:
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexMissingError(f"no index in {index_dir}: run `qabot index` to build one")
    name = pointer.read_text(encoding="utf-8").strip()
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: {POINTER} names a missing generation")
    return folder


def read_manifest(index_dir: Path) -> dict:
    folder = current_generation(index_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: manifest unreadable ({error})") from None
    if not isinstance(manifest, dict) or "files" not in manifest or "config" not in manifest:
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: manifest incomplete")
    return manifest


def _document_from_json(data: dict) -> Document:
    return Document(
        source=data["source"],
        text=data["text"],
        content_hash=data["content_hash"],
        title=data.get("title"),
        author=data.get("author"),
        date=data.get("date"),
        sections=tuple(Section(**s) for s in data.get("sections", ())),
        pages=tuple(data.get("pages", ())),
    )


def load_index(index_dir: Path) -> LoadedIndex:
    """Read the current generation; any inconsistency is an IndexCorruptError."""
    import faiss

    from qabot.lexical import LexicalIndex

    manifest = read_manifest(index_dir)
    folder = current_generation(index_dir)
    try:
        documents = [_document_from_json(d) for d in json.loads((folder / "documents.json").read_text(encoding="utf-8"))]
        passages = [
            Passage(**{**p, "sentences": tuple(tuple(span) for span in p.get("sentences", ()))})
            for p in json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        ]
        vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        sentence_vectors = np.load(folder / "sentence_vectors.npy", mmap_mode="r")
        sentence_offsets = np.load(folder / "sentence_offsets.npy")
        dense = faiss.read_index(str(folder / "dense.faiss"))
        configure_loaded(dense, manifest.get("vector_index", {}))
        sentence_index = None
        if (folder / "sentences.faiss").is_file():
            sentence_index = faiss.read_index(str(folder / "sentences.faiss"))
            configure_loaded(sentence_index, manifest.get("sentence_index", {}))
        lexical = LexicalIndex.load(folder / "bm25")
    except Exception as error:  # truncated or foreign files surface as many exception types
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: {type(error).__name__}: {error}") from None
    counts = {len(passages), vectors.shape[0], dense.ntotal, lexical.size, manifest.get("passages"), len(sentence_offsets) - 1}
    if len(counts) != 1 or sentence_offsets[-1] != sentence_vectors.shape[0]:
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: its parts disagree on the passage count")
    return LoadedIndex(
        folder, manifest, {d.source: d for d in documents}, passages, vectors, dense, lexical, sentence_vectors,
        sentence_offsets, sentence_index,
    )


# ------------------------------------------------------------------------------- freshness


def _file_state(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _changed_files(sources_dir: Path, recorded: dict[str, dict], limits: ReadLimits) -> tuple[list[str], list[str]]:
    """(new or changed, removed) files versus the manifest; content hashes settle doubtful mtimes."""
    current = {p.relative_to(sources_dir).as_posix(): p for p in scan_folder(sources_dir, limits).files}
    changed = []
    for source, path in current.items():
        old = recorded.get(source)
        if old is None:
            changed.append(source)
            continue
        state = _file_state(path)
        if state["size"] == old.get("size") and state["mtime_ns"] == old.get("mtime_ns"):
            continue
        if hash_bytes(path.read_bytes()) != old.get("hash"):
            changed.append(source)
    removed = sorted(set(recorded) - set(current))
    return changed, removed


def check_freshness(settings: Settings) -> Freshness:
    """Is the index there, readable, and built from these sources with this model and chunking?"""
    check_folder(settings.sources)
    try:
        manifest = read_manifest(settings.index)
    except IndexMissingError:
        return Freshness("missing", [f"no index in {settings.index}"])
    except IndexCorruptError as error:
        return Freshness("corrupt", [str(error)])
    reasons = []
    config = index_config(settings)
    for key, value in config.items():
        if manifest["config"].get(key) != value:
            reasons.append(f"{key.replace('_', ' ')} changed")
    if Path(manifest.get("sources_dir", "")) != settings.sources.resolve():
        reasons.append("the sources folder changed")
    recorded = dict(manifest["files"])
    recorded.update(manifest.get("skipped", {}))
    recorded_manifest = manifest.get("sources_manifest_hash")
    limits = ReadLimits.from_settings(settings)
    if manifest.get("read_limits") != limits.as_dict():
        reasons.append("reading limits changed")
    changed, removed = _changed_files(settings.sources, recorded, limits)
    if changed:
        reasons.append(f"{len(changed)} file(s) new or changed: {', '.join(changed[:5])}")
    if removed:
        reasons.append(f"{len(removed)} file(s) removed: {', '.join(removed[:5])}")
    if recorded_manifest != _sources_manifest_hash(settings.sources):
        reasons.append("sources.toml changed")
    return Freshness("stale" if reasons else "fresh", reasons)


def _sources_manifest_hash(sources_dir: Path) -> str | None:
    path = sources_dir / "sources.toml"
    return hash_bytes(path.read_bytes()) if path.is_file() else None


# ---------------------------------------------------------------------------------- building


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder (a second waits for the first)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _previous(settings: Settings, config: dict) -> tuple[dict, dict[str, Document], dict[str, list[list]]]:
    """Documents, passages and vectors of the current generation when its config matches (else empty)."""
    try:
        old = load_index(settings.index)
    except (IndexMissingError, IndexCorruptError):
        return {}, {}, {}
    if old.manifest["config"] != config:
        return {}, {}, {}
    by_source: dict[str, list[list]] = {}
    offsets = old.sentence_offsets
    for row, passage in enumerate(old.passages):
        sentences = np.array(old.sentence_vectors[offsets[row] : offsets[row + 1]])
        by_source.setdefault(passage.source, []).append([passage, np.array(old.vectors[row]), sentences])
    return old.manifest, old.documents, by_source


def build_index(settings: Settings, reporter: Reporter | None = None, force: bool = False) -> BuildReport:
    """Index the sources folder, embedding only passages of new or changed files."""
    from qabot.embedder import load_embedder

    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    check_folder(settings.sources)
    config = index_config(settings)
    with _build_lock(settings.index):
        if not force and check_freshness(settings).fresh:
            manifest = read_manifest(settings.index)
            return BuildReport(len(manifest["files"]), manifest["passages"], rebuilt=False,
                               seconds=time.perf_counter() - started)
        old_manifest, old_documents, old_passages = ({}, {}, {}) if force else _previous(settings, config)
        old_files = old_manifest.get("files", {})
        sources_manifest = load_manifest(settings.sources)
        manifest_changed = old_manifest.get("sources_manifest_hash") != _sources_manifest_hash(settings.sources)
        limits = ReadLimits.from_settings(settings)
        manifest_changed |= old_manifest.get("read_limits") != limits.as_dict()  # files may read differently

        report = BuildReport()
        documents: list[Document] = []
        files: dict[str, dict] = {}
        skipped: dict[str, dict] = {}
        kept: list[list] = []  # [passage, vector or None, sentence vectors or None, document]
        scan = scan_folder(settings.sources, limits)  # links out of the folder, loops, oversized files
        for source, why in scan.skipped:
            report.skipped.append((source, why))
            reporter.message(f"skipped {source}: {why}")
        for path in scan.files:
            source = path.relative_to(settings.sources).as_posix()
            state = _file_state(path)
            data_hash = hash_bytes(path.read_bytes())
            previous = old_files.get(source)
            reusable = (
                previous is not None and previous.get("hash") == data_hash
                and source in old_documents and not manifest_changed
            )
            if reusable:
                document = old_documents[source]
                pairs = old_passages.get(source, [])
                kept.extend(pair + [document] for pair in pairs)
                report.reused += len(pairs)
            else:
                try:
                    document = read_document(path, source, sources_manifest.get(source), limits)
                except (ValueError, OSError) as error:
                    report.skipped.append((source, str(error)))
                    skipped[source] = {**state, "hash": data_hash, "reason": str(error)}
                    reporter.message(f"skipped {source}: {error}")
                    continue
                if not document.text.strip():
                    report.skipped.append((source, "no text"))
                    skipped[source] = {**state, "hash": data_hash, "reason": "no text"}
                    reporter.message(f"skipped {source}: no text")
                    continue
                report.changed.append(source)
                kept.extend(
                    [p, None, None, document]
                    for p in split_document(document, settings.passage_target_chars, settings.passage_max_chars)
                )
            documents.append(document)
            files[source] = {**state, "hash": data_hash, "title": document.title}
        report.removed = sorted(set(old_files) - set(files))
        if not documents:
            reasons = "; ".join(f"{s}: {why}" for s, why in report.skipped[:5])
            raise SourcesError(f"no readable documents in {settings.sources}" + (f" ({reasons})" if reasons else ""))

        to_embed = [i for i, item in enumerate(kept) if item[1] is None]
        dims = None
        if to_embed:
            from qabot.passages import sentence_texts

            embedder = load_embedder(settings.model)
            dims = embedder.dims
            texts, owners = [], []
            for i in to_embed:
                passage, document = kept[i][0], kept[i][3]
                texts.append(passage.embed_text)
                owners.append((i, -1))
                for number, text in enumerate(sentence_texts(document, passage)):
                    texts.append(text)
                    owners.append((i, number))
            reporter.start(len(texts))
            embed_started = time.perf_counter()
            fresh = embedder.encode(texts, settings.embed_batch_size, reporter.advance)
            report.embed_seconds = time.perf_counter() - embed_started
            report.embedded_texts = len(texts)
            reporter.finish()
            for i in to_embed:
                kept[i][2] = np.zeros((len(kept[i][0].sentences), dims), np.float32)
            for row, (i, number) in enumerate(owners):
                if number < 0:
                    kept[i][1] = fresh[row]
                else:
                    kept[i][2][number] = fresh[row]
        report.embedded = len(to_embed)
        passages = [item[0] for item in kept]
        dims = dims or (len(kept[0][1]) if kept else 0)
        vectors = np.vstack([item[1] for item in kept]).astype(np.float32) if kept else np.zeros((0, dims), np.float32)
        sentence_vectors = (
            np.vstack([item[2] for item in kept]).astype(np.float32) if kept else np.zeros((0, dims), np.float32)
        )
        sentence_offsets = np.concatenate([[0], np.cumsum([len(item[2]) for item in kept])]).astype(np.int64)
        query_encoder = _ensure_query_encoder(settings, config)
        manifest = {
            "qabot_version": __version__,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "config": config,
            "dims": int(vectors.shape[1]) if vectors.size else dims,
            "normalized": True,
            "metric": "inner_product",
            "sources_dir": str(settings.sources.resolve()),
            "sources_manifest_hash": _sources_manifest_hash(settings.sources),
            "files": files,
            "skipped": skipped,
            "read_limits": limits.as_dict(),
            "passages": len(passages),
            "sentences": int(sentence_offsets[-1]) if len(sentence_offsets) else 0,
            "index_type": "flat",
            "query_encoder": query_encoder,
        }
        _write_generation(settings, manifest, documents, passages, vectors, sentence_vectors, sentence_offsets)
        report.documents, report.passages = len(documents), len(passages)
        report.skipped = report.skipped
        report.seconds = time.perf_counter() - started
        return report


def _write_generation(
    settings: Settings,
    manifest: dict,
    documents: list[Document],
    passages: list[Passage],
    vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    sentence_offsets: np.ndarray,
) -> None:
    """Write every file into a fresh folder, then switch `CURRENT` to it with one atomic rename."""
    import faiss

    from qabot.lexical import LexicalIndex
    from qabot.vector_index import build_vector_index

    index_dir = settings.index
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        (staging / "documents.json").write_text(json.dumps([asdict(d) for d in documents], ensure_ascii=False), encoding="utf-8")
        (staging / "passages.json").write_text(json.dumps([asdict(p) for p in passages], ensure_ascii=False), encoding="utf-8")
        np.save(staging / "vectors.npy", vectors)
        np.save(staging / "sentence_vectors.npy", sentence_vectors)
        np.save(staging / "sentence_offsets.npy", sentence_offsets)
        dense, manifest["vector_index"] = build_vector_index(vectors, settings)
        manifest["index_type"] = manifest["vector_index"]["type"]
        faiss.write_index(dense, str(staging / "dense.faiss"))
        if manifest["index_type"] != "flat":  # large corpora: sentences get an index of their own too
            sentences, manifest["sentence_index"] = build_vector_index(sentence_vectors, settings)
            faiss.write_index(sentences, str(staging / "sentences.faiss"))
        LexicalIndex.build([p.embed_text for p in passages]).save(staging / "bm25")
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        for path in staging.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        generation = index_dir / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        staging.rename(generation)
        pointer_tmp = index_dir / f".{POINTER}.tmp"
        pointer_tmp.write_text(generation.name + "\n", encoding="utf-8")
        with open(pointer_tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer_tmp, index_dir / POINTER)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _remove_old_generations(index_dir, keep=generation.name)


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    """Drop superseded generations, leftovers of killed builds, and encoders no generation uses."""
    from qabot.query_encoder import ENCODER_PREFIX

    try:
        used = json.loads((index_dir / keep / "manifest.json").read_text(encoding="utf-8")).get("query_encoder")
    except (OSError, ValueError):
        used = None
    for path in index_dir.iterdir():
        stale = path.name.startswith(("gen-", ".tmp-")) or (path.name.startswith(ENCODER_PREFIX) and path.name != used)
        if path.is_dir() and path.name != keep and stale:
            shutil.rmtree(path, ignore_errors=True)


def _ensure_query_encoder(settings: Settings, config: dict) -> str | None:
    """Export the model to ONNX for the query path once per model; None if it cannot be exported."""
    from qabot.embedder import load_embedder
    from qabot.query_encoder import encoder_folder, export_query_encoder

    folder = encoder_folder(settings.index, config["model_fingerprint"])
    if not (folder / "model.onnx").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        try:
            export_query_encoder(load_embedder(settings.model), folder)
        except Exception as error:  # an exotic model: queries fall back to sentence-transformers
            print(f"qabot: could not export a fast query encoder ({error}); queries will load sentence-transformers",
                  file=sys.stderr)
            return None
    return folder.name


def ensure_index(settings: Settings, reporter: Reporter | None = None) -> LoadedIndex:
    """Load the index, first building or rebuilding it when it is missing, stale or corrupt."""
    reporter = reporter or SilentReporter()
    freshness = check_freshness(settings)
    if freshness.fresh:
        try:
            return load_index(settings.index)
        except IndexCorruptError as error:
            freshness = Freshness("corrupt", [str(error)])
    verb = "building" if freshness.state == "missing" else "rebuilding"
    reporter.message(f"index is {freshness.state} ({'; '.join(freshness.reasons)}): {verb} it")
    report = build_index(settings, reporter, force=freshness.state == "corrupt")
    reporter.message(
        f"indexed {report.documents} documents, {report.passages} passages "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
    )
    return load_index(settings.index)
