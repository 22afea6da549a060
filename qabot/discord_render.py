"""Replies → Discord messages (content + embeds) that always fit Discord's limits.

Every Discord-specific limit and every cut lives here: a quote longer than its share of the
message is cut at a word with an ellipsis, keeping the best sentence in view, and its citation
(in the embed footer) is kept whole. Text from the sources or from users is escaped, so a quote
can neither format nor hide text, and mentions are broken so nobody could be pinged even if a
message were sent without the client's `allowed_mentions`. Every message shape the bot sends
(answers, perspectives, "also said by", context, sources, help) lives here with those limits, which
takes the module a little past 250 lines; split apart, the limits would be checked in two places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown, escape_mentions

from qabot.render import NO_VOICE, NOT_COVERED, citation, highlighted_parts, safe_source_name, shorten

CONTENT_CHARS = 2000
TITLE_CHARS = 256
DESCRIPTION_CHARS = 4096
FIELD_VALUE_CHARS = 1024
FOOTER_CHARS = 2048
EMBED_TOTAL_CHARS = 6000  # titles, descriptions, fields, footers and author names of all embeds together
EMBEDS_PER_MESSAGE = 10
BUTTON_ROWS = 5
BUTTONS_PER_ROW = 5
BUTTON_LABEL_CHARS = 80
THREAD_NAME_CHARS = 100
CHOICES = 25
CHOICE_CHARS = 100
QUESTION_ECHO_CHARS = 300

ANSWER_COLOUR = discord.Colour.blurple()
NEAREST_COLOUR = discord.Colour.gold()
NEAREST_HEADER = "Closest passages (the sources may not answer this):"
SORRY = "Sorry, something went wrong while answering. It has been logged; please try again."
NEAREST_HINT = "Press **Closest passages** to see the nearest passages anyway."


@dataclass
class Message:
    """What one Discord message carries: `send(**message.fields())`."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)

    def fields(self) -> dict:
        return {"content": self.content, "embeds": self.embeds}


def escape(text: str) -> str:
    """User or source text made inert: no markdown, no masked links, no working mentions."""
    return escape_mentions(escape_markdown(text))


def label(text: str, limit: int = TITLE_CHARS) -> str:
    """A document title or name for an embed title: one line, no control or bidi characters, inert."""
    plain, budget = safe_source_name(text), limit
    while len(marked := escape(shorten(plain, budget))) > limit:
        budget -= len(marked) - limit
    return marked


def shorten_start(text: str, limit: int) -> str:
    """Cut from the front at a word boundary to at most `limit` characters, marking the cut with '…'."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text.find(" ", len(text) - limit + 1)
    start = cut + 1 if 0 <= cut < len(text) - limit // 2 else len(text) - limit + 1
    return "…" + text[start:].lstrip()


def _shorten_end(text: str, limit: int) -> str:
    return text if len(text) <= limit else ("…"[:limit] if limit <= 1 else shorten(text, limit))


def _cut_around_highlight(parts: list[tuple[str, bool]], budget: int) -> list[tuple[str, bool]]:
    """Raw pieces cut to `budget` characters, dropping words far from the highlight first."""
    if sum(len(piece) for piece, _ in parts) <= budget:
        return parts
    at = next((i for i, (_, bold) in enumerate(parts) if bold), None)
    if at is None:
        return [(_shorten_end("".join(p for p, _ in parts), budget), False)]
    before, highlight, after = "".join(p for p, _ in parts[:at]), parts[at][0], "".join(p for p, _ in parts[at + 1 :])
    if len(highlight) >= budget - 2:
        return [(_shorten_end(highlight, budget), True)]
    room = budget - len(highlight)
    after_room = min(len(after), max(room - len(before), room // 2))
    cut = [(shorten_start(before, room - after_room), False), (highlight, True), (_shorten_end(after, after_room), False)]
    return [(piece, bold) for piece, bold in cut if piece]


def _markup(parts: list[tuple[str, bool]]) -> str:
    out = []
    for piece, bold in parts:
        text = escape(piece)
        if bold and text.strip():
            lead, core, tail = text[: len(text) - len(text.lstrip())], text.strip(), text[len(text.rstrip()) :]
            text = f"{lead}**{core}**{tail}"
        out.append(text)
    return "".join(out)


def quote_markup(parts: list[tuple[str, bool]], limit: int) -> str:
    """Escaped text with the highlighted piece in bold, at most `limit` characters once marked up."""
    budget = limit
    while True:
        text = _markup(_cut_around_highlight(parts, budget))
        if len(text) <= limit or budget <= 1:
            return text[:limit]
        budget -= max(len(text) - limit, 1)


def fit_citation(excerpt, limit: int = FOOTER_CHARS) -> str:
    """The citation, its title part shortened first so the file and character range always survive."""
    line = citation(excerpt)
    if len(line) <= limit:
        return line
    location = safe_source_name(f"{excerpt.source} [{excerpt.start}:{excerpt.end}]")
    head = line[: len(line) - len(location)].rstrip(" ·")
    return _shorten_end(head, max(limit - len(location) - 3, 1)) + " · " + location[-(limit - 4) :]


def excerpt_embeds(
    numbered: list[tuple[int, object]], colour: discord.Colour, heading=lambda excerpt: excerpt.title or excerpt.source,
) -> list[discord.Embed]:
    """One embed per excerpt (number. heading / quote / citation), all of them within 6,000 characters;
    the heading is the document's title unless `heading(excerpt)` says otherwise (a voice)."""
    numbered = numbered[:EMBEDS_PER_MESSAGE]
    heads = [(label(f"{n}. {heading(e)}"), fit_citation(e)) for n, e in numbered]
    overhead = sum(len(title) + len(footer) for title, footer in heads)
    if overhead > EMBED_TOTAL_CHARS // 2:  # absurdly long titles: give the quotes room first
        heads = [(label(f"{n}. {heading(e)}", 100), fit_citation(e, 400)) for n, e in numbered]
        overhead = sum(len(title) + len(footer) for title, footer in heads)
    share = min(DESCRIPTION_CHARS, (EMBED_TOTAL_CHARS - overhead) // max(len(numbered), 1))
    embeds = []
    for (title, footer), (_, excerpt) in zip(heads, numbered):
        embed = discord.Embed(title=title, description=quote_markup(highlighted_parts(excerpt), share), colour=colour)
        embeds.append(embed.set_footer(text=footer))
    return embeds


def numbered_excerpts(reply) -> list[tuple[int, object]]:
    """(number, excerpt) of what a reply shows: its rank, so numbers run on across pages."""
    return [(excerpt.rank, excerpt) for excerpt in reply.shown]


def answer_message(reply, question_echo: bool = True) -> Message:
    """An answer: the question echoed, a follow-up or abstention note, one embed per excerpt."""
    lines = []
    if question_echo:
        lines.append(f"**Q:** {escape(shorten(reply.answer.question, QUESTION_ECHO_CHARS))}")
    if reply.follows_up:
        lines.append(f"*(read as a follow-up to: {escape(shorten(reply.follows_up, QUESTION_ECHO_CHARS))})*")
    if reply.read_as:
        lines.append(f"*(read as: {escape(shorten(reply.read_as, QUESTION_ECHO_CHARS))})*")
    numbered = numbered_excerpts(reply)
    if reply.answer.abstained and not reply.nearest:
        lines += [NOT_COVERED, NEAREST_HINT if reply.answer.excerpts else ""]
    elif reply.nearest:
        lines.append(NEAREST_HEADER)
    elif not numbered:
        lines.append("No passage matched." if reply.page.offset == 0 else "No more excerpts for this question.")
    content = shorten("\n".join(line for line in lines if line), CONTENT_CHARS)
    return Message(content, excerpt_embeds(numbered, NEAREST_COLOUR if reply.nearest else ANSWER_COLOUR))


def perspectives_message(reply) -> Message:
    """Who says what: one embed per addressing voice (headed by the voice, best first, at most 10),
    and the voices that seem not to address the question named in the text."""
    perspectives = reply.perspectives
    lines = [f"**Perspectives on:** {escape(shorten(perspectives.answer.question, QUESTION_ECHO_CHARS))}"]
    shown = perspectives.perspectives[:EMBEDS_PER_MESSAGE]
    if not shown:
        lines.append(NOT_COVERED if perspectives.answer.abstained else NO_VOICE)
    elif len(perspectives.perspectives) > len(shown):
        lines.append(f"(the {len(shown)} strongest of {len(perspectives.perspectives)} voices)")
    if perspectives.not_addressed:
        lines.append(escape(safe_source_name("Seem not to address it: " + ", ".join(perspectives.not_addressed))))
    voices = {id(p.excerpt): p.voice for p in shown}
    numbered = [(p.excerpt.rank, p.excerpt) for p in shown]
    embeds = excerpt_embeds(numbered, ANSWER_COLOUR, heading=lambda excerpt: voices[id(excerpt)])
    return Message(shorten("\n".join(lines), CONTENT_CHARS), embeds)


def also_message(reply) -> Message:
    """The passages of other sources that state a claim of an excerpt, the matching sentence in bold,
    each headed by its voice."""
    number = reply.excerpt.rank
    if not reply.passages:
        return Message(f"No other source states a claim of excerpt {number}.")
    voices = {(a.source, a.start, a.end): a.voice for a in reply.excerpt.also}
    shown = reply.passages[:EMBEDS_PER_MESSAGE]
    embeds = excerpt_embeds(
        [(e.rank, e) for e in shown], ANSWER_COLOUR,
        heading=lambda e: voices.get((e.source, e.start, e.end)) or e.author or e.title or e.source,
    )
    return Message(f"**Also said by**, of excerpt {number}:", embeds)


def context_message(reply) -> Message:
    """An excerpt (bold) inside the text around it in its document, with its citation."""
    excerpt = reply.excerpt
    parts = [(f"…{reply.before} " if reply.before else "", False), (excerpt.text, True), (f" {reply.after}…" if reply.after else "", False)]
    embed = discord.Embed(
        title=label(f"Context · {excerpt.title or excerpt.source}"),
        description=quote_markup([p for p in parts if p[0]], DESCRIPTION_CHARS),
        colour=ANSWER_COLOUR,
    )
    return Message(None, [embed.set_footer(text=fit_citation(excerpt))])


def sources_message(reply) -> Message:
    """The indexed documents, one line each; the active `:source` filter marked."""
    lines = []
    for info in reply.sources:
        who = f" · {info.author}" if info.author else ""
        mark = "▶ " if info.source == reply.active else ""
        line = f"{mark}{info.source}: {info.title or '(untitled)'}{who} ({info.passages} passages)"
        lines.append(escape(safe_source_name(line)))
    description, shown = "", 0
    for line in lines:
        rest = f"\n… and {len(lines) - shown} more"
        if len(description) + len(line) + 1 + len(rest) > DESCRIPTION_CHARS:
            description += rest
            break
        description, shown = f"{description}\n{line}" if description else line, shown + 1
    embed = discord.Embed(title=f"Documents ({len(lines)})", description=description or "No documents.", colour=ANSWER_COLOUR)
    return Message(None, [embed])


def help_message(commands: dict[str, str]) -> Message:
    lines = ["Ask in your own words; in this thread, follow-ups are read with the earlier questions."]
    lines += [f"`{name}` — {escape(text)}" for name, text in commands.items() if name != ":quit"]
    return Message(None, [discord.Embed(title="Commands", description=shorten("\n".join(lines), DESCRIPTION_CHARS))])


def text_message(text: str, error: bool = False) -> Message:
    return Message(shorten(("⚠️ " if error else "") + escape(text), CONTENT_CHARS))


def thread_name(question: str) -> str:
    """A thread title from a question: one line, at most 100 characters, never empty."""
    return shorten(" ".join(question.split()), THREAD_NAME_CHARS) or "question"


def source_choices(sources, typed: str) -> list[tuple[str, str]]:
    """(label, value) pairs for the `source` option's autocomplete: up to 25, each at most 100 characters."""
    typed = typed.strip().lower()
    matches = [s for s in sources if typed in s.source.lower() or typed in (s.title or "").lower()]
    return [
        (shorten(safe_source_name(f"{s.source} — {s.title}" if s.title else s.source), CHOICE_CHARS), s.source[:CHOICE_CHARS])
        for s in matches[:CHOICES]
    ]
