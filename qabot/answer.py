"""The data a question produces: `Excerpt`s inside an `Answer`. Field names are the JSON contract."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Highlight:
    """The sentence(s) of an excerpt that best answer the question (absolute offsets)."""

    start: int
    end: int


@dataclass(frozen=True)
class Excerpt:
    """A verbatim span of one source: `text` is `source[start:end]`, display-normalised."""

    source: str
    start: int
    end: int
    text: str
    score: float  # a ranking score, not a probability
    title: str | None = None
    author: str | None = None
    section: str | None = None
    highlight: Highlight | None = None
    page: int | None = None
    highlight_text: str | None = field(default=None, repr=False)  # display text of `highlight`

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["highlight_text"]
        return data


@dataclass(frozen=True)
class Answer:
    """What one question gets: ranked excerpts, and whether the sources seem not to cover it."""

    question: str
    abstained: bool
    excerpts: tuple[Excerpt, ...]
    confidence: float = 0.0  # how well the best excerpt matches, in [0, 1]
    offset: int = 0  # rank of the first excerpt (for paging)
    total: int = 0  # ranked excerpts available for this question
    resolved_question: str | None = None  # the question retrieval actually used (follow-ups)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.excerpts) < self.total

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "excerpts": [e.to_dict() for e in self.excerpts],
        }
