"""Reading a folder of source files into `Document`s: text, metadata and section marks.

Offsets everywhere in qabot are character offsets into `Document.text`; for plain-text formats
(txt, md) that is the file exactly as read with UTF-8 (no newline translation), so a citation can be
checked with `open(path, encoding="utf-8", newline="").read()[start:end]`. For html and pdf it is
the extracted text, which the index stores and `qabot show` prints. Readers live in `qabot.readers`.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qabot.display import normalise, paragraph_spans
from qabot.errors import SourcesError
from qabot.headings import body_indentation, is_plain_heading
from qabot.scan import MANIFEST_NAME, ReadLimits, read_capped, scan_folder

TEXT_SUFFIXES = {".txt", ".text"}


@dataclass(frozen=True)
class Section:
    """A heading or a speaker turn that starts at `start` and runs to the next section."""

    start: int
    label: str
    kind: str = "heading"  # "heading" | "speaker" | "page"


@dataclass(frozen=True)
class Document:
    """One source file as text, with what is known about it."""

    source: str  # path relative to the sources folder, with forward slashes
    text: str
    content_hash: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sections: tuple[Section, ...] = ()
    pages: tuple[int, ...] = ()  # start offset of each page, for paged formats

    def section_at(self, offset: int) -> str | None:
        """The heading or speaker in force at `offset` (the last one starting at or before it)."""
        label = None
        for section in self.sections:
            if section.start > offset:
                break
            if section.kind != "page":
                label = section.label
        return label

    def page_at(self, offset: int) -> int | None:
        """1-based page number at `offset`, for paged formats."""
        if not self.pages:
            return None
        page = 0
        for number, start in enumerate(self.pages, 1):
            if start > offset:
                break
            page = number
        return page or 1


@dataclass
class SourceScan:
    """What reading a folder gave: the documents and the files passed over, with the reason."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ExtractedText:
    """What a reader returns for one file before metadata from the manifest is applied."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sections: tuple[Section, ...] = ()
    pages: tuple[int, ...] = ()


Reader = Callable[[Path, ReadLimits], ExtractedText]  # raises ValueError with the reason it cannot


def hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_text_file(path: Path, limits: ReadLimits = ReadLimits()) -> ExtractedText:
    """Plain text and markdown: the file itself is the text; headings and speakers are found in it."""
    data = read_capped(path, limits.max_file_bytes)
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start})") from None
    sections = tuple(find_sections(text))
    return ExtractedText(text=text, title=guess_title(text), author=guess_author(text), sections=sections)


def _deferred(module: str, name: str) -> Reader:
    """A reader imported on first use, so the heavy parsers load only when such a file is read."""

    def reader(path: Path, limits: ReadLimits = ReadLimits()) -> ExtractedText:
        return getattr(importlib.import_module(module), name)(path, limits)

    reader.__name__ = name
    return reader


READERS: dict[str, Reader] = {
    **{suffix: read_text_file for suffix in TEXT_SUFFIXES},
    ".md": _deferred("qabot.readers.markdown", "read_markdown"),
    ".markdown": _deferred("qabot.readers.markdown", "read_markdown"),
    ".html": _deferred("qabot.readers.html", "read_html"),
    ".htm": _deferred("qabot.readers.html", "read_html"),
    ".pdf": _deferred("qabot.readers.pdf", "read_pdf"),
}


_MD_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_SPEAKER_LINE = re.compile(
    r"^(?P<name>[A-Z][\w'’.\-]+(?:[ \t]+[A-Z][\w'’.\-]+){1,3}),[ \t]+[^\n]{3,250}:[ \t]*$", re.M
)
_AUTHOR_LINE = re.compile(r"^(?:By|Author:|Authors:)[ \t]+(?P<name>[^\n]{3,120})$", re.M)


def find_sections(text: str) -> list[Section]:
    """Markdown headings, Q&A speaker lines ("Name, affiliation:") and plain headings."""
    sections: list[Section] = []
    has_markdown_headings = _MD_HEADING.search(text) is not None
    speaker_names = {m.group("name") for m in _SPEAKER_LINE.finditer(text)}
    blocks = paragraph_spans(text)
    body_margin = body_indentation([text[start:end] for start, end in blocks])
    for index, (start, end) in enumerate(blocks):
        block = text[start:end]
        following = text[slice(*blocks[index + 1])] if index + 1 < len(blocks) else ""
        heading = _MD_HEADING.fullmatch(block.rstrip())  # an indented "# command" is not a heading
        speaker = _SPEAKER_LINE.fullmatch(block.strip())
        if heading and len(normalise(heading.group(2))) <= 120:
            sections.append(Section(start, normalise(heading.group(2)), "heading"))
        elif speaker or block.strip() in speaker_names:
            name = speaker.group("name") if speaker else block.strip()
            if not sections or sections[-1].label != name:
                sections.append(Section(start, name, "speaker"))
        elif (
            "\n" not in block.strip()
            and not speaker_names
            and not has_markdown_headings
            and is_plain_heading(block, following, body_margin)
        ):
            sections.append(Section(start, normalise(block.strip()), "heading"))
    return sections


def guess_title(text: str) -> str | None:
    """The first markdown heading, else the first short line: a fallback when no manifest names it."""
    heading = _MD_HEADING.search(text)
    if heading:
        return normalise(heading.group(2)) or None
    for line in text.splitlines():
        line = normalise(line)
        if 3 <= len(line) <= 150:
            return line
    return None


def guess_author(text: str) -> str | None:
    match = _AUTHOR_LINE.search(text[:5000])
    return normalise(match.group("name")) if match else None


def load_manifest(folder: Path) -> dict[str, dict]:
    """`sources.toml`: one table per file (its path relative to the folder) of title/author/date."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SourcesError(f"{path} is not valid TOML: {error}") from None
    return {str(key): value for key, value in data.items() if isinstance(value, dict)}


def source_files(folder: Path, limits: ReadLimits | None = None) -> list[Path]:
    """The files below `folder` that may be read (see `qabot.scan`), in a stable order."""
    return scan_folder(folder, limits).files


def check_folder(folder: Path) -> None:
    if not folder.exists():
        raise SourcesError(f"sources folder {folder} does not exist")
    if not folder.is_dir():
        raise SourcesError(f"sources folder {folder} is not a folder")


def read_document(
    path: Path, source: str, manifest_entry: dict | None = None, limits: ReadLimits | None = None
) -> Document:
    """Read one file with the reader for its suffix; raises ValueError when it cannot be read."""
    limits = limits or ReadLimits()
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ValueError(f"unsupported file type '{path.suffix or path.name}'")
    data = read_capped(path, limits.max_file_bytes)
    extracted = reader(path, limits)
    if not extracted.text.strip():
        raise ValueError("no text")
    meta = manifest_entry or {}
    return Document(
        source=source,
        text=extracted.text,
        content_hash=hash_bytes(data),
        title=str(meta["title"]) if meta.get("title") else extracted.title,
        author=str(meta["author"]) if meta.get("author") else extracted.author,
        date=str(meta["date"]) if meta.get("date") else extracted.date,
        sections=extracted.sections,
        pages=extracted.pages,
    )


def read_sources(folder: Path, limits: ReadLimits | None = None) -> SourceScan:
    """Read every supported file below `folder`; unreadable ones are skipped with the reason."""
    check_folder(folder)
    manifest = load_manifest(folder)
    found = scan_folder(folder, limits)
    scan = SourceScan(skipped=list(found.skipped))
    for path in found.files:
        source = path.relative_to(folder).as_posix()
        try:
            document = read_document(path, source, manifest.get(source), limits)
        except (ValueError, OSError) as error:
            scan.skipped.append((source, str(error)))
            continue
        scan.documents.append(document)
    if not scan.documents:
        reasons = "; ".join(f"{name}: {why}" for name, why in scan.skipped[:5])
        raise SourcesError(
            f"no readable documents in {folder}" + (f" (skipped {reasons})" if reasons else "")
        )
    return scan
