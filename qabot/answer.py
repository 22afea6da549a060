"""The data a question produces: `Excerpt`s inside an `Answer`. Field names are the JSON contract."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Highlight:
    """The sentence of an excerpt that best answers the question.

    `start`/`end` are offsets into the source (like the excerpt's own); `text_start`/`text_end`
    are offsets into the excerpt's display `text`, so a frontend marks it without searching."""

    start: int
    end: int
    text_start: int
    text_end: int


@dataclass(frozen=True)
class Also:
    """A passage of another source that states a claim of an excerpt (its corroboration)."""

    source: str
    start: int
    end: int
    voice: str | None = None


@dataclass(frozen=True)
class Excerpt:
    """A verbatim span of one source: `text` is `source[start:end]`, display-normalised."""

    source: str
    start: int
    end: int
    text: str
    score: float  # a ranking score, not a probability
    rank: int  # 1-based position in the whole ranking for the question
    title: str | None = None
    author: str | None = None
    section: str | None = None
    highlight: Highlight | None = None
    page: int | None = None
    also: tuple[Also, ...] = ()  # other sources stating the same claim, strongest first

    def to_dict(self) -> dict:
        return asdict(self) | {"also": [asdict(a) for a in self.also]}


@dataclass(frozen=True)
class Answer:
    """What one question gets: ranked excerpts, and whether the sources seem not to cover it."""

    question: str
    abstained: bool
    excerpts: tuple[Excerpt, ...]
    confidence: float = 0.0  # how clearly the evidence clears the abstention threshold, in [0, 1]
    more: bool = False  # lower-ranked excerpts exist beyond these

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "more": self.more,
            "excerpts": [e.to_dict() for e in self.excerpts],
        }


@dataclass(frozen=True)
class Perspective:
    """One voice's best excerpt for a question."""

    voice: str
    source: str
    excerpt: Excerpt

    def to_dict(self) -> dict:
        return {"voice": self.voice, "source": self.source, "excerpt": self.excerpt.to_dict()}


@dataclass(frozen=True)
class Perspectives:
    """What each voice says about a question (best first), and the voices that seem not to address it."""

    answer: Answer
    perspectives: tuple[Perspective, ...]
    not_addressed: tuple[str, ...]

    def to_dict(self) -> dict:
        return self.answer.to_dict() | {
            "perspectives": [p.to_dict() for p in self.perspectives], "not_addressed": list(self.not_addressed),
        }
