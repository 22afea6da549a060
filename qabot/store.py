"""Passages and documents on disk in a form that opens in constant time, whatever the corpus size.

Each string column is one UTF-8 blob plus an int64 offsets array, numbers are `.npy` arrays; all
are memory-mapped, nothing is parsed at open, and a `Passage` or a document's text becomes a
Python object only when a row is asked for. Only the documents' metadata (no texts) is JSON.
Past 250 lines: the three column kinds (strings, arrays per row, matrix rows) share one way of
reading (`pread`, see `RowFile`) and belong together.
"""

from __future__ import annotations

import json
import mmap
import os
from functools import lru_cache
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np

from qabot.passages import Passage
from qabot.sources import Document, Section


class StringColumn:
    """Row `i` is `blob[offsets[i]:offsets[i + 1]]` decoded; `None` rows are kept as a flag."""

    def __init__(self, folder: Path, name: str) -> None:
        self.offsets = _mapped(folder / f"{name}.offsets.npy")
        self.missing = _mapped(folder / f"{name}.missing.npy")
        self.fd = os.open(folder / f"{name}.bin", os.O_RDONLY)  # read with pread: see RowFile

    def __del__(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)

    @staticmethod
    def write(folder: Path, name: str, strings: Sequence[str | None]) -> None:
        encoded = [(s or "").encode("utf-8") for s in strings]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        with open(folder / f"{name}.bin", "wb") as handle:
            for chunk in encoded:
                handle.write(chunk)
        np.save(folder / f"{name}.offsets.npy", offsets)
        np.save(folder / f"{name}.missing.npy", np.array([s is None for s in strings], dtype=bool))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def everything(self) -> list[str]:
        """Every row, the blob read in one go (a rebuild reusing a whole column); missing rows read as ""."""
        offsets = np.asarray(self.offsets).tolist()
        blob = os.pread(self.fd, offsets[-1], 0) if offsets else b""
        return [blob[start:end].decode("utf-8") for start, end in zip(offsets, offsets[1:])]

    def many(self, rows: np.ndarray) -> list[str]:
        """Several rows at once (offsets looked up together; a missing row reads as "")."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.offsets[rows].tolist(), self.offsets[rows + 1].tolist()
        return [os.pread(self.fd, end - start, start).decode("utf-8") for start, end in zip(starts, ends)]

    def __getitem__(self, row: int) -> str | None:
        if self.missing[row]:
            return None
        start = int(self.offsets[row])
        return os.pread(self.fd, int(self.offsets[row + 1]) - start, start).decode("utf-8")


class ArrayColumn:
    """Row `i` is a 1-D array of `dtype`: items `offsets[i]` to `offsets[i + 1]` of one binary file,
    read with `pread` (see RowFile)."""

    def __init__(self, folder: Path, name: str, dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.offsets = _mapped(folder / f"{name}.offsets.npy")
        self.fd = os.open(folder / f"{name}.bin", os.O_RDONLY)

    def __del__(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)

    @staticmethod
    def write(folder: Path, name: str, arrays: Iterable[np.ndarray], dtype) -> None:
        """Write the rows as they come (a million passages' arrays are never all held at once)."""
        dtype, sizes = np.dtype(dtype), [0]
        with open(folder / f"{name}.bin", "wb") as handle:
            for array in arrays:
                handle.write(np.ascontiguousarray(array, dtype=dtype).tobytes())
                sizes.append(len(array))
        np.save(folder / f"{name}.offsets.npy", np.cumsum(sizes, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> np.ndarray:
        first, last = int(self.offsets[row]), int(self.offsets[row + 1])
        size = self.dtype.itemsize
        return np.frombuffer(os.pread(self.fd, (last - first) * size, first * size), dtype=self.dtype)

    def everything(self) -> list[np.ndarray]:
        """Every row, the file read in one go (a rebuild reusing the whole column)."""
        offsets = np.asarray(self.offsets)
        if len(offsets) < 2:
            return []
        data = np.frombuffer(os.pread(self.fd, int(offsets[-1]) * self.dtype.itemsize, 0), dtype=self.dtype)
        return np.split(data, offsets[1:-1])


class PassageStore(Sequence[Passage]):
    """The passages of one generation by row; each `Passage` is built when it is read."""

    def __init__(self, folder: Path, source_names: list[str], sentence_offsets: np.ndarray) -> None:
        self.source_names = source_names
        self.sentence_offsets = sentence_offsets
        self.spans = _mapped(folder / "spans.npy")
        self.sources = _mapped(folder / "sources.npy")
        self.sentences = _mapped(folder / "sentences.npy")
        self._passage = lru_cache(maxsize=8192)(self._build)  # hot rows are read many times per question
        self.text = StringColumn(folder, "text")
        self.context = StringColumn(folder, "context")  # embed_text minus the text it ends with
        self.section = StringColumn(folder, "section")
        # each sentence's claim terms (qabot.corroboration); absent in indexes written before them
        self.claims = StringColumn(folder, "claim_terms") if (folder / "claim_terms.bin").is_file() else None
        # each passage's near-duplicate fingerprint (qabot.ranking.fingerprint); absent in older indexes
        self.fingerprints = ArrayColumn(folder, "fingerprints", np.int64) if (folder / "fingerprints.bin").is_file() else None

    @staticmethod
    def write(folder: Path, passages: Sequence[Passage], source_numbers: dict[str, int]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "spans.npy", np.array([(p.start, p.end) for p in passages], dtype=np.int64).reshape(-1, 2))
        np.save(folder / "sources.npy", np.array([source_numbers[p.source] for p in passages], dtype=np.int32))
        spans = [span for p in passages for span in p.sentences]
        np.save(folder / "sentences.npy", np.array(spans, dtype=np.int64).reshape(-1, 2))
        StringColumn.write(folder, "text", [p.text for p in passages])
        StringColumn.write(folder, "context", [_context(p) for p in passages])
        StringColumn.write(folder, "section", [p.section for p in passages])

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self._passage(row)

    def _build(self, row: int) -> Passage:
        text, context = self.text[row], self.context[row]
        first, last = int(self.sentence_offsets[row]), int(self.sentence_offsets[row + 1])
        start, end = self.spans[row]
        return Passage(
            source=self.source_names[int(self.sources[row])], start=int(start), end=int(end), section=self.section[row],
            text=text, embed_text=context[1:] if context.startswith("\x00") else context + text,
            sentences=tuple((int(a), int(b)) for a, b in self.sentences[first:last]),
        )

    def __iter__(self) -> Iterator[Passage]:
        for row in range(len(self)):
            yield self[row]

    def row_of(self, source: str, start: int, end: int) -> int | None:
        """The row of the passage citing `source[start:end]` (a vectorised scan, no Passage made)."""
        if source not in self.source_names:
            return None
        number = self.source_names.index(source)
        rows = np.flatnonzero((self.sources == number) & (self.spans[:, 0] == start) & (self.spans[:, 1] == end))
        return int(rows[0]) if rows.size else None


def _context(passage: Passage) -> str:
    """What `embed_text` adds before the text; a whole embed_text not ending with the text is marked."""
    if passage.embed_text.endswith(passage.text):
        return passage.embed_text[: len(passage.embed_text) - len(passage.text)]
    return "\x00" + passage.embed_text


class DocumentStore(Mapping[str, Document]):
    """Documents by source name, in the order they were written; a text is read when asked for."""

    def __init__(self, folder: Path) -> None:
        self.metadata = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        self.numbers = {entry["source"]: number for number, entry in enumerate(self.metadata)}
        self.texts = StringColumn(folder, "document_text")
        self._document = lru_cache(maxsize=64)(self._build)  # a document is read once per excerpt shown

    @staticmethod
    def write(folder: Path, documents: Sequence[Document]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        metadata = [_metadata(d) for d in documents]
        (folder / "documents.json").write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        StringColumn.write(folder, "document_text", [d.text for d in documents])

    def __len__(self) -> int:
        return len(self.metadata)

    def __iter__(self) -> Iterator[str]:
        return iter(self.numbers)

    def __contains__(self, source: object) -> bool:
        return source in self.numbers

    def __getitem__(self, source: str) -> Document:
        return self._document(self.numbers[source])

    def _build(self, number: int) -> Document:
        data = self.metadata[number]
        return Document(
            source=data["source"], text=self.texts[number] or "", content_hash=data["content_hash"], title=data.get("title"),
            author=data.get("author"), date=data.get("date"),
            sections=tuple(Section(**s) for s in data.get("sections", ())), pages=tuple(data.get("pages", ())),
        )


def _metadata(document: Document) -> dict:
    """A document's fields but its text, as JSON data (`asdict` without its deep copies: 10,000 documents
    are written in ~0.1 s, not 4 s)."""
    data = {f.name: getattr(document, f.name) for f in fields(Document) if f.name != "text"}
    return {**data, "sections": [vars(s).copy() for s in document.sections], "pages": list(document.pages)}


def _mapped(path: Path) -> np.ndarray:
    """A memory-mapped array as a plain ndarray view: same pages, without memmap's per-item overhead."""
    return map_array(path)


def map_array(path: Path) -> np.ndarray:
    """A read-only memory-mapped `.npy` array, the kernel told that access is random."""
    with open(path, "rb") as handle:
        shape, fortran, dtype = _header(handle)
        offset = handle.tell()
        size = handle.seek(0, 2)
        if size == offset or not np.prod(shape):
            return np.zeros(shape, dtype=dtype)
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    _random_access(mapped)
    array = np.frombuffer(mapped, dtype=dtype, count=int(np.prod(shape)), offset=offset)
    return array.reshape(shape, order="F" if fortran else "C")


def _header(handle) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(handle)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(handle)


def _random_access(mapped: mmap.mmap) -> None:
    if hasattr(mmap, "MADV_RANDOM"):  # POSIX only
        mapped.madvise(mmap.MADV_RANDOM)


class RowFile:
    """Rows of a C-ordered `.npy` matrix (or items of a vector) read with `pread`, for the few a
    question needs.

    Memory-mapped reads map whole page-cache folios (up to 2 MB) into the process: a few hundred
    random rows of a vector file made the resident set grow by hundreds of MB per question, up to
    the file's size. Read with `pread`, the rows cost their bytes and the page cache stays the
    kernel's."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            self.shape, fortran, self.dtype = _header(handle)
            self.offset = handle.tell()
        if fortran or len(self.shape) not in (1, 2):
            raise ValueError(f"{path.name}: expected a C-ordered vector or matrix")
        self.row_shape = self.shape[1:]
        self.row_bytes = int(np.prod(self.row_shape)) * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)

    def __del__(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)

    def __len__(self) -> int:
        return self.shape[0]

    def span(self, first: int, last: int) -> np.ndarray:
        """Rows first..last-1 (one read)."""
        data = os.pread(self.fd, (last - first) * self.row_bytes, self.offset + first * self.row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(last - first, *self.row_shape)

    def spans(self, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
        """The rows of every [first, last) range, in order, as one matrix: each range read straight
        into its place (half the time of an array per range joined after; a question reads ~1,000)."""
        firsts, lasts = np.asarray(firsts, dtype=np.int64), np.asarray(lasts, dtype=np.int64)
        counts = np.maximum(lasts - firsts, 0)
        result = np.empty((int(counts.sum()), *self.row_shape), dtype=self.dtype)
        if not result.size:
            return result
        view, size, at = memoryview(result).cast("B"), self.row_bytes, 0
        for first, count in zip(firsts.tolist(), counts.tolist()):
            if count:
                wanted = count * size
                if os.preadv(self.fd, [view[at : at + wanted]], self.offset + first * size) != wanted:
                    raise ValueError(f"rows {first}..{first + count - 1} lie past the end of the file")
                at += wanted
        return result

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The given rows, in the given order."""
        rows = np.asarray(rows, dtype=np.int64)
        return self.spans(rows, rows + 1)
