"""TEMPORARY (issue 12, phase 1): the engine / page-token API of issue 11 over today's Conversation.

The Discord bot is written against `Engine`, `Page`, `answer_page`, `context_of` and typed
replies; this module provides them until `qabot/engine.py` lands on main, then it is deleted.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

from qabot import conversation as current
from qabot.answer import Answer, Excerpt
from qabot.errors import QabotError
from qabot.passages import normalise

log = logging.getLogger(__name__)
RELOAD_SECONDS = 2.0


class Engine:
    """The current Retriever, loaded once under a lock; a new index generation is swapped in."""

    def __init__(self, settings, retriever=None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._retriever = retriever
        self._generation = retriever.index.folder.name if retriever is not None else None
        self._checked = time.monotonic()

    @property
    def loaded(self) -> bool:
        return self._retriever is not None

    def retriever(self):
        from qabot.index import current_generation, load_index
        from qabot.retrieval import Retriever

        with self._lock:
            if self._retriever is None:
                self._retriever = Retriever.open(self.settings)
                self._generation = self._retriever.index.folder.name
            elif time.monotonic() - self._checked >= RELOAD_SECONDS:
                self._checked = time.monotonic()
                try:
                    if current_generation(self.settings.index).name != self._generation:
                        self._retriever = Retriever(load_index(self.settings.index), self.settings)
                        self._generation = self._retriever.index.folder.name
                        log.info("index generation %s picked up", self._generation)
                except QabotError as error:
                    log.warning("new index generation not usable: %s", error)
            return self._retriever

    def sources(self):
        return [SourceInfo(**s) for s in self.retriever().sources()]


@dataclass(frozen=True)
class SourceInfo:
    source: str
    title: str | None
    author: str | None
    date: str | None
    passages: int


@dataclass(frozen=True)
class Page:
    question: str
    context: str | None = None
    source: str | None = None
    offset: int = 0
    k: int = 3

    def next(self) -> Page:
        return replace(self, offset=self.offset + self.k)


@dataclass(frozen=True)
class Reply:
    pass


@dataclass(frozen=True)
class AnswerReply(Reply):
    answer: Answer
    page: Page
    nearest: bool = False

    @property
    def follows_up(self) -> str | None:
        return self.page.context

    @property
    def shown(self) -> tuple[Excerpt, ...]:
        return self.answer.excerpts if self.nearest or not self.answer.abstained else ()

    @property
    def next_page(self) -> Page | None:
        return self.page.next() if self.answer.has_more and self.shown else None


@dataclass(frozen=True)
class ContextReply(Reply):
    excerpt: Excerpt
    before: str
    after: str


@dataclass(frozen=True)
class SourcesReply(Reply):
    sources: list[SourceInfo]
    active: str | None


@dataclass(frozen=True)
class MessageReply(Reply):
    text: str
    error: bool = False


@dataclass(frozen=True)
class HelpReply(Reply):
    commands: dict[str, str] = field(default_factory=lambda: dict(current.COMMANDS))


@dataclass(frozen=True)
class QuitReply(Reply):
    pass


def answer_page(engine: Engine, page: Page, nearest: bool = False) -> AnswerReply:
    answer = engine.retriever().ask(page.question, k=page.k, source=page.source, context=page.context, offset=page.offset)
    return AnswerReply(answer, page, nearest and answer.abstained)


def context_of(engine: Engine, excerpt: Excerpt) -> ContextReply:
    text = engine.retriever().index.documents[excerpt.source].text
    start = current._paragraph_start(text, max(0, excerpt.start - current.CONTEXT_CHARS))
    end = current._paragraph_end(text, min(len(text), excerpt.end + current.CONTEXT_CHARS))
    return ContextReply(excerpt, normalise(text[start : excerpt.start]), normalise(text[excerpt.end : end]))


class Conversation:
    """Today's Conversation (one per thread), its replies translated into the typed ones above."""

    def __init__(self, engine: Engine, k: int) -> None:
        self.engine = engine
        self.k = k
        self._inner = current.Conversation(engine.retriever, k)


def handle_line(conversation: Conversation, line: str) -> Reply:
    inner = conversation._inner
    inner._retriever = None  # fetch the engine's current retriever for every line
    reply = inner.handle(line)
    if isinstance(reply, current.AnswerReply):
        page = Page(inner.question or reply.answer.question, inner.context, inner.source, reply.answer.offset, conversation.k)
        return AnswerReply(reply.answer, page, reply.nearest)
    if isinstance(reply, current.ContextReply):
        return ContextReply(reply.excerpt, reply.before, reply.after)
    if isinstance(reply, current.SourcesReply):
        return SourcesReply([SourceInfo(**s) for s in reply.sources], reply.active)
    if isinstance(reply, current.HelpReply):
        return HelpReply(reply.commands)
    if isinstance(reply, current.QuitReply):
        return QuitReply()
    return MessageReply(reply.text, reply.error)
