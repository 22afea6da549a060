"""A conversation with the sources, without a language model: follow-ups, paging, context, filters.

Every frontend (REPL, Discord) keeps one `Conversation` per user or thread over one shared
`Engine`, calls its typed methods and renders the `Reply` they return. A `Page` is an immutable
token for one page of one question: a "More" button carries its own page, so it pages its own
question whatever was asked since, and anyone may answer a page (`answer_page`) without touching
the conversation it came from.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from qabot.answer import Answer, Excerpt, Perspectives
from qabot.display import normalise
from qabot.errors import QabotError
from qabot.follow_up import FollowUp, Turn, may_stand_alone, read, stands_alone, turn_after
from qabot.follow_up import is_follow_up  # noqa: F401  (kept where callers found it)
from qabot.index import SourceInfo



@dataclass(frozen=True)
class Page:
    """One page of excerpts for one question: all it takes to show it again, or the next one."""

    question: str
    follow_up: FollowUp | None = None  # how it leans on the earlier question, if it does
    source: str | None = None  # the only document quoted, if any
    offset: int = 0  # excerpts ranked above this page
    k: int = 3  # excerpts per page

    @property
    def context(self) -> str | None:
        """The earlier question this one is read together with."""
        return self.follow_up.context if self.follow_up else None

    def next(self) -> Page:
        return replace(self, offset=self.offset + self.k)


# ------------------------------------------------------------------------------------ replies


@dataclass(frozen=True)
class Reply:
    """Something to show the user."""


@dataclass(frozen=True)
class AnswerReply(Reply):
    answer: Answer
    page: Page
    nearest: bool = False  # excerpts shown although retrieval abstained

    @property
    def follows_up(self) -> str | None:
        """The earlier question this one was read together with."""
        return self.page.context

    @property
    def read_as(self) -> str | None:
        """The follow-up with its references resolved ("what did Lukyanov say…"), when they changed it."""
        follow_up = self.page.follow_up
        return follow_up.reading if follow_up and follow_up.reading != self.page.question else None

    @property
    def shown(self) -> tuple[Excerpt, ...]:
        """The excerpts to show: none after an abstention unless the nearest were asked for."""
        return self.answer.excerpts if self.nearest or not self.answer.abstained else ()

    @property
    def next_page(self) -> Page | None:
        return self.page.next() if self.answer.more and self.shown else None


@dataclass(frozen=True)
class ContextReply(Reply):
    excerpt: Excerpt
    before: str  # display text before the excerpt in its document
    after: str


@dataclass(frozen=True)
class PerspectivesReply(Reply):
    perspectives: Perspectives
    page: Page


@dataclass(frozen=True)
class AlsoReply(Reply):
    excerpt: Excerpt  # the excerpt whose claims the passages state too
    passages: list[Excerpt]


@dataclass(frozen=True)
class SourcesReply(Reply):
    sources: list[SourceInfo]
    active: str | None


@dataclass(frozen=True)
class MessageReply(Reply):
    text: str
    error: bool = False


def answer_page(engine, page: Page, nearest: bool = False) -> AnswerReply:
    """The excerpts of `page`; stateless, so any user may page any question."""
    answer = engine.retriever().ask(page.question, k=page.k, source=page.source, offset=page.offset, follow_up=page.follow_up)
    return AnswerReply(answer, page, nearest and answer.abstained)


def perspectives_of(engine, page: Page) -> PerspectivesReply:
    """Who says what about `page`'s question; stateless like `answer_page`."""
    perspectives = engine.retriever().perspectives(
        page.question, source=page.source, context=page.context, k=page.k, follow_up=page.follow_up
    )
    return PerspectivesReply(perspectives, page)


def also_of(engine, excerpt: Excerpt, source: str | None = None) -> AlsoReply:
    """The passages of other sources that state a claim of `excerpt`, within the filter `source`;
    stateless, so an "Also said by" button works for whoever clicks."""
    return AlsoReply(excerpt, engine.retriever().corroborating(excerpt, source))


def context_of(engine, excerpt: Excerpt) -> ContextReply:
    """`excerpt` with the text around it in its document (display-normalised)."""
    before, after = engine.retriever().index.surrounding(
        excerpt.source, excerpt.start, excerpt.end, engine.settings.chat.context_chars
    )
    return ContextReply(excerpt, normalise(before), normalise(after))


class Conversation:
    """One user's (or one thread's) conversation over the shared engine.

    Its state (the topic follow-ups lean on, the source filter, the excerpts on screen) changes
    one call at a time under a lock, so two messages arriving together in one thread cannot
    interleave; other conversations never wait for it beyond the engine itself."""

    def __init__(self, engine, k: int | None = None) -> None:
        self.engine = engine
        self.k = k or engine.settings.chat.k
        self.source: str | None = None
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget the questions asked (the source filter stays)."""
        with self._lock:
            self.turn: Turn | None = None  # what the next question may lean on
            self.latest: AnswerReply | None = None
            self.shown: dict[int, Excerpt] = {}  # by rank: the excerpts on screen for the latest question

    @property
    def topic(self) -> str | None:
        """The question (as read) that a follow-up would lean on now."""
        return self.turn.topic if self.turn else None

    def ask(self, question: str) -> AnswerReply:
        """Answer `question`, read against the previous turn (see `qabot.follow_up.read`)."""
        with self._lock:
            follow_up = read(question, self.turn)
            if follow_up is not None:
                follow_up = self._unless_new_topic(follow_up, question)
            reply = answer_page(self.engine, Page(question, follow_up, self.source, 0, self.k))
            self.turn = turn_after(self.engine.retriever().index, reply.answer, follow_up, self.turn)
            self.shown = {}
            return self._record(reply)

    def _unless_new_topic(self, follow_up: FollowUp, question: str) -> FollowUp | None:
        """None when the line, naming nothing new, is far from the previous question and close to
        other passages than the previous answer's (see `qabot.follow_up.stands_alone`)."""
        if not may_stand_alone(question):
            return follow_up
        retriever = self.engine.retriever()
        settings = retriever.settings.retrieval
        gap, similarity = retriever.topic_distance(question, self.turn.question, follow_up.locality, follow_up.reading)
        new_topic = stands_alone(gap, similarity, (settings.stands_alone_gap, settings.stands_alone_similarity))
        return None if new_topic else follow_up

    def more(self, page: Page | None = None) -> Reply:
        """The page after the latest answer's (or `page` itself)."""
        with self._lock:
            if page is None:
                if self.latest is None:
                    return MessageReply("Ask a question first.")
                page = self.latest.next_page
                if page is None:
                    return MessageReply("No more excerpts for this question.")
            # a next page exists only after excerpts were shown, so it shows them even on abstention
            return self._record(answer_page(self.engine, page, nearest=True))

    def nearest(self, page: Page | None = None) -> Reply:
        """The closest excerpts of the latest (or the given) page even though retrieval abstained."""
        with self._lock:
            page = page or (self.latest.page if self.latest else None)
            if page is None:
                return MessageReply("Ask a question first.")
            reply = answer_page(self.engine, page, nearest=True)
            if not reply.answer.excerpts:
                return MessageReply("No passage is near enough to show.")
            return self._record(reply)

    def shown_excerpt(self, number: int) -> Excerpt:
        """Excerpt `number` (its rank) among those on screen for the latest question."""
        with self._lock:
            if number not in self.shown:
                shown = ", ".join(str(n) for n in sorted(self.shown)) or "none yet"
                raise QabotError(f"No excerpt {number} is on screen (shown: {shown}).")
            return self.shown[number]

    def context(self, excerpt: Excerpt) -> ContextReply:
        return context_of(self.engine, excerpt)

    def perspectives(self, page: Page | None = None) -> Reply:
        """What each voice says about the latest (or the given) question; its excerpts become the
        ones on screen, so :context N and :also N refer to them."""
        with self._lock:
            page = page or (self.latest.page if self.latest else None)
            if page is None:
                return MessageReply("Ask a question first.")
            reply = perspectives_of(self.engine, page)
            self.shown = {p.excerpt.rank: p.excerpt for p in reply.perspectives.perspectives}
            return reply

    def also(self, excerpt: Excerpt) -> AlsoReply:
        """The passages of other sources that state a claim of `excerpt` (within the source filter)."""
        return also_of(self.engine, excerpt, self.source)

    def set_source(self, name: str) -> MessageReply:
        """Quote only the document `name` (a file name or an unambiguous prefix) from now on."""
        with self._lock:
            index = self.engine.retriever().index
            self.source = index.resolve(name)
            title = index.document(self.source).title
            return MessageReply(f"Quoting only {self.source}" + (f" ({title})" if title else "") + ". :all lifts the filter.")

    def clear_source(self) -> MessageReply:
        with self._lock:
            self.source = None
            return MessageReply("Quoting all documents again.")

    def sources(self) -> SourcesReply:
        return SourcesReply(self.engine.retriever().index.sources(), self.source)

    def _record(self, reply: AnswerReply) -> AnswerReply:
        self.latest = reply
        for excerpt in reply.shown:
            self.shown[excerpt.rank] = excerpt
        return reply
