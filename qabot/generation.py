"""Writing one generation folder: documents, passages, vectors, voices, BM25 and FAISS files.

Everything is written into a staging folder that becomes the generation in one rename; only then
does `CURRENT` move to it (see `qabot.manifest`), and superseded generations are removed.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from qabot.corroboration import CLAIMS_COLUMN, stored_claims
from qabot.index import ACRONYMS_NAME, LOW_CONTENT_NAME, Voice
from qabot.lexical import STOPWORDS
from qabot.ranking import FINGERPRINTS_COLUMN, fingerprint, low_content
from qabot.manifest import GENERATION_PREFIX, Manifest, switch_current
from qabot.passages import Passage
from qabot.settings import Settings
from qabot.sources import Document
from qabot.storage import staged_folder
from qabot.store import ArrayColumn, DocumentStore, PassageStore, StringColumn
from qabot.term_counts import TermCounts, bm25_index, compact, concatenate


@dataclass
class PassageRecord:
    """A passage on its way into the index, with its vectors once they are known."""

    passage: Passage
    document: Document
    vector: np.ndarray | None = None  # None: still to be embedded
    sentence_vectors: np.ndarray | None = None  # one row per sentence span of the passage
    previous_row: int | None = None  # its row in the previous generation, when reused from there
    claims: list[str] | None = None  # its sentences' stored claim terms, once known (reused like its vectors)
    fingerprint: np.ndarray | None = None  # its near-duplicate fingerprint, when reused from the previous generation
    low_content: float | None = None  # `qabot.ranking.low_content` of its text, once known (reused like its vectors)


def voice_table(records: list[PassageRecord]) -> tuple[list[Voice], np.ndarray]:
    """Distinct voices and each passage's voice number: its document's author, plus the Q&A
    speaker when its section is a speaker turn."""
    numbers: dict[Voice, int] = {}
    ids = np.empty(len(records), dtype=np.int32)
    for row, record in enumerate(records):
        speakers = {s.label for s in record.document.sections if s.kind == "speaker"}
        section = record.passage.section
        voice = Voice(record.document.author, section if section in speakers else None)
        ids[row] = numbers.setdefault(voice, len(numbers))
    return list(numbers), ids


def write_generation(
    settings: Settings, manifest: Manifest, records: list[PassageRecord], previous_counts: TermCounts | None = None,
    trained_in: Path | None = None,
) -> tuple[str, TermCounts]:
    """Write every file into a fresh generation folder, then switch `CURRENT` to it; returns its name
    and the passages' term counts. `previous_counts` (the previous generation's) spares tokenizing
    reused passages; `trained_in` (the previous generation, when most passages are reused from it)
    spares training its IVF indexes again."""
    from qabot.aliases import mine_acronyms

    documents = list({r.document.source: r.document for r in records}.values())
    source_numbers = {d.source: number for number, d in enumerate(documents)}
    sentence_offsets = np.concatenate([[0], np.cumsum([len(r.sentence_vectors) for r in records])]).astype(np.int64)
    voices, passage_voices = voice_table(records)
    generation = settings.index / f"{GENERATION_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
    with staged_folder(generation) as staging:
        DocumentStore.write(staging, documents)
        PassageStore.write(staging / "passages", [r.passage for r in records], source_numbers)
        StringColumn.write(staging / "passages", CLAIMS_COLUMN, [terms for r in records for terms in _claims(r)])
        ArrayColumn.write(staging / "passages", FINGERPRINTS_COLUMN, (_fingerprint(r) for r in records), np.int64)
        _write_json(staging / "voices.json", [asdict(v) for v in voices])
        _write_json(staging / ACRONYMS_NAME, mine_acronyms(d.text for d in documents))
        np.save(staging / "passage_voices.npy", passage_voices)
        np.save(staging / "passage_sources.npy", np.array([source_numbers[r.passage.source] for r in records], np.int32))
        np.save(staging / LOW_CONTENT_NAME, np.array([_low_content(r) for r in records], np.float64))
        vectors = _write_rows(staging / "vectors.npy", (r.vector[None, :] for r in records), len(records), manifest.dims)
        sentence_vectors = _write_rows(
            staging / "sentence_vectors.npy", (r.sentence_vectors for r in records), int(sentence_offsets[-1]), manifest.dims
        )
        np.save(staging / "sentence_offsets.npy", sentence_offsets)
        vector_params, sentence_params = write_vector_indexes(staging, vectors, sentence_vectors, settings, trained_in)
        counts = passage_counts(records, previous_counts)
        bm25_index(counts).save(staging / "bm25")
        counts.save(staging / "bm25" / "counts")
        replace(manifest, vector_index=vector_params, sentence_index=sentence_params).write(staging)
    switch_current(settings.index, generation)
    remove_old_generations(settings.index, keep=generation.name, encoder=manifest.query_encoder)
    return generation.name, counts


def _claims(record: PassageRecord) -> list[str]:
    """A record's stored claim terms: kept from the previous generation, else tokenized now (~0.1 ms a sentence)."""
    if record.claims is None or len(record.claims) != len(record.passage.sentences):
        record.claims = stored_claims(record.passage, record.document)
    return record.claims


def _low_content(record: PassageRecord) -> float:
    """A record's low-content score: kept from the previous generation, else computed now (~80 µs a passage)."""
    if record.low_content is None:
        record.low_content = low_content(record.passage.text, STOPWORDS)
    return record.low_content


def _fingerprint(record: PassageRecord) -> np.ndarray:
    """A record's near-duplicate fingerprint: kept from the previous generation, else computed now (~50 µs a passage)."""
    if record.fingerprint is None:
        record.fingerprint = fingerprint(record.passage.text)
    return record.fingerprint


def passage_counts(records: list[PassageRecord], previous: TermCounts | None) -> TermCounts:
    """Term counts of every record, in order: reused rows gathered from `previous`, the rest tokenized."""
    if previous is None:
        return TermCounts.of_texts([r.passage.embed_text for r in records])
    new = [r for r in records if r.previous_row is None]
    rows, fresh = np.empty(len(records), np.int64), len(previous)
    for number, record in enumerate(records):
        if record.previous_row is None:
            rows[number], fresh = fresh, fresh + 1
        else:
            rows[number] = record.previous_row
    return compact(concatenate(previous, TermCounts.of_texts([r.passage.embed_text for r in new])).rows(rows))


def write_vector_indexes(
    folder: Path, vectors: np.ndarray, sentence_vectors: np.ndarray, settings: Settings, trained_in: Path | None = None
) -> tuple[dict, dict | None]:
    """FAISS files for passages and sentences when the corpus is large enough for approximate
    search (both of one type, chosen by their total count); nothing on small ones (exact search).
    `trained_in`: a previous generation whose trained IVFs may be reused (see `write_generation`)."""
    from qabot.vector_index import choose_index_type

    kind = choose_index_type(len(vectors) + len(sentence_vectors), settings.indexing)
    if kind == "flat":
        return {"type": "flat"}, None
    vector_params = _write_vector_index(folder, "dense", vectors, settings, kind, trained_in)
    sentence_params = _write_vector_index(folder, "sentences", sentence_vectors, settings, kind, trained_in)
    return vector_params, sentence_params


def _write_vector_index(folder: Path, name: str, vectors: np.ndarray, settings: Settings, kind: str, trained_in: Path | None) -> dict:
    """`name.faiss`, and for an IVF the empty trained index beside it (`TRAINED_SUFFIX`) for the next build."""
    from qabot.vector_index import TRAINED_SUFFIX, fill_vector_index, read_trained, train_vector_index, write_trained, write_vector_index

    reused = None
    if kind == "ivf" and trained_in is not None:
        reused = read_trained(trained_in / f"{name}{TRAINED_SUFFIX}", len(vectors), vectors.shape[1], settings.indexing)
    index, params = reused or train_vector_index(vectors, settings.indexing, kind)
    params = {**params, "nprobe": settings.indexing.ivf_nprobe} if params.get("type") == "ivf" else params
    write_trained(index, params, folder / f"{name}{TRAINED_SUFFIX}")
    fill_vector_index(index, vectors)
    write_vector_index(index, folder / f"{name}.faiss")
    return params


def _write_rows(path: Path, parts, rows: int, dims: int) -> np.ndarray:
    """Float32 rows written straight into a memory-mapped `.npy` (no second copy of the vectors in RAM)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dims))
    at = 0
    for part in parts:
        out[at : at + len(part)] = part
        at += len(part)
    if at != rows:
        raise ValueError(f"{path.name}: {at} rows written, {rows} expected")
    out.flush()
    return out


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def remove_old_generations(index_dir: Path, keep: str, encoder: str | None) -> None:
    """Drop superseded generations, leftovers of killed builds, and encoders no generation uses.

    A process still reading an old generation keeps its open and memory-mapped files (POSIX)."""
    from qabot.query_encoder import ENCODER_PREFIX

    for path in index_dir.iterdir():
        stale = path.name.startswith((GENERATION_PREFIX, ".tmp-")) or (
            path.name.startswith(ENCODER_PREFIX) and path.name != encoder
        )
        if path.is_dir() and path.name != keep and stale:
            shutil.rmtree(path, ignore_errors=True)


