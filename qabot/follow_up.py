"""Reading a line against the previous turn: follow-up, new topic, or unsure — and what "he" means.

No language model: the previous turn is remembered as the question it was read as, the proper
nouns it named, and who answered it (the voice — author or Q&A speaker — and the place in the
document of the first excerpt shown). A new line that names none of that and leans on it by
its form ("and …?", "why?", a pronoun) is a follow-up: its pronouns are replaced by the person
or place meant and it is ranked with the previous question as context, near the previous answer.
A line that names a new voice, place or event is a new topic even if it starts with "and", and so
is one that names nothing new but is far from the previous question and close to other passages
(`stands_alone`); when neither reading is clearly right, retrieval ranks both and fuses them
(`FollowUp.lean`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qabot.abstention import proper_nouns
from qabot.lexical import tokenize

_FOLLOW_UP_START = re.compile(
    r"^(and|but|so|also|then|what about|how about|why|how come|what else|and why)\b", re.I
)
_BACK_REFERENCE = re.compile(
    r"\b(that|this|it|its|they|them|their|he|him|his|she|her|those|these|there|then|the same)\b", re.I
)
_OPINION = r"(?:\s+\w+)?\s+(?:say|says|said|think|thinks|thought|expect|expects|argue|argues|claim|claims|believe|" \
    r"believes|suggest|suggests|see|sees|write|writes|wrote|worry|worries|worried|fear|fears|want|wants|" \
    r"predict|predicts|propose|proposes|recommend|recommends|warn|warns|conclude|concludes)\b"
# a pronoun is read as a voice only where it speaks or thinks ("does he think", "what do they say")
_PERSON = re.compile(r"\bthe author\b|\b(?:he|she)\b(?=" + _OPINION + r")", re.I)
_GROUP = re.compile(r"\bthey\b(?=" + _OPINION + r")", re.I)
# a subject pronoun among a question's first three words ("were they…", "what did he…") has no
# antecedent in the line: it refers back however long the line is ("did the protesters say
# they…" may not); a long line may still say enough on its own, so it is fused (`PRONOUN`)
_LEADING_PRONOUN = re.compile(r"^\W*(?:\w+\W+){0,2}(?:he|she|they)\b", re.I)
_COMPARISON = re.compile(r"\b(other|others|another|else|instead|also|too|former|latter)\b", re.I)
_PLACE = re.compile(r"\b(there|that country|that place)\b", re.I)
_DEMONYM = re.compile(r"(ian|ean|ese|ish|stani)$")  # "Russian", "Kazakhstani": adjectives, not places


@dataclass(frozen=True)
class Locality:
    """Where the previous answer stood: its first excerpt's document, section (or speaker) and span
    (its passage is what a new line is measured against: see `stands_alone`)."""

    source: str
    section: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class FollowUp:
    """How retrieval should read a follow-up: everything a page token needs to run it again."""

    context: str  # the earlier question (as read) this one leans on
    reading: str  # the question with its references resolved ("read as: …")
    locality: Locality | None = None  # prefer passages near the previous answer
    lean: float = 1.0  # 1: sure; below: also rank the line alone and fuse, this share to the context


@dataclass(frozen=True)
class Turn:
    """What a later line may lean on: a question as read and who answered it."""

    question: str  # as read (references resolved)
    topic: str  # what a follow-up leans on: the last question that stood on its own
    names: frozenset[str]  # proper-noun terms of the question (and of the turns it followed up)
    person: str | None  # the voice the question named, else the voice of the first excerpt shown
    group: str | None  # voices the question itself named ("Pasatoiu and Nitoiu"), for "they"
    place: str | None  # the last place the question named, for "there"
    locality: Locality | None


def name_terms(text: str) -> frozenset[str]:
    return frozenset(t for word in proper_nouns(text) for t in tokenize(word))


def _name_words(text: str) -> set[str]:
    """Capitalised whole words, lower-cased, possessive dropped ("Lukyanov's" → "lukyanov")."""
    return {re.sub(r"['’]s$", "", w).lower() for w in proper_nouns(text) if len(w) > 2}


def named_voices(text: str, voice_labels: list[str | None]) -> list[str]:
    """Labels of the voices the text names by a whole word of their name ("Lukyanov", not "Asia"
    for "CABAR.asia experts")."""
    names = _name_words(text)
    if not names:
        return []
    return [label for label in dict.fromkeys(voice_labels) if label and {w.lower() for w in label.split()} & names]


def last_place(text: str, voices: list[str | None]) -> str | None:
    """The last run of capitalised words that is not a voice, an acronym or a demonym."""
    voice_terms = {t for label in voices if label for t in tokenize(label)}
    runs = re.findall(r"(?<!^)(?<![.?!] )\b([A-Z][a-z][\w'’-]*(?: [A-Z][a-z][\w'’-]*)*)", text.strip())
    places = [r for r in runs if not _DEMONYM.search(r.split()[-1]) and not set(tokenize(r)) & voice_terms]
    return places[-1] if places else None


def looks_elliptical(line: str) -> bool:
    """Surface cues of a line that leans on the previous one: short, "and …", "why", a pronoun."""
    words = re.findall(r"\w+", line)
    if len(words) <= 3 or _FOLLOW_UP_START.match(line.strip()):
        return True
    return len(words) <= 10 and bool(_BACK_REFERENCE.search(line))


def is_bare(line: str) -> bool:
    """Too short to stand on its own ("what about Belarus?", "why?")."""
    return len(re.findall(r"\w+", line)) <= 4


def may_stand_alone(line: str) -> bool:
    """Whether the line could be a new topic by its content alone: not bare, and refers back to
    nothing, by a pronoun or by comparison ("the other setting", "what else", "instead")."""
    return not is_bare(line) and not _BACK_REFERENCE.search(line) and not _COMPARISON.search(line)


def stands_alone(gap: float, similarity: float, bars: tuple[float, float]) -> bool:
    """A line that names nothing new (see `may_stand_alone`) is a new topic when it matches some
    passage much better than the previous answer (`gap` ≥ `bars[0]`) and is far from the previous
    question (cosine `similarity` ≤ `bars[1]`): "and why are … unrealistic?" after a question
    on something else must not be answered from the previous topic."""
    return gap >= bars[0] and similarity <= bars[1]


def resolve(line: str, turn: Turn) -> str:
    """`line` with "he"/"the author" → the person, "they" → the voices named, "there" → the place."""

    text = line
    if turn.person:
        text = _PERSON.sub(turn.person, text)
    if turn.group:
        text = _GROUP.sub(turn.group, text)
    if turn.place:
        text = _PLACE.sub(lambda m: f"in {turn.place}" if m.group(0).lower() == "there" else turn.place, text)
    return text


UNSURE, NEW_NAMES, PRONOUN = 0.5, 1 / 3, 2 / 3  # the context's share of a fused ranking


def read(line: str, turn: Turn | None) -> FollowUp | None:
    """None when `line` starts a new topic; else how to read it against `turn`.

    A line that names someone or something the previous turn did not is a new topic, unless it
    also starts like a follow-up ("and how did Tolipov react?"): then both readings are fused,
    the line alone weighing more. A long line opening with a pronoun ("were they also supposed to
    …") is fused leaning on the context; one with no new names and no follow-up cue, evenly.
    (A line that names nothing new may still be a new topic: see `stands_alone`.)
    """
    if turn is None:
        return None
    new_names = name_terms(line) - turn.names
    elliptical = looks_elliptical(line)
    if new_names and not _FOLLOW_UP_START.match(line.strip()):
        return None
    bare = is_bare(line)
    if new_names:
        lean = 1.0 if bare else NEW_NAMES
    else:
        lean = 1.0 if elliptical else PRONOUN if _LEADING_PRONOUN.match(line) else UNSURE
    reading = line if new_names else resolve(line, turn)  # new names: its pronouns are theirs
    return FollowUp(turn.topic, reading, turn.locality, lean)


def turn_after(index, answer, follow_up: FollowUp | None, earlier: Turn | None) -> Turn:
    """What the next line may lean on after `answer` (read as `follow_up`): its question as read
    and who answered it first."""
    question = follow_up.reading if follow_up else answer.question
    labels = [voice.label for voice in index.voices]
    named = named_voices(question, labels)
    first = answer.excerpts[0] if answer.excerpts and not answer.abstained else None
    voice = _voice_of(index, first) if first else None
    names = name_terms(question) | (earlier.names if follow_up and earlier else frozenset())
    sure = follow_up is not None and follow_up.lean >= 1 and earlier is not None
    return Turn(
        question=question,
        topic=earlier.topic if sure else question,
        names=names | name_terms(" ".join(named)),
        person=named[0] if len(named) == 1 else (voice if not named else None),
        group=" and ".join(named) if named else None,
        place=last_place(question, labels) or (earlier.place if follow_up and earlier else None),
        locality=Locality(first.source, first.section, first.start, first.end) if first else None,
    )


def _voice_of(index, excerpt) -> str | None:
    """The voice label (speaker or author) of the indexed passage an excerpt quotes."""
    row = index.passages.row_of(excerpt.source, excerpt.start, excerpt.end)
    return excerpt.author if row is None else index.voices[int(index.passage_voices[row])].label


def is_follow_up(question: str) -> bool:
    """Kept for callers that only ask about the surface cues of a line."""
    return looks_elliptical(question)
