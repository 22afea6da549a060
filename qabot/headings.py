"""Which standalone lines of a plain-text document are headings.

Two shapes are common in plain text: a short capitalised line introducing a long paragraph
(articles), and an outline of numbered headings ("3.1. Foo", "Chapter 5. Bar", "A.2. Baz")
set less indented than the hard-wrapped, indented body (manuals rendered to text). In the
second shape a line indented like the body (a table caption, a command, a note label) is not a
heading, however short.
"""

from __future__ import annotations

import re
from collections import Counter

_OUTLINE_NUMBER = re.compile(r"^(?:(?:Chapter|Part|Section|Appendix)\s+)?(?:\d+|[A-Z])(?:\.\d+)*\.?\s+\S", re.I)


def indentation(block: str) -> int:
    return len(block) - len(block.lstrip())  # any blank, no-break spaces too


def body_indentation(blocks: list[str]) -> int:
    """The indentation most multi-line paragraphs start with: the body's margin."""
    margins = Counter(indentation(b) for b in blocks if b.count("\n") >= 1)
    return margins.most_common(1)[0][0] if margins else 0


def is_plain_heading(block: str, following: str, body_margin: int) -> bool:
    """A one-line block that reads as a heading: short, no final punctuation, and either set
    left of an indented body or a capitalised line introducing a long paragraph."""
    line = block.strip()
    if "\n" in line or not line or len(line) > 90 or line[-1] in ".,;:" or len(line.split()) > 12:
        return False
    if body_margin > 0:
        if indentation(block) >= body_margin:
            return False
        numbered = bool(_OUTLINE_NUMBER.match(line))  # "Chapter 2." may stand right above "2.1."
        return numbered or (line[0].isupper() and indentation(following) >= body_margin)
    words = line.split()
    return 2 <= len(words) and line[0].isupper() and ", " not in line and len(following) >= 200
