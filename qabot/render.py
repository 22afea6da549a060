"""Excerpts → text for people (plain or rich) and JSON for machines. Length limits live here."""

from __future__ import annotations

import json

from qabot.answer import Answer, Excerpt

NOT_COVERED = "The sources don't seem to cover this."


def citation(excerpt: Excerpt) -> str:
    """One line that lets a reader find the quote: who, where in the document, which characters."""
    parts = []
    if excerpt.title:
        parts.append(excerpt.title)
    if excerpt.author:
        parts.append(excerpt.author)
    if excerpt.section:
        parts.append(f"§ {excerpt.section}")
    if excerpt.page:
        parts.append(f"p. {excerpt.page}")
    parts.append(f"{excerpt.source} [{excerpt.start}:{excerpt.end}]")
    return " · ".join(parts)


def highlighted_parts(excerpt: Excerpt) -> list[tuple[str, bool]]:
    """The excerpt text split into (piece, is_highlight) so each frontend can mark the best sentence."""
    needle = excerpt.highlight_text
    at = excerpt.text.find(needle) if needle else -1
    if at < 0:
        return [(excerpt.text, False)]
    pieces = [(excerpt.text[:at], False), (needle, True), (excerpt.text[at + len(needle) :], False)]
    return [(piece, bold) for piece, bold in pieces if piece]


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary to at most `limit` characters, marking the cut with '…'."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


def answer_as_text(answer: Answer) -> str:
    """Plain text: numbered excerpts, each followed by its citation."""
    lines = []
    if answer.abstained:
        lines.append(NOT_COVERED)
        if answer.excerpts:
            lines.append("Closest passages anyway:")
        lines.append("")
    for number, excerpt in enumerate(answer.excerpts, answer.offset + 1):
        lines.append(f"{number}. {excerpt.text}")
        lines.append(f"   — {citation(excerpt)}")
        lines.append("")
    if not answer.excerpts and not answer.abstained:
        lines.append("No passage matched.")
    return "\n".join(lines).rstrip() + "\n"


def answer_as_json(answer: Answer) -> str:
    return json.dumps(answer.to_dict(), ensure_ascii=False)


def answer_as_rich(answer: Answer):
    """Rich renderables for a terminal: the best sentence bold, the citation dim under each excerpt."""
    from rich.console import Group
    from rich.text import Text

    parts = []
    if answer.abstained:
        parts.append(Text(NOT_COVERED, style="bold yellow"))
        if answer.excerpts:
            parts.append(Text("Closest passages anyway:", style="yellow"))
        parts.append(Text(""))
    for number, excerpt in enumerate(answer.excerpts, answer.offset + 1):
        line = Text(f"{number}. ")
        for piece, bold in highlighted_parts(excerpt):
            line.append(piece, style="bold" if bold else None)
        parts.append(line)
        parts.append(Text(f"   — {citation(excerpt)}", style="dim"))
        parts.append(Text(""))
    if not answer.excerpts and not answer.abstained:
        parts.append(Text("No passage matched."))
    return Group(*parts)
