"""Display normalisation with offsets: what a user sees of the verbatim source text.

Whitespace is joined, hyphenated line breaks and markdown emphasis, links and escapes are mended,
and every character of the result keeps the offset it came from, so quotes stay checkable.
"""

from __future__ import annotations

import re

_DISPLAY_RULES = re.compile(
    r"""
     (?P<hyphen>(?<=[^\W\d_])-[ \t]*\r?\n\s*(?=[a-z]))          # hyphenated line break: joined
    |(?P<link>\[(?P<linktext>[^\]\n]*)\]\([^)\s]*\))             # markdown link: its text kept
    |(?P<escape>\\(?=[\\`*_{}\[\]()\#+\-.!|]))                   # markdown escape: dropped
    |(?P<emphasis>\*\*|__|(?<![\w*])\*(?=[^\s*])|(?<=[^\s*])\*(?![\w*])|</?(?:b|i|em|strong)>)
    |(?P<heading>^[ \t]{0,3}\#{1,6}[ \t]+)                        # heading marks: dropped
    |(?P<quote>^[ \t]*>[ \t]?)                                   # block quote marks: dropped
    |(?P<space>\s+)                                              # any whitespace: one space
    """,
    re.X | re.M,
)


def clean_with_offsets(raw: str, base: int = 0) -> tuple[str, list[int]]:
    """Display-normalise `raw`; `offsets[i]` is the index in the raw text of clean character i."""
    chars: list[str] = []
    offsets: list[int] = []
    position = 0

    def keep(start: int, end: int) -> None:
        chars.append(raw[start:end])
        offsets.extend(range(base + start, base + end))

    for match in _DISPLAY_RULES.finditer(raw):
        keep(position, match.start())
        position = match.end()
        if match.group("space") is not None:
            if chars and not chars[-1].endswith(" "):
                chars.append(" ")
                offsets.append(base + match.start())
        elif match.group("link") is not None:
            keep(match.start("linktext"), match.end("linktext"))
    keep(position, len(raw))
    text = "".join(chars)
    # strip leading/trailing blanks, keeping offsets aligned
    lead = len(text) - len(text.lstrip(" "))
    trail = len(text.rstrip(" "))
    return text[lead:trail], offsets[lead:trail]


def normalise(raw: str) -> str:
    """What a user sees of `raw`: the display normalisation of the verbatim source text."""
    return clean_with_offsets(raw)[0]


_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_WORD = re.compile(r"\w+")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of non-blank lines."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def words(text: str) -> list[str]:
    """The lower-case words of a text, in order: what duplicate detection compares."""
    return _WORD.findall(text.lower())


def display_span(raw: str, start: int, end: int) -> tuple[int, int]:
    """Where raw[start:end] lies in `normalise(raw)`: offsets into the display text.

    Highlights are kept as raw offsets (checkable against the file) and as display offsets, so a
    frontend marks the best sentence without searching for it."""
    _, offsets = clean_with_offsets(raw)
    first = next((i for i, at in enumerate(offsets) if at >= start), len(offsets))
    last = next((i for i in range(len(offsets) - 1, -1, -1) if offsets[i] < end), first - 1)
    return first, max(first, last + 1)
