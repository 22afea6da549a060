"""PDF: text per page (pypdf) joined with blank lines; `pages` holds where each page starts.

Offsets point into this extracted text (stored in the index and shown by `qabot show`); the page
of an excerpt is the page where it starts.
"""

from __future__ import annotations

from pathlib import Path

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


def read_pdf(path: Path) -> ExtractedText:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise ValueError("encrypted PDF (needs a password)") from None
        page_texts = [(page.extract_text() or "").strip() for page in reader.pages]
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
