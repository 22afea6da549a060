"""Answers and replies → what people read (plain text or a rich terminal) and JSON for machines.

One layout serves both terminal forms: a reply becomes lines of styled segments, which
`as_text` joins without styles and `as_rich` turns into rich `Text`. Length limits live here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace

from qabot.answer import Answer, Excerpt

NOT_COVERED = "The sources don't seem to cover this."
NEAREST_HINT = "Type :nearest to see the closest passages anyway."
MORE_HINT = "(more: Enter or :more)"
NO_VOICE = "No voice clearly addresses this."

Segment = tuple[str, str | None]  # (text, rich style or None)
Line = list[Segment]

_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, invisible formatting (bidi), surrogates, line breaks
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_source_name(name: str) -> str:
    """A file name (or any one-line label or message) fit to print on one line in any frontend.

    File names may hold newlines, terminal escape sequences, bidi overrides or undecodable bytes;
    each such character is shown escaped (`\\n`, `\\x1b`, `\\u202e`, `\\udcff`), everything else as is.
    """
    if name.isprintable():
        return name
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in name)


def json_line(data) -> str:
    """One line of JSON, readable non-ASCII kept, and safe for line-by-line readers: the characters
    some of them split lines at (U+2028, U+2029, C1 controls) and lone surrogates are `\\u` escapes."""
    text = json.dumps(data, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def citation(excerpt) -> str:
    """One line that lets a reader find the quote: who, where in the document, which characters.

    Works for anything cited (an Excerpt, a `qabot show` span): a `date` is shown when it has one.
    """
    parts = [part for part in (excerpt.title, excerpt.author, getattr(excerpt, "date", None)) if part]
    if excerpt.section:
        parts.append(f"§ {excerpt.section}")
    if excerpt.page:
        parts.append(f"p. {excerpt.page}")
    parts.append(f"{excerpt.source} [{excerpt.start}:{excerpt.end}]")
    return safe_source_name(" · ".join(parts))


def highlighted_parts(excerpt: Excerpt) -> list[tuple[str, bool]]:
    """The excerpt text split into (piece, is_highlight) so each frontend can mark the best sentence."""
    text, highlight = excerpt.text, excerpt.highlight
    if highlight is None or not 0 <= highlight.text_start < highlight.text_end <= len(text):
        return [(text, False)]
    pieces = [
        (text[: highlight.text_start], False),
        (text[highlight.text_start : highlight.text_end], True),
        (text[highlight.text_end :], False),
    ]
    return [(piece, bold) for piece, bold in pieces if piece]


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary to at most `limit` characters, marking the cut with '…'."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------ the layout


def also_text(excerpt: Excerpt) -> str | None:
    """"also in: …" — the other sources stating the same claim, by voice and citation."""
    if not excerpt.also:
        return None
    return safe_source_name("also in: " + "; ".join(
        f"{a.voice + ', ' if a.voice else ''}{a.source} [{a.start}:{a.end}]" for a in excerpt.also
    ))


def excerpt_lines(excerpt: Excerpt, heading: str | None = None) -> list[Line]:
    """The numbered quote (best sentence bold), its citation, "also in: …", a blank line."""
    quote: Line = [(f"{excerpt.rank}. ", None)] + ([(f"{safe_source_name(heading)}: ", "bold cyan")] if heading else [])
    quote += [(piece, "bold" if bold else None) for piece, bold in highlighted_parts(excerpt)]
    lines = [quote, [(f"   — {citation(excerpt)}", "dim")]]
    also = also_text(excerpt)
    if also:
        lines.append([(f"   {also}", "green")])
    return lines + [[]]


def perspectives_lines(perspectives) -> list[Line]:
    """Each addressing voice's best excerpt, headed by the voice, then the voices that seem silent."""
    lines: list[Line] = [[(f"Perspectives on: {perspectives.answer.question}", "bold")], []]
    for perspective in perspectives.perspectives:
        lines += excerpt_lines(perspective.excerpt, heading=perspective.voice)
    if not perspectives.perspectives:
        lines += [[(NOT_COVERED if perspectives.answer.abstained else NO_VOICE, "yellow")], []]
    if perspectives.not_addressed:
        lines.append([(safe_source_name("Seem not to address it: " + ", ".join(perspectives.not_addressed)), "dim")])
    return lines


def answer_lines(answer: Answer, shown: tuple[Excerpt, ...] | None = None) -> list[Line]:
    """An answer of `qabot ask`: the excerpts, or the abstention followed by the closest ones."""
    shown = answer.excerpts if shown is None else shown
    lines: list[Line] = []
    if answer.abstained:
        lines.append([(NOT_COVERED, "bold yellow")])
        if shown:
            lines += [[("Closest passages anyway:", "yellow")], []]
    for excerpt in shown:
        lines += excerpt_lines(excerpt)
    if not shown and not answer.abstained:
        lines.append([("No passage matched.", None)])
    return lines


def follow_up_lines(reply) -> list[Line]:
    """How a follow-up was read: the question it leans on, and the question with its references resolved."""
    follow_up = reply.page.follow_up
    if follow_up is None:
        return []
    also = ", and on its own" if follow_up.lean < 1 else ""
    lines = [[(f"(read as a follow-up to: {follow_up.context}{also})", "italic dim")]]
    if reply.read_as:
        lines.append([(f"(read as: {reply.read_as})", "italic dim")])
    return lines


def reply_lines(reply) -> list[Line]:
    """Every conversation reply as lines (REPL, pipes, logs)."""
    from qabot import chat
    from qabot import conversation as c

    if isinstance(reply, c.AnswerReply):
        lines: list[Line] = []
        lines += follow_up_lines(reply)
        if reply.answer.abstained and not reply.nearest:
            return lines + [[(NOT_COVERED, "bold yellow")], [(NEAREST_HINT, "yellow")]]
        if reply.nearest:
            lines.append([("Closest passages (the sources may not answer this):", "yellow")])
        lines += [line for e in reply.shown for line in excerpt_lines(e)]
        if reply.next_page:
            lines.append([(MORE_HINT, "dim")])
        return lines
    if isinstance(reply, c.PerspectivesReply):
        return perspectives_lines(reply.perspectives)
    if isinstance(reply, c.AlsoReply):
        if not reply.passages:
            return [[(f"No other source states a claim of excerpt {reply.excerpt.rank}.", "cyan")]]
        lines = [[(f"Also said, of excerpt {reply.excerpt.rank}:", "bold")], []]
        for number, passage in enumerate(reply.passages, 1):
            lines += excerpt_lines(replace(passage, rank=number))
        return lines
    if isinstance(reply, c.ContextReply):
        excerpt = reply.excerpt
        return [
            [(f"{excerpt.rank}. …{reply.before} ", None), (excerpt.text, "bold"), (f" {reply.after}…", None)],
            [(f"   — {citation(excerpt)}", "dim")],
        ]
    if isinstance(reply, c.SourcesReply):
        return [
            [(safe_source_name(f"{'*' if s.source == reply.active else ' '} {s.source}: {s.title or '(untitled)'}"
                               f"{f' — {s.author}' if s.author else ''} ({s.passages} passages)"), None)]
            for s in reply.sources
        ]
    if isinstance(reply, chat.HelpReply):
        width = max(len(name) for name in reply.commands)
        return [[("Ask a question in your own words, or:", None)]] + [
            [(f"  {name:<{width}}  {text}", None)] for name, text in reply.commands.items()
        ]
    if isinstance(reply, c.MessageReply):
        return [[(("error: " if reply.error else "") + safe_source_name(reply.text), "red" if reply.error else "cyan")]]
    return []


# ------------------------------------------------------------------------------------ forms


def as_text(lines: list[Line]) -> str:
    """Plain text: the segments joined, styles dropped; always ends with one newline."""
    return "\n".join("".join(text for text, _ in line) for line in lines).rstrip() + "\n"


def as_rich(lines: list[Line]):
    """Rich renderables with the segments' styles."""
    from rich.console import Group
    from rich.text import Text

    rendered = []
    for line in lines:
        text = Text()
        for piece, style in line:
            text.append(piece, style=style)
        rendered.append(text)
    return Group(*rendered)


def answer_as_text(answer: Answer) -> str:
    return as_text(answer_lines(answer))


def answer_as_rich(answer: Answer):
    return as_rich(answer_lines(answer))


def answer_as_json(answer: Answer) -> str:
    return json_line(answer.to_dict())


def reply_as_text(reply) -> str:
    return as_text(reply_lines(reply))


def reply_as_rich(reply):
    return as_rich(reply_lines(reply))
