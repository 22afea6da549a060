"""What a citation points at: the stored text of a source between two offsets, to verify a quote.

For txt/md the stored text is the file itself; for html/pdf it is the extracted text, which only
the index holds — so this reads the index, never the file, and says when the file has changed since.
"""

from __future__ import annotations

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
    from qabot.sources import hash_bytes

    index = Index.open(settings.index)
    name = index.resolve(source)
    document = index.document(name)
    size = len(document.text)
    if start < 0 or end > size or start >= end:
        raise BadOffsetsError(
            f"offsets [{start}:{end}] are not a range inside {name}, whose stored text has {size} characters"
        )
    context = max(0, context)
    path = Path(settings.sources) / name
    try:
        changed = hash_bytes(path.read_bytes()) != document.content_hash
    except OSError:
        changed = True
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
        changed_since_indexing=changed,
    )


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
