"""Scripted evaluation: question sets, the relevance rule, run files, metrics and comparisons.

Relevance rule (fixed, so figures are comparable): an excerpt is relevant when it cites the gold
source file and its [start, end) covers at least half of some occurrence of the gold answer span
in that file. Off-topic questions (no source) are answered correctly by abstaining.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qabot.answer import Answer, Excerpt
from qabot.errors import QabotError
from qabot.progress import Reporter, SilentReporter

CUTOFFS = (1, 3, 5, 10)


class EvalInputError(QabotError):
    """The question file is missing, empty, or holds no usable question."""


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    source: str | None
    answer: str | None
    kind: str | None
    occurrences: tuple[tuple[int, int], ...] = ()  # gold spans [start, end) in the source text

    @property
    def answerable(self) -> bool:
        return self.source is not None


@dataclass
class QuestionSet:
    questions: list[EvalQuestion]
    problems: list[str] = field(default_factory=list)  # "file:line: why" for each skipped line


def find_occurrences(text: str, answer: str) -> list[tuple[int, int]]:
    """Every [start, end) where `answer` stands in `text`: verbatim, else after display normalisation."""
    spans = []
    at = text.find(answer)
    while at >= 0:
        spans.append((at, at + len(answer)))
        at = text.find(answer, at + 1)
    if spans:
        return spans
    from qabot.display import clean_with_offsets, normalise

    clean, offsets = clean_with_offsets(text)
    wanted = normalise(answer)
    at = clean.find(wanted) if wanted else -1
    while at >= 0:
        spans.append((offsets[at], offsets[at + len(wanted) - 1] + 1))
        at = clean.find(wanted, at + 1)
    return spans


def read_jsonl(path: Path, what: str, problems: list[str]) -> Iterator[tuple[int, str, object]]:
    """(line number, "file:line", parsed value) for each non-blank line of a JSONL file; a line that
    is not JSON is reported in `problems` and skipped; a missing file is an EvalInputError."""
    if not path.is_file():
        raise EvalInputError(f"{what} {path} does not exist")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield number, where, json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where}: not valid JSON ({error.msg})")


def source_text_of(index) -> Callable[[str], str | None]:
    """`load_questions`'s `source_text` for an opened index: a document's text, None for an unknown source."""
    documents = index.documents
    return lambda source: documents[source].text if source in documents else None


def load_questions(path: Path, source_text: Callable[[str], str | None]) -> QuestionSet:
    """Read a JSONL question file; bad lines are reported with file and line number and skipped.

    `source_text(name)` gives the text a gold source's offsets refer to (None: no such source).
    """
    result = QuestionSet([])
    seen: set[str] = set()
    for number, where, data in read_jsonl(path, "question file", result.problems):
        if not isinstance(data, dict) or not isinstance(data.get("question"), str) or not data["question"].strip():
            result.problems.append(f"{where}: needs an object with a non-empty \"question\"")
            continue
        qid = str(data.get("id") or f"line{number}")
        if qid in seen:
            result.problems.append(f"{where}: duplicate id {qid!r}")
            continue
        source, answer = data.get("source"), data.get("answer")
        occurrences: list[tuple[int, int]] = []
        if source is not None:
            text = source_text(str(source))
            if text is None:
                result.problems.append(f"{where}: unknown source file {source!r}")
                continue
            if not isinstance(answer, str) or not answer.strip():
                result.problems.append(f"{where}: an answerable question needs its gold \"answer\" span")
                continue
            occurrences = find_occurrences(text, answer)
            if not occurrences:
                result.problems.append(f"{where}: gold answer not found in {source}")
                continue
        seen.add(qid)
        result.questions.append(
            EvalQuestion(qid, data["question"], source, answer, data.get("kind"), tuple(occurrences))
        )
    if not result.questions:
        why = "; ".join(result.problems[:3]) or "it is empty"
        raise EvalInputError(f"no usable question in {path} ({why})")
    return result


def is_relevant(excerpt: Excerpt, question: EvalQuestion) -> bool:
    return covered_occurrence(excerpt, question) is not None


def covered_occurrence(excerpt: Excerpt, question: EvalQuestion) -> int | None:
    """Index of the first gold occurrence this excerpt covers at least half of, else None."""
    if question.source is None or excerpt.source != question.source:
        return None
    for index, (start, end) in enumerate(question.occurrences):
        overlap = min(excerpt.end, end) - max(excerpt.start, start)
        if overlap > 0 and overlap * 2 >= end - start:
            return index
    return None


@dataclass
class QuestionOutcome:
    question: EvalQuestion
    answer: Answer

    @property
    def first_relevant_rank(self) -> int | None:
        for rank, excerpt in enumerate(self.answer.excerpts, 1):
            if is_relevant(excerpt, self.question):
                return rank
        return None

    def run_line(self) -> dict:
        return {
            "id": self.question.id,
            "abstained": self.answer.abstained,
            "hits": [
                {"source": e.source, "start": e.start, "end": e.end, "text": e.text, "score": e.score}
                for e in self.answer.excerpts
            ],
        }


def ranking_metrics(outcomes: list[QuestionOutcome], depth: int) -> dict[str, list[float]]:
    """Per-question hit@c, MRR@10, nDCG@10 and recall@depth (answerable questions only).

    Each gold occurrence is one relevant item of grade 1; a hit covering an occurrence not yet
    covered stands for it, any other hit is not relevant — so recall is the share of occurrences
    quoted and nDCG is ideal when the first hits cover every occurrence.
    """
    metrics: dict[str, list[float]] = {name: [] for name in [f"hit@{c}" for c in CUTOFFS] + ["mrr@10", "ndcg@10", f"recall@{depth}"]}
    for outcome in outcomes:
        gains = relevance_gains(outcome)
        first = next((rank for rank, gain in enumerate(gains, 1) if gain), None)
        for cutoff in CUTOFFS:
            metrics[f"hit@{cutoff}"].append(float(first is not None and first <= cutoff))
        metrics["mrr@10"].append(1.0 / first if first is not None and first <= 10 else 0.0)
        wanted = len(outcome.question.occurrences)
        ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(wanted, 10) + 1))
        found = sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains[:10], 1))
        metrics["ndcg@10"].append(found / ideal if ideal else 0.0)
        metrics[f"recall@{depth}"].append(sum(gains[:depth]) / wanted if wanted else 0.0)
    return metrics


def relevance_gains(outcome: QuestionOutcome) -> list[int]:
    """1 for each hit that covers a gold occurrence no earlier hit covered, else 0, in rank order."""
    used: set[int] = set()
    gains = []
    for excerpt in outcome.answer.excerpts:
        occurrence = covered_occurrence(excerpt, outcome.question)
        gains.append(int(occurrence is not None and occurrence not in used))
        if occurrence is not None:
            used.add(occurrence)
    return gains


def summarise(outcomes: list[QuestionOutcome], depth: int) -> dict:
    """One flat dict of metrics whose names carry their cut-off, plus per-kind rows and misses."""
    answerable = [o for o in outcomes if o.question.answerable]
    off_topic = [o for o in outcomes if not o.question.answerable]
    metrics: dict = {"questions": len(outcomes), "answerable": len(answerable), "off_topic": len(off_topic)}
    per_question: dict[str, list[float]] = {}
    if answerable:
        per_question = ranking_metrics(answerable, depth)
        for name, values in per_question.items():
            metrics[name] = round(statistics.fmean(values), 4)
        metrics["answered"] = round(statistics.fmean(not o.answer.abstained for o in answerable), 4)
        metrics["useful@5"] = round(
            statistics.fmean((o.first_relevant_rank or 99) <= 5 and not o.answer.abstained for o in answerable), 4
        )
    if off_topic:
        metrics["abstain_accuracy"] = round(statistics.fmean(o.answer.abstained for o in off_topic), 4)
    lengths = [len(e.text) for o in outcomes for e in o.answer.excerpts[:5]]
    metrics["median_excerpt_chars"] = statistics.median(lengths) if lengths else 0
    kinds: dict[str, dict] = {}
    for kind in sorted({o.question.kind or "-" for o in answerable}):
        rows = [i for i, o in enumerate(answerable) if (o.question.kind or "-") == kind]
        kinds[kind] = {"questions": len(rows)} | {
            name: round(statistics.fmean(per_question[name][i] for i in rows), 4)
            for name in ("hit@1", "hit@5", "mrr@10")
        }
    metrics["by_kind"] = kinds
    metrics["missed"] = [o.question.id for o in answerable if (o.first_relevant_rank or 99) > 5]
    metrics["wrongly_answered_off_topic"] = [o.question.id for o in off_topic if not o.answer.abstained]
    return metrics


def run_questions(retriever, questions: list[EvalQuestion], depth: int, reporter: Reporter | None = None) -> list[QuestionOutcome]:
    """Ask every question, keeping the top `depth` (at least 10) excerpts of each."""
    reporter = reporter or SilentReporter()
    reporter.start(len(questions))
    outcomes = []
    for question in questions:
        outcomes.append(QuestionOutcome(question, retriever.ask(question.question, k=max(depth, 10))))
        reporter.advance(1)
    reporter.finish()
    return outcomes


def write_run(outcomes: list[QuestionOutcome], path: Path) -> None:
    """JSONL, one line a question, ranked hits written even when the question was abstained on."""
    from qabot.storage import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(o.run_line(), ensure_ascii=False) + "\n" for o in outcomes))
