"""The index folder's layout: generation folders, the `CURRENT` pointer, and each one's manifest.

Each build writes a new generation folder `gen-*` and then points `CURRENT` at it with one atomic
rename, so a reader that reads `CURRENT` once and opens that folder sees one complete generation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qabot.errors import IndexCorruptError, IndexMissingError
from qabot.storage import atomic_write_text

POINTER = "CURRENT"
GENERATION_PREFIX = "gen-"


@dataclass(frozen=True)
class Manifest:
    """What a generation holds and what it was built from (`config` + file hashes decide freshness)."""

    qabot_version: str
    built_at: str
    config: dict[str, Any]  # everything besides the sources that decides the content (see freshness)
    dims: int
    sources_dir: str
    sources_manifest_hash: str | None
    files: dict[str, dict[str, Any]]  # source → size, mtime_ns, hash, title
    skipped: dict[str, dict[str, Any]]  # source → size, mtime_ns, hash, reason
    passages: int
    sentences: int
    vector_index: dict[str, Any] = field(default_factory=lambda: {"type": "flat"})
    sentence_index: dict[str, Any] | None = None  # only large corpora get a FAISS index over sentences
    query_encoder: str | None = None  # folder of the ONNX query encoder beside the generations
    read_limits: dict[str, Any] | None = None  # qabot.scan.ReadLimits: other limits read files differently

    @property
    def approximate(self) -> bool:
        """True when dense search is approximate (HNSW): retrieval then scores candidates only."""
        return self.vector_index.get("type", "flat") != "flat"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of one generation folder; unreadable or incomplete is IndexCorruptError."""
        try:
            data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise IndexCorruptError(f"the index in {folder.parent} is corrupt: manifest unreadable ({error})") from None

    def write(self, folder: Path) -> None:
        # vars, not asdict (no deep copy); no indent, which would force json's slow Python encoder
        (folder / "manifest.json").write_text(json.dumps(vars(self), ensure_ascii=False), encoding="utf-8")


def current_generation(index_dir: Path) -> Path:
    """The generation folder `CURRENT` names (read once: callers open everything from this folder)."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir}: run `qabot index` to build one") from None
    except (OSError, UnicodeDecodeError) as error:
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: {POINTER} unreadable ({error})") from None
    folder = index_dir / name
    if not name.startswith(GENERATION_PREFIX) or "/" in name or not folder.is_dir():
        raise IndexCorruptError(f"the index in {index_dir} is corrupt: {POINTER} names a missing generation")
    return folder


def current_name(index_dir: Path) -> str | None:
    """The generation `CURRENT` names now, or None: a cheap check for a new generation."""
    try:
        return (index_dir / POINTER).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def read_current(index_dir: Path) -> tuple[Path, Manifest]:
    """The generation folder `CURRENT` names and its manifest, read once: a cold question checks
    freshness, opens the index and its query encoder from this one reading (see `Index.open`)."""
    folder = current_generation(index_dir)
    return folder, Manifest.read(folder)


def switch_current(index_dir: Path, generation: Path) -> None:
    """Point `CURRENT` at `generation` with one atomic rename."""
    atomic_write_text(index_dir / POINTER, generation.name + "\n")
