"""A conversation with the sources, without a language model: paging, follow-ups, context, filters.

Frontends (the REPL, later the Discord bot) feed each line a user types to `Conversation.handle`
and render the `Reply` it returns; everything that is not input or output lives here, once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qabot.answer import Answer, Excerpt
from qabot.errors import QabotError
from qabot.passages import normalise

COMMANDS = {
    ":more": "show the next excerpts for the same question (also `more`, or Enter after an answer)",
    ":context": ":context N — excerpt N with the text around it in its document",
    ":nearest": "after 'not covered': show the closest excerpts anyway",
    ":source": ":source NAME — quote only this document (file name or prefix)",
    ":sources": "list the documents with titles and passage counts",
    ":all": "lift the :source filter",
    ":new": "forget the conversation (the next question is not a follow-up)",
    ":help": "this list",
    ":quit": "leave (also Ctrl-D)",
}
ALIASES = {"more": ":more", ":next": ":more", ":exit": ":quit", ":q": ":quit", "quit": ":quit", "exit": ":quit", ":h": ":help", "help": ":help"}

_FOLLOW_UP_START = re.compile(r"^(and|but|so|also|then|what about|how about|why|how come|what else|and why)\b", re.I)
_BACK_REFERENCE = re.compile(r"\b(that|this|it|its|they|them|their|he|him|his|she|her|those|these|there|then|the same)\b", re.I)
CONTEXT_CHARS = 600  # characters of surrounding text shown on each side by :context


# ---------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """Something to show the user."""


@dataclass(frozen=True)
class AnswerReply(Reply):
    answer: Answer
    follows_up: str | None = None  # the earlier question this one was read together with
    nearest: bool = False  # excerpts shown although retrieval abstained (:nearest)
    more_hint: bool = False  # more excerpts are available


@dataclass(frozen=True)
class ContextReply(Reply):
    number: int
    excerpt: Excerpt
    before: str
    after: str


@dataclass(frozen=True)
class SourcesReply(Reply):
    sources: list[dict]
    active: str | None


@dataclass(frozen=True)
class MessageReply(Reply):
    text: str
    error: bool = False


@dataclass(frozen=True)
class HelpReply(Reply):
    commands: dict[str, str] = field(default_factory=lambda: dict(COMMANDS))


@dataclass(frozen=True)
class QuitReply(Reply):
    pass


# ----------------------------------------------------------------------- follow-ups


def is_follow_up(question: str) -> bool:
    """Short questions that lean on the previous turn: "and Belarus?", "why?", "what did X say about that?"."""
    words = re.findall(r"\w+", question)
    if len(words) <= 3:
        return True
    if _FOLLOW_UP_START.match(question.strip()):
        return True
    return len(words) <= 10 and bool(_BACK_REFERENCE.search(question))


# --------------------------------------------------------------------- conversation


class Conversation:
    """One user's conversation state over a retriever (loaded lazily by `retriever_factory`)."""

    def __init__(self, retriever_factory: Callable[[], object], k: int = 3) -> None:
        self._retriever_factory = retriever_factory
        self._retriever = None
        self.k = k
        self.source: str | None = None
        self.reset()

    @property
    def retriever(self):
        if self._retriever is None:
            self._retriever = self._retriever_factory()
        return self._retriever

    def reset(self) -> None:
        self.topic: str | None = None  # the last question that stood on its own
        self.question: str | None = None  # the last question asked
        self.context: str | None = None  # what the last question was read together with
        self.last: Answer | None = None
        self.shown: dict[int, Excerpt] = {}

    def handle(self, line: str) -> Reply:
        """Turn one input line into a reply; a QabotError becomes an error message, never an exception."""
        text = line.strip()
        try:
            if not text:
                return self.more() if self.last is not None and self.last.has_more else MessageReply("Ask a question, or :help.")
            if text.startswith(":") or text.lower() in ALIASES:
                return self.command(text)
            return self.ask(text)
        except QabotError as error:
            return MessageReply(str(error), error=True)

    def command(self, text: str) -> Reply:
        name, _, argument = text.partition(" ")
        name = ALIASES.get(name.lower(), name.lower())
        argument = argument.strip()
        if name == ":more":
            return self.more()
        if name == ":context":
            return self.context_of(argument)
        if name == ":nearest":
            return self.nearest()
        if name == ":source":
            return self.set_source(argument)
        if name == ":sources":
            return SourcesReply(self.retriever.sources(), self.source)
        if name == ":all":
            self.source = None
            return MessageReply("Quoting all documents again.")
        if name == ":new":
            self.reset()
            return MessageReply("New conversation: the next question stands on its own.")
        if name == ":help":
            return HelpReply()
        if name == ":quit":
            return QuitReply()
        guess = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.5)
        hint = f" Did you mean {guess[0]}?" if guess else " Type :help for the commands."
        return MessageReply(f"Unknown command {name}.{hint}", error=True)

    def ask(self, question: str) -> Reply:
        follows = self.topic if self.topic and is_follow_up(question) else None
        answer = self.retriever.ask(question, k=self.k, source=self.source, context=follows)
        self.question, self.context, self.last = answer.question, follows, answer
        if follows is None:
            self.topic = answer.question
        self.shown = {}
        return self._answer_reply(answer, follows)

    def more(self) -> Reply:
        if self.last is None or self.question is None:
            return MessageReply("Ask a question first.")
        if not self.last.has_more:
            return MessageReply("No more excerpts for this question.")
        offset = self.last.offset + len(self.last.excerpts)
        answer = self.retriever.ask(self.question, k=self.k, source=self.source, context=self.context, offset=offset)
        self.last = answer
        return self._answer_reply(answer, self.context, nearest=answer.abstained)

    def nearest(self) -> Reply:
        if self.last is None:
            return MessageReply("Ask a question first.")
        if not self.last.excerpts:
            return MessageReply("No passage is near enough to show.")
        return self._answer_reply(self.last, self.context, nearest=True)

    def _answer_reply(self, answer: Answer, follows: str | None, nearest: bool = False) -> AnswerReply:
        if not answer.abstained or nearest:
            for number, excerpt in enumerate(answer.excerpts, answer.offset + 1):
                self.shown[number] = excerpt
        return AnswerReply(answer, follows, nearest, answer.has_more and (not answer.abstained or nearest))

    def set_source(self, name: str) -> Reply:
        if not name:
            return MessageReply("Usage: :source NAME (see :sources).", error=True)
        self.source = self.retriever.resolve_source(name)
        title = self.retriever.index.documents[self.source].title
        return MessageReply(f"Quoting only {self.source}" + (f" ({title})" if title else "") + ". :all lifts the filter.")

    def context_of(self, argument: str) -> Reply:
        if not argument.isdigit():
            return MessageReply("Usage: :context N, where N is the number of an excerpt shown.", error=True)
        number = int(argument)
        if number not in self.shown:
            shown = ", ".join(str(n) for n in sorted(self.shown)) or "none yet"
            return MessageReply(f"No excerpt {number} is on screen (shown: {shown}).", error=True)
        excerpt = self.shown[number]
        text = self.retriever.index.documents[excerpt.source].text
        before_start = _paragraph_start(text, max(0, excerpt.start - CONTEXT_CHARS))
        after_end = _paragraph_end(text, min(len(text), excerpt.end + CONTEXT_CHARS))
        return ContextReply(number, excerpt, normalise(text[before_start : excerpt.start]), normalise(text[excerpt.end : after_end]))


def _paragraph_start(text: str, at: int) -> int:
    """Move `at` forward to the start of a paragraph or sentence, so context begins cleanly."""
    if at == 0:
        return 0
    for pattern in ("\n\n", ". "):
        found = text.find(pattern, at)
        if found != -1 and found - at < CONTEXT_CHARS // 2:
            return found + len(pattern)
    return at


def _paragraph_end(text: str, at: int) -> int:
    if at >= len(text):
        return len(text)
    for pattern in ("\n\n", ". "):
        found = text.rfind(pattern, 0, at)
        if found != -1 and at - found < CONTEXT_CHARS // 2:
            return found + (1 if pattern == ". " else 0)
    return at
