"""Building the index: read the sources, reuse what did not change, embed the rest, write a generation.

A build writes a complete new generation folder and only then switches `CURRENT` to it (see
`qabot.manifest`), so a build killed at any moment leaves the previous index readable.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qabot import __version__
from qabot.errors import IndexCorruptError, SourcesError
from qabot.freshness import (
    Freshness,
    check_freshness,
    file_state,
    index_config,
    sources_manifest_hash,
)
from qabot.generation import PassageRecord, write_generation
from qabot.index import Index
from qabot.manifest import Manifest
from qabot.passages import split_document
from qabot.progress import Reporter, SilentReporter
from qabot.query_encoder import link_query_encoder
from qabot.scan import ReadLimits, scan_folder
from qabot.reuse import BuildMemory, Previous, remembered, written
from qabot.settings import Settings
from qabot.sources import (
    check_folder,
    hash_bytes,
    load_manifest,
    read_document,
)

# A build that embeds at most this share of its passages (the rest reused) keeps the previous
# generation's trained IVF centroids: the corpus is nearly the same, so k-means would find the same.
SETTLED_SHARE = 0.1


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
    precision: str = ""  # the encoder's number format when it ran (float32 or bfloat16, see indexing.build_precision)
    rebuilt: bool = True  # False when the index was already fresh and nothing was written
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage (freshness, previous, read, embed, write)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder (a second waits for the first)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _StageClock:
    """Seconds spent per build stage, so a slow rebuild says where its time went."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 3)
        self.last = now


def build_index(
    settings: Settings, reporter: Reporter | None = None, force: bool = False, embed: Callable | None = None,
    memory: BuildMemory | None = None,
) -> BuildReport:
    """Index the sources folder, embedding only passages of new or changed files.

    `embed(records, settings, report, reporter) -> dims` replaces the model (`qabot bench --corpus
    --synthetic-vectors` measures a million passages without hours of encoding); `memory` carries
    what this build wrote to the next build in the same process."""
    reporter = reporter or SilentReporter()
    started = time.perf_counter()
    check_folder(settings.sources)
    config = index_config(settings)
    with build_lock(settings.index):
        clock = _StageClock()
        if not force and check_freshness(settings).fresh:
            manifest = Index.open(settings.index).manifest
            return BuildReport(len(manifest.files), manifest.passages, rebuilt=False, seconds=time.perf_counter() - started)
        clock.lap("freshness")
        previous = Previous() if force else remembered(memory, settings, config)
        clock.lap("previous")
        report = BuildReport(stages=clock.stages)
        records, files, skipped = _read_sources(settings, previous, report, reporter)
        clock.lap("read")
        dims = (embed or _embed_missing)(records, settings, report, reporter)
        clock.lap("embed")
        encoder = link_query_encoder(settings, config["model_fingerprint"])
        manifest = Manifest(
            qabot_version=__version__, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), config=config,
            dims=dims, sources_dir=str(settings.sources.resolve()),
            sources_manifest_hash=sources_manifest_hash(settings.sources), files=files, skipped=skipped,
            passages=len(records), sentences=sum(len(r.sentence_vectors) for r in records), query_encoder=encoder,
            read_limits=ReadLimits.from_settings(settings).as_dict(),
        )
        settled = previous.folder is not None and report.embedded <= SETTLED_SHARE * len(records)
        generation, counts = write_generation(settings, manifest, records, previous.counts, previous.folder if settled else None)
        clock.lap("write")
        if memory is not None:
            memory.remember(generation, config, written(manifest, records, counts, settings.index / generation))
        report.removed = sorted(set(previous.files) - set(files))
        report.documents, report.passages = len(files), len(records)
        report.seconds = time.perf_counter() - started
        return report


def _read_sources(
    settings: Settings, previous: Previous, report: BuildReport, reporter: Reporter
) -> tuple[list[PassageRecord], dict[str, dict], dict[str, dict]]:
    """Records for every readable file (reused when unchanged), the files' states, the skipped files."""
    indexing = settings.indexing
    metadata = load_manifest(settings.sources)
    limits = ReadLimits.from_settings(settings)
    metadata_changed = previous.sources_manifest_hash != sources_manifest_hash(settings.sources)
    metadata_changed |= previous.read_limits != limits.as_dict()  # files may read differently: read them again
    records: list[PassageRecord] = []
    files: dict[str, dict] = {}
    skipped: dict[str, dict] = {}
    scan = scan_folder(settings.sources, limits)  # links out of the folder, loops, oversized files
    for source, why in scan.skipped:
        report.skipped.append((source, why))
        reporter.message(f"skipped {source}: {why}")
    for path in scan.files:
        source = path.relative_to(settings.sources).as_posix()
        old = previous.files.get(source)
        state = _hashed_state(path, old)
        if old is not None and old.get("hash") == state["hash"] and source in previous.documents and not metadata_changed:
            document = previous.documents[source]
            reused = previous.records.get(source, [])
            records.extend(reused)
            report.reused += len(reused)
        else:
            try:
                document = read_document(path, source, metadata.get(source), limits)
            except (ValueError, OSError) as error:
                report.skipped.append((source, str(error)))
                skipped[source] = {**state, "reason": str(error)}
                reporter.message(f"skipped {source}: {error}")
                continue
            report.changed.append(source)
            passages = split_document(
                document, indexing.passage_target_chars, indexing.passage_max_chars,
                indexing.passage_min_chars, indexing.sentence_min_chars, indexing.describe_voices,
            )
            records.extend(PassageRecord(p, document) for p in passages)
        files[source] = {**state, "title": document.title}
    if not files:
        reasons = "; ".join(f"{s}: {why}" for s, why in report.skipped[:5])
        raise SourcesError(f"no readable documents in {settings.sources}" + (f" ({reasons})" if reasons else ""))
    return records, files, skipped


def _hashed_state(path: Path, old: dict | None) -> dict:
    """Size, modification time and content hash; the recorded hash is trusted while size and time
    are unchanged (as freshness checks do), so a rebuild reads only new or touched files."""
    state = file_state(path)
    if old is not None and old.get("hash") and (old.get("size"), old.get("mtime_ns")) == (state["size"], state["mtime_ns"]):
        return {**state, "hash": old["hash"]}
    return {**state, "hash": hash_bytes(path.read_bytes())}


def _embed_missing(records: list[PassageRecord], settings: Settings, report: BuildReport, reporter: Reporter) -> int:
    """Embed every record without vectors: its passage and its sentences, in one model pass."""
    missing = [r for r in records if r.vector is None]
    report.embedded = len(missing)
    if not missing:
        return len(records[0].vector) if records else 0
    from qabot.passage_encoder import build_passage_encoder, passage_text

    encoder = build_passage_encoder(settings)
    report.precision = encoder.precision
    reporter.start(len(missing))
    embed_started = time.perf_counter()
    results = encoder.encode(
        [passage_text(r.document, r.passage) for r in missing], settings.indexing.embed_batch_size, reporter.advance
    )
    report.embed_seconds = time.perf_counter() - embed_started
    report.embedded_texts = sum(1 + len(r.passage.sentences) for r in missing)
    reporter.finish()
    for record, (vector, sentence_vectors) in zip(missing, results):
        record.vector, record.sentence_vectors = vector, sentence_vectors
    return encoder.dims


def ensure_index(settings: Settings, reporter: Reporter | None = None, current: tuple[Path, Manifest] | None = None) -> Index:
    """Open the index, first building or rebuilding it when it is missing, stale or corrupt.

    `current`: the generation folder and manifest `read_current` gave the caller, if it read them."""
    reporter = reporter or SilentReporter()
    freshness = check_freshness(settings, current)
    if freshness.fresh:
        try:
            return Index.open(settings.index, freshness.current)
        except IndexCorruptError as error:
            freshness = Freshness("corrupt", [str(error)])
    verb = "building" if freshness.state == "missing" else "rebuilding"
    reporter.message(f"index is {freshness.state} ({'; '.join(freshness.reasons)}): {verb} it")
    report = build_index(settings, reporter, force=freshness.state == "corrupt")
    reporter.message(
        f"indexed {report.documents} documents, {report.passages} passages "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
    )
    return Index.open(settings.index)
