"""Markdown: the file itself stays the text (offsets point into it); front matter gives metadata."""

from __future__ import annotations

import re
from pathlib import Path

from qabot.scan import ReadLimits
from qabot.sources import ExtractedText, guess_title, read_text_file

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<body>.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_FIELD = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$", re.M)
_FIELDS = {"title": "title", "author": "author", "authors": "author", "date": "date"}


def front_matter(text: str) -> dict[str, str]:
    """The title/author/date of a leading `---` block of `key: value` lines (a YAML subset)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    found: dict[str, str] = {}
    for field in _FIELD.finditer(match.group("body")):
        key = _FIELDS.get(field.group("key").lower())
        value = field.group("value").strip().strip("\"'").strip()
        if key and value and key not in found:
            found[key] = value.strip("[]").strip() if key == "author" else value
    return found


def read_markdown(path: Path, limits: ReadLimits = ReadLimits()) -> ExtractedText:
    """Headings become sections (found in the whole file); front matter overrides guessed metadata."""
    extracted = read_text_file(path, limits)
    meta = front_matter(extracted.text)
    block = _FRONT_MATTER.match(extracted.text)
    title = meta.get("title") or (guess_title(extracted.text[block.end():]) if block else extracted.title)
    return ExtractedText(
        text=extracted.text,
        title=title,
        author=meta.get("author") or extracted.author,
        date=meta.get("date"),
        sections=extracted.sections,
    )
