"""Cleaning and splitting a `Document` into `Passage`s, with offsets kept to the raw text.

The only cleaning is display normalisation (`qabot.display`), so an excerpt shown to a user is
always `normalise(text[start:end])`.
Passages are cut at paragraph or sentence ends near a target length, never mid-word and never
across a section (heading or speaker) boundary; paragraphs repeated in a document are indexed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from qabot.display import normalise, paragraph_spans, words
from qabot.sources import Document
from qabot.tables import is_grid_table, readable_table, table_rows
from qabot.voices import describe, voice_descriptions


@dataclass(frozen=True)
class Passage:
    """A span of one document that is embedded and indexed as a unit."""

    source: str
    start: int  # offsets into Document.text, [start, end)
    end: int
    section: str | None
    text: str  # display-normalised source text
    embed_text: str  # what the retrievers see: the text with its document context
    sentences: tuple[tuple[int, int], ...] = ()  # raw spans of its sentences, embedded one by one too


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of an over-long one) on its way into a passage."""

    start: int
    end: int
    length: int
    paragraph_start: bool
    section: int  # changes at each section start and after each skipped paragraph


_SENTENCE_END = re.compile(r"[.!?…][\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "no", "vol", "pp", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "u.s", "u.k",
    "gen", "col", "lt", "sen", "rep", "gov", "inc", "ltd", "co", "fig", "al",
}
_TERMINAL = tuple(".!?…:;\"”’)")


_LAST_WORD = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    # search a short window before the dot: matching `$` against the whole prefix made splitting
    # quadratic in the document's length; a word filling the window is read again from the start
    window = max(0, dot - 32)
    word = _LAST_WORD.search(text, window, dot)
    if word and word.start() == window and window:
        word = _LAST_WORD.search(text, 0, dot)
    if not word:
        return False
    token = word.group(1).lower().rstrip(".")
    return token in _ABBREVIATIONS or len(token) == 1


def _sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        yield cursor, match.end()
        cursor = match.end()
        while cursor < end and text[cursor].isspace():
            cursor += 1
    if cursor < end:
        yield cursor, end


def _word_pieces(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut an over-long span at whitespace so no piece exceeds `limit` characters."""
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        if cut <= start:
            cut = start + limit
            while cut < end and not text[cut].isspace():
                cut += 1
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        yield start, end


def _units(document: Document, max_chars: int) -> list[_Unit]:
    """Sentences of the document in order, skipping paragraphs it has already said once."""
    text = document.text
    section_starts = [s.start for s in document.sections if s.kind != "page"]
    seen_paragraphs: set[str] = set()
    units: list[_Unit] = []
    previous_open = False  # the previous paragraph ended mid-sentence (a page break)
    gaps = 0  # paragraphs skipped so far: a passage never spans one
    for start, end in paragraph_spans(text):
        fingerprint = " ".join(words(text[start:end]))
        if len(fingerprint) >= 80:
            if fingerprint in seen_paragraphs:
                gaps += 1
                continue
            seen_paragraphs.add(fingerprint)
        if not fingerprint:
            continue
        section = sum(1 for s in section_starts if s <= start) * 100_000 + gaps
        continues = previous_open and text[start].islower()
        stripped = text[start:end].rstrip()
        previous_open = not stripped.endswith(_TERMINAL) and not stripped.lstrip().startswith("#")
        spans = table_rows(text, start, end) or list(_sentence_spans(text, start, end))  # a table: row by row
        for index, (s_start, s_end) in enumerate(spans):
            for p_start, p_end in _word_pieces(text, s_start, s_end, max_chars):
                length = len(normalise(text[p_start:p_end]))
                if length == 0:
                    continue
                units.append(
                    _Unit(p_start, p_end, length, index == 0 and not continues and p_start == s_start, section)
                )
    return units


def readable(raw: str) -> str:
    """The words of raw source text as the retrievers see them: display-normalised, with grid
    tables read cell by cell (the quoted text stays `normalise(raw)`)."""
    if "|" not in raw:
        return normalise(raw)
    parts = []
    for start, end in paragraph_spans(raw):
        block = raw[start:end]
        lines = [line for line in block.split("\n") if line.strip()]
        grid = len(lines) >= 2 and all(line.strip()[:1] in "|+" and line.strip()[-1:] in "|+" for line in lines)
        parts.append(readable_table(block) if grid or is_grid_table(block) else normalise(block))
    return " ".join(part for part in parts if part)


def embed_text_for(document: Document, section: str | None, text: str, descriptions: dict[str, str] | None = None) -> str:
    """Context the retrievers see with a passage: document title, author, and the section or speaker,
    each voice with how the document describes it (`descriptions`, see `qabot.voices`).

    Questions often name the writer or speaker ("according to Lukyanov") or describe them ("the
    professor at X"); the passage text rarely does either.
    """
    descriptions = descriptions or {}
    author = document.author
    for name, role in descriptions.items() if author else ():
        author = author.replace(name, f"{name} ({role})", 1)
    context = [part for part in (document.title, author, describe(section, descriptions)) if part]
    return (" — ".join(context) + ": " + text) if context else text


def split_document(
    document: Document, target_chars: int = 450, max_chars: int = 700, min_chars: int = 60, sentence_min_chars: int = 40,
    describe_voices: bool = True,
) -> list[Passage]:
    """Pack sentences into passages of about `target_chars`, preferring paragraph ends as cuts.

    A passage shorter than `min_chars` (a lone heading) joins the next; a sentence shorter than
    `sentence_min_chars` is embedded with its neighbour. `describe_voices` adds each voice's
    description (role, affiliation) to the retrieval context."""
    passages: list[Passage] = []
    current: list[_Unit] = []
    descriptions = voice_descriptions(document.text, document.author) if describe_voices else {}

    def flush() -> None:
        if not current:
            return
        start, end = current[0].start, current[-1].end
        text = normalise(document.text[start:end])
        section = document.section_at(start)
        sentences = _sentence_groups([(u.start, u.end, u.length) for u in current], sentence_min_chars)
        passages.append(Passage(
            document.source, start, end, section, text,
            embed_text_for(document, section, readable(document.text[start:end]), descriptions), sentences,
        ))
        current.clear()

    for unit in _units(document, max_chars):
        size = sum(u.length + 1 for u in current)
        if current and (
            unit.section != current[-1].section
            or size + unit.length > max_chars
            or (unit.paragraph_start and size >= target_chars * 0.5)
            or (size + unit.length > target_chars * 1.2 and size >= target_chars * 0.5)
        ):
            flush()
        current.append(unit)
    flush()
    return _merge_tiny(passages, document, max_chars, min_chars, descriptions)


def _merge_tiny(
    passages: list[Passage], document: Document, max_chars: int, min_chars: int, descriptions: dict[str, str]
) -> list[Passage]:
    """Fold passages too short to stand alone (a lone heading) into the next one of the same document."""
    merged: list[Passage] = []
    carry: Passage | None = None
    for passage in passages:
        if carry is not None:
            start = carry.start
            adjacent = not document.text[carry.end : passage.start].strip()
            if adjacent and passage.end - start <= max_chars * 1.3:
                text = normalise(document.text[start : passage.end])
                section = passage.section or carry.section
                passage = Passage(
                    passage.source, start, passage.end, section, text,
                    embed_text_for(document, section, readable(document.text[start : passage.end]), descriptions),
                    carry.sentences + passage.sentences,
                )
            else:
                merged.append(carry)
            carry = None
        if len(passage.text) < min_chars:
            carry = passage
            continue
        merged.append(passage)
    if carry is not None:
        merged.append(carry)
    return merged


def _sentence_groups(units: list[tuple[int, int, int]], min_chars: int) -> tuple[tuple[int, int], ...]:
    """Sentence spans of a passage, a fragment shorter than `min_chars` joined to its neighbour."""
    groups: list[list[int]] = []
    for start, end, length in units:
        if groups and (groups[-1][2] < min_chars or length < min_chars // 2):
            groups[-1][1] = end
            groups[-1][2] += length + 1
        else:
            groups.append([start, end, length])
    return tuple((start, end) for start, end, _ in groups)


def sentence_texts(document: Document, passage: Passage) -> list[str]:
    """What is embedded for each sentence of a passage: its display text with the section as context."""
    prefix = f"{passage.section}: " if passage.section else ""
    return [prefix + readable(document.text[start:end]) for start, end in passage.sentences]

