"""Is the index built from these sources, with this model and chunking? And which files changed?

Size and modification time settle most files without reading them; a file whose size or time
changed is hashed, so touching a file without editing it does not force a rebuild.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qabot.errors import IndexCorruptError, IndexMissingError
from qabot.manifest import Manifest, read_current
from qabot.scan import ReadLimits, scan_folder
from qabot.settings import Settings
from qabot.sources import MANIFEST_NAME, check_folder, hash_bytes

FORMAT_VERSION = 4  # bump when the generation's files change shape: old indexes become stale
SPLITTER_VERSION = 5  # bump whenever passages.py cuts differently or embeds other text


@dataclass
class Freshness:
    state: str  # "fresh" | "missing" | "stale" | "corrupt"
    reasons: list[str] = field(default_factory=list)
    current: tuple[Path, Manifest] | None = None  # the generation checked and its manifest, when readable

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


def index_config(settings: Settings) -> dict:
    """What, besides the sources, decides the index content: a change to any of it means rebuild."""
    from qabot.embedder import model_fingerprint, resolve_model

    indexing = settings.indexing
    return {
        "model": settings.model,
        "model_fingerprint": model_fingerprint(resolve_model(settings.model)),
        "passage_target_chars": indexing.passage_target_chars,
        "passage_max_chars": indexing.passage_max_chars,
        "passage_min_chars": indexing.passage_min_chars,
        "sentence_min_chars": indexing.sentence_min_chars,
        "describe_voices": indexing.describe_voices,
        "sentence_vectors": indexing.sentence_vectors,
        "build_encoder": indexing.build_encoder,  # int8 vectors differ from fp32 ones: never mixed in one index
        # not build_precision: bfloat16 vectors match float32 ones (cosine ≥ 0.9999), and "auto" resolves by
        # CPU, so an index copied to another machine, or rebuilt in part there, stays fresh
        "splitter_version": SPLITTER_VERSION,
        "format": FORMAT_VERSION,
    }


def listed_sources(folder: Path, limits: ReadLimits) -> dict[str, Path]:
    """Every candidate source file by its name in citations (path relative to the folder).

    Links out of the folder, loops and oversized files are not candidates (see `qabot.scan`), so
    they never make the index stale.
    """
    return {source: Path(path) for source, (path, _) in listed_states(folder, limits).items()}


def listed_states(folder: Path, limits: ReadLimits) -> dict[str, tuple[str, tuple[int, int]]]:
    """Each listed source's path (a string) and (size, mtime_ns), from one walk (one `stat` a file)."""
    scan = scan_folder(folder, limits)
    prefix = len(str(folder / "x")) - 1  # scanned paths start so; pathlib's relative_to costs ~0.1 ms a file
    return {path[prefix:].replace(os.sep, "/"): (path, scan.states[path]) for path in scan.paths}


def file_state(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def sources_manifest_hash(folder: Path) -> str | None:
    path = folder / MANIFEST_NAME
    return hash_bytes(path.read_bytes()) if path.is_file() else None


def changed_files(folder: Path, recorded: dict[str, dict], limits: ReadLimits) -> tuple[list[str], list[str]]:
    """(new or changed, removed) files versus what a manifest recorded."""
    current = listed_states(folder, limits)
    changed = []
    for source, (path, (size, mtime_ns)) in current.items():
        old = recorded.get(source)
        if old is None:
            changed.append(source)
            continue
        if size == old.get("size") and mtime_ns == old.get("mtime_ns"):
            continue
        if hash_bytes(Path(path).read_bytes()) != old.get("hash"):
            changed.append(source)
    return changed, sorted(set(recorded) - set(current))


def stale_reasons(manifest: Manifest, settings: Settings) -> list[str]:
    """Why `manifest` does not describe an index of `settings.sources` (empty: it does)."""
    reasons = [
        f"{key.replace('_', ' ')} changed"
        for key, value in index_config(settings).items()
        if manifest.config.get(key) != value
    ]
    if Path(manifest.sources_dir) != settings.sources.resolve():
        reasons.append("the sources folder changed")
    limits = ReadLimits.from_settings(settings)
    if manifest.read_limits != limits.as_dict():
        reasons.append("reading limits changed")
    changed, removed = changed_files(settings.sources, {**manifest.files, **manifest.skipped}, limits)
    if changed:
        reasons.append(f"{len(changed)} file(s) new or changed: {', '.join(changed[:5])}")
    if removed:
        reasons.append(f"{len(removed)} file(s) removed: {', '.join(removed[:5])}")
    if manifest.sources_manifest_hash != sources_manifest_hash(settings.sources):
        reasons.append(f"{MANIFEST_NAME} changed")
    return reasons


def check_freshness(settings: Settings, current: tuple[Path, Manifest] | None = None) -> Freshness:
    """Is the index there, readable, and built from these sources with this model and chunking?

    `current` is `read_current(settings.index)` when the caller has read it already."""
    check_folder(settings.sources)
    try:
        current = current or read_current(settings.index)
    except IndexMissingError:
        return Freshness("missing", [f"no index in {settings.index}"])
    except IndexCorruptError as error:
        return Freshness("corrupt", [str(error)])
    reasons = stale_reasons(current[1], settings)
    return Freshness("stale" if reasons else "fresh", reasons, current)
