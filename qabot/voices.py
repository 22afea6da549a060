"""How a document describes its voices: the line introducing each Q&A speaker ("Name, professor at
X (Country):") and the author note ("Name is a Senior Lecturer at Y").

Questions often name a voice by role or affiliation ("the professor at X") rather than by name;
the passages the voice speaks in rarely say it. The description goes into those passages'
retrieval context, and a question sharing its words lifts that voice (see `qabot.retrieval`).
"""

from __future__ import annotations

import re

from qabot.display import normalise

_SPEAKER_LINE = re.compile(
    r"^(?P<name>[A-Z][\w'’.\-]+(?:[ \t]+[A-Z][\w'’.\-]+){1,3}),[ \t]+(?P<role>[^\n]{3,250}):[ \t]*$", re.M
)


def _author_names(author: str | None) -> list[str]:
    if not author:
        return []
    return [n.strip() for n in re.split(r",| and | & ", author) if len(n.strip().split()) >= 2]


def voice_descriptions(text: str, author: str | None) -> dict[str, str]:
    """Name → how the document introduces that voice (role, affiliation), for speakers and authors."""
    found: dict[str, str] = {}
    for match in _SPEAKER_LINE.finditer(text):
        found.setdefault(match.group("name"), normalise(match.group("role")))
    for name in _author_names(author):
        note = re.search(re.escape(name) + r",? (?:is|was) (?:an? |the )?([^.\n]{5,200})", text) or re.search(
            re.escape(name) + r"(?:,? (?:PhD|Ph\.D\.|MA|MSc))?(?:, |[ \t]*\n\s*)([A-Z][^\n]{5,200})$", text, re.M
        )  # an author note ("Name is a lecturer at X") or a byline ("Name" then "PhD, Lecturer, X")
        if note and name not in note.group(1):  # "Name" then "Copyright © Name" describes nothing
            found.setdefault(name, normalise(note.group(1)))
    return found


def describe(label: str | None, descriptions: dict[str, str]) -> str | None:
    """The voice label with its description appended, if the document gives one."""
    if not label:
        return label
    role = descriptions.get(label)
    return f"{label}, {role}" if role else label
