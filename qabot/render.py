"""Excerpts → text for people (plain or rich) and JSON for machines. Length limits live here."""

from __future__ import annotations

import json
import re
import unicodedata

from qabot.answer import Answer, Excerpt

NOT_COVERED = "The sources don't seem to cover this."
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


def citation(excerpt: Excerpt) -> str:
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
    return json_line(answer.to_dict())


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


NEAREST_HINT = "Type :nearest to see the closest passages anyway."


def reply_as_text(reply) -> str:
    """Plain text for a conversation reply (pipes, logs, scripts): no colour, no markup."""
    from qabot import conversation as c

    if isinstance(reply, c.AnswerReply):
        lines = []
        if reply.follows_up:
            lines.append(f"(read as a follow-up to: {reply.follows_up})")
        answer = reply.answer
        if answer.abstained and not reply.nearest:
            lines += [NOT_COVERED, NEAREST_HINT]
            return "\n".join(lines) + "\n"
        if reply.nearest:
            lines.append("Closest passages (the sources may not answer this):")
        shown = Answer(answer.question, False, answer.excerpts, answer.confidence, answer.offset, answer.total)
        lines.append(answer_as_text(shown).rstrip())
        if reply.more_hint:
            lines.append("(more: Enter or :more)")
        return "\n".join(lines) + "\n"
    if isinstance(reply, c.ContextReply):
        return (
            f"{reply.number}. …{reply.before} [{reply.excerpt.text}] {reply.after}…\n"
            f"   — {citation(reply.excerpt)}\n"
        )
    if isinstance(reply, c.SourcesReply):
        lines = []
        for source in reply.sources:
            mark = "*" if source["source"] == reply.active else " "
            who = f" — {source['author']}" if source["author"] else ""
            line = f"{mark} {source['source']}: {source['title'] or '(untitled)'}{who} ({source['passages']} passages)"
            lines.append(safe_source_name(line))
        return "\n".join(lines) + "\n"
    if isinstance(reply, c.HelpReply):
        width = max(len(name) for name in reply.commands)
        return "Ask a question in your own words, or:\n" + "\n".join(
            f"  {name:<{width}}  {text}" for name, text in reply.commands.items()
        ) + "\n"
    if isinstance(reply, c.MessageReply):
        return ("error: " if reply.error else "") + safe_source_name(reply.text) + "\n"
    return ""


def reply_as_rich(reply):
    """Rich renderables for a terminal: best sentence bold, citations dim, errors red."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from qabot import conversation as c

    if isinstance(reply, c.AnswerReply):
        parts = []
        if reply.follows_up:
            parts.append(Text(f"(read as a follow-up to: {reply.follows_up})", style="italic dim"))
        answer = reply.answer
        if answer.abstained and not reply.nearest:
            return Group(*parts, Text(NOT_COVERED, style="bold yellow"), Text(NEAREST_HINT, style="yellow"))
        if reply.nearest:
            parts.append(Text("Closest passages (the sources may not answer this):", style="yellow"))
        parts.append(answer_as_rich(Answer(answer.question, False, answer.excerpts, answer.confidence, answer.offset, answer.total)))
        if reply.more_hint:
            parts.append(Text("(more: Enter or :more)", style="dim"))
        return Group(*parts)
    if isinstance(reply, c.ContextReply):
        text = Text(f"{reply.number}. …{reply.before} ")
        text.append(reply.excerpt.text, style="bold")
        text.append(f" {reply.after}…")
        return Group(text, Text(f"   — {citation(reply.excerpt)}", style="dim"))
    if isinstance(reply, c.SourcesReply):
        table = Table(show_header=True)
        for column in ("", "source", "title", "author", "passages"):
            table.add_column(column)
        for source in reply.sources:
            cells = (source["source"], source["title"] or "", source["author"] or "")
            table.add_row("*" if source["source"] == reply.active else "", *(Text(safe_source_name(c)) for c in cells),
                          str(source["passages"]))
        return table
    if isinstance(reply, c.MessageReply):
        return Text(safe_source_name(reply.text), style="red" if reply.error else "cyan")
    return Text(reply_as_text(reply).rstrip())
