"""What a citation points at: the stored text of a source between two offsets, to verify a quote.

For txt/md the stored text is the file itself; for html/pdf it is the extracted text, which only
the index holds — so this prints from the index, never from the file (which may have changed, or now
be a link out of the folder), and only hashes the file to say whether it changed since.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from qabot.errors import BadOffsetsError
from qabot.settings import Settings


@dataclass(frozen=True)
class CitedSpan:
    """`raw` is `Document.text[start:end]`; `text` its display normalisation; context is raw too."""

    source: str
    start: int
    end: int
    text: str
    raw: str
    before: str
    after: str
    title: str | None
    author: str | None
    date: str | None
    section: str | None
    page: int | None
    changed_since_indexing: bool

    def to_dict(self) -> dict:
        return asdict(self)


def show_span(settings: Settings, source: str, start: int, end: int, context: int = 0) -> CitedSpan:
    """The indexed text of `source` in [start, end) with `context` characters either side."""
    from qabot.display import normalise
    from qabot.index import Index

    index = Index.open(settings.index)
    name = index.resolve(source)
    document = index.document(name)
    size = len(document.text)
    if start < 0 or end > size or start >= end:
        raise BadOffsetsError(
            f"offsets [{start}:{end}] are not a range inside {name}, whose stored text has {size} characters"
        )
    context = max(0, context)
    return CitedSpan(
        source=name,
        start=start,
        end=end,
        text=normalise(document.text[start:end]),
        raw=document.text[start:end],
        before=document.text[max(0, start - context):start],
        after=document.text[end:end + context],
        title=document.title,
        author=document.author,
        date=document.date,
        section=document.section_at(start),
        page=document.page_at(start),
        changed_since_indexing=_changed_on_disk(Path(settings.sources) / name, document.content_hash),
    )


def _changed_on_disk(path: Path, content_hash: str) -> bool:
    """Hashed in blocks and only if it is a regular file: what is at the path now may be a pipe or huge."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return True
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() != content_hash
    except OSError:
        return True


def span_as_text(span: CitedSpan, raw: bool = False) -> str:
    """The quote (with any context around it, the quote itself marked »…«), then its citation."""
    from qabot.display import normalise

    tidy = (lambda text: text) if raw else normalise
    body = tidy(span.raw)
    if span.before or span.after:
        body = f"…{tidy(span.before)} »{body}« {tidy(span.after)}…"
    from qabot.render import citation

    lines = [body, f"   — {citation(span)}"]
    if span.changed_since_indexing:
        lines.append("   (the file has changed or gone since it was indexed: this is the indexed text)")
    return "\n".join(lines) + "\n"
