"""PDF: text per page (pypdf) joined with blank lines; `pages` holds where each page starts.

Offsets point into this extracted text (stored in the index and shown by `qabot show`); the page
of an excerpt is the page where it starts. A PDF with more pages than `max_pdf_pages` is refused
before any text is extracted, and extraction stops once the text passes `max_extracted_chars`
(compressed streams can hold far more text than the file's size suggests).
"""

from __future__ import annotations

import io
from pathlib import Path

from qabot.scan import ReadLimits, read_capped
from qabot.sources import ExtractedText, find_sections

PAGE_BREAK = "\n\n"


def _info(value) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _pdf_date(value) -> str | None:
    """'D:20240131120000Z' → '2024-01-31'; anything else as given."""
    text = _info(value)
    if text and text.startswith("D:") and len(text) >= 10 and text[2:10].isdigit():
        return f"{text[2:6]}-{text[6:8]}-{text[8:10]}"
    return text


def _page_texts(reader, limits: ReadLimits) -> list[str]:
    """Each page's text, refusing a PDF over the page or extracted-text limits."""
    count = len(reader.pages)
    if count > limits.max_pdf_pages:
        raise ValueError(f"too many pages: {count} (the limit is {limits.max_pdf_pages}, setting reading.max_pdf_pages)")
    texts, total = [], 0
    for page in reader.pages:
        texts.append((page.extract_text() or "").strip())
        total += len(texts[-1])
        if total > limits.max_extracted_chars:
            raise ValueError(
                f"extracted text longer than {limits.max_extracted_chars:,} characters (setting reading.max_extracted_chars)"
            )
    return texts


def read_pdf(path: Path, limits: ReadLimits = ReadLimits()) -> ExtractedText:
    from pypdf import PdfReader

    data = read_capped(path, limits.max_file_bytes)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise ValueError("encrypted PDF (needs a password)") from None
        page_texts = _page_texts(reader, limits)
        info = reader.metadata or {}
    except ValueError:
        raise
    except Exception as error:  # pypdf raises many kinds on damaged files (PdfReadError, KeyError, …)
        raise ValueError(f"unreadable PDF ({type(error).__name__}: {error})") from None
    starts: list[int] = []
    parts: list[str] = []
    position = 0
    for page_text in page_texts:
        if parts:
            position += len(PAGE_BREAK)
        starts.append(position)
        parts.append(page_text)
        position += len(page_text)
    text = PAGE_BREAK.join(parts)
    if not text.strip():
        raise ValueError("no extractable text (scanned PDF?)")
    return ExtractedText(
        text=text,
        title=_info(info.get("/Title")),
        author=_info(info.get("/Author")),
        date=_pdf_date(info.get("/CreationDate")),
        sections=tuple(find_sections(text)),
        pages=tuple(starts),
    )
