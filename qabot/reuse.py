"""What a build reuses from the generation before it: documents, passages, vectors, term counts.

Read from disk column by column (one copy of each vector array, rows as views), or kept in memory
by `BuildMemory` between the rebuilds of one process (`qabot index --watch`), so a one-file rebuild
in a big folder does not parse the whole previous generation again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qabot.errors import IndexCorruptError, IndexMissingError
from qabot.generation import PassageRecord
from qabot.index import Index
from qabot.manifest import Manifest, current_name
from qabot.passages import Passage
from qabot.settings import Settings
from qabot.sources import Document
from qabot.term_counts import TermCounts


@dataclass
class Previous:
    """What the current generation offers for reuse (empty when it is missing or built otherwise)."""

    files: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    records: dict[str, list[PassageRecord]] = field(default_factory=dict)
    sources_manifest_hash: str | None = None
    read_limits: dict | None = None
    counts: TermCounts | None = None  # the passages' term counts (BM25 without tokenizing them again)
    folder: Path | None = None  # the generation itself (its trained IVF indexes, see `write_generation`)


class BuildMemory:
    """What the last build of this process wrote, kept for the next one (`qabot index --watch`):
    while `CURRENT` still names that generation, a rebuild reuses it instead of reading it back."""

    def __init__(self) -> None:
        self.generation: str | None = None
        self.config: dict | None = None
        self.previous = Previous()

    def recall(self, settings: Settings, config: dict) -> Previous | None:
        if self.generation is None or self.config != config or current_name(settings.index) != self.generation:
            return None
        return self.previous

    def remember(self, generation: str, config: dict, previous: Previous) -> None:
        self.generation, self.config, self.previous = generation, config, previous

    def load(self, settings: Settings, config: dict) -> None:
        """Read the current generation now (before any edit), so the first rebuild is quick too."""
        generation = current_name(settings.index)
        previous = previous_generation(settings, config)
        if generation is not None and previous.files:
            self.remember(generation, config, previous)


def previous_generation(settings: Settings, config: dict) -> Previous:
    """Documents, passages and vectors of the current generation when its config matches.

    Read column by column (one copy of each vector array, rows as views), not row by row: in a big
    folder this is most of what a one-file rebuild reads."""
    try:
        old = Index.open(settings.index)
    except (IndexMissingError, IndexCorruptError):
        return Previous()
    if old.manifest.config != config:
        return Previous()
    documents = dict(old.documents.items())  # each text read once, shared by its passages
    vectors, sentence_vectors = np.array(old.vectors), np.array(old.sentence_vectors)
    offsets = np.asarray(old.sentence_offsets).tolist()
    claims = old.passages.claims.everything() if old.passages.claims is not None else None
    fingerprints = old.passages.fingerprints.everything() if old.passages.fingerprints is not None else None
    scores = old.low_content_scores()
    records: dict[str, list[PassageRecord]] = {}
    for row, passage in enumerate(_stored_passages(old)):
        sentences = sentence_vectors[offsets[row] : offsets[row + 1]]
        record = PassageRecord(passage, documents[passage.source], vectors[row], sentences, previous_row=row,
                               claims=claims[offsets[row] : offsets[row + 1]] if claims is not None else None,
                               fingerprint=fingerprints[row] if fingerprints is not None else None,
                               low_content=scores[row] if scores is not None else None)
        records.setdefault(passage.source, []).append(record)
    counts = TermCounts.load(old.folder / "bm25" / "counts")
    return Previous(
        old.manifest.files, documents, records, old.manifest.sources_manifest_hash, old.manifest.read_limits,
        counts if counts is not None and len(counts) == len(old.passages) else None, old.folder,
    )


def written(manifest: Manifest, records: list[PassageRecord], counts: TermCounts, folder: Path) -> Previous:
    """The generation just written (in `folder`), as the next build would read it back."""
    grouped: dict[str, list[PassageRecord]] = {}
    documents = {}
    for row, record in enumerate(records):
        record.previous_row = row
        grouped.setdefault(record.passage.source, []).append(record)
        documents[record.passage.source] = record.document
    return Previous(manifest.files, documents, grouped, manifest.sources_manifest_hash, manifest.read_limits, counts, folder)


def _stored_passages(index: Index) -> Iterator[Passage]:
    """Every passage of a generation, its columns converted to Python in bulk."""
    store = index.passages
    spans, sources = store.spans.tolist(), store.sources.tolist()
    sentences, offsets = store.sentences.tolist(), np.asarray(index.sentence_offsets).tolist()
    for row, ((start, end), source) in enumerate(zip(spans, sources)):
        text, context = store.text[row] or "", store.context[row] or ""
        yield Passage(
            source=index.source_names[source], start=start, end=end, section=store.section[row], text=text,
            embed_text=context[1:] if context.startswith("\x00") else context + text,
            sentences=tuple(map(tuple, sentences[offsets[row] : offsets[row + 1]])),
        )


def remembered(memory: BuildMemory | None, settings: Settings, config: dict) -> Previous:
    """The previous generation, from `memory` when it holds the current one, else read from disk."""
    return (memory.recall(settings, config) if memory is not None else None) or previous_generation(settings, config)
