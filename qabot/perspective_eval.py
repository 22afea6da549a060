"""Measuring perspectives on a labelled set, and fitting the bar a voice must reach to "address" it.

Each line: `{"id", "question", "voices": [{"voice", "source", "answer"}], "not_addressed": [voice]}`.
Labelled voice names are matched to index voices by normalised containment ("Farkhod Tolipov" in
the speaker label, a document author in the voice's author). Reported: precision and recall of
"addressed" (out of fold: 5 folds by question, bar fitted for the best recall at precision ≥ 0.9),
the same under the bar in the settings, hit@1 of each addressed voice's excerpt against its gold
span (the relevance rule of `qabot.evaluation`), and the warm latency of perspectives against a
plain ask on the same questions. Two figures say why a voice's excerpt misses: whether its gold
passage is among the voice's best three (`voice_hit@3`), and whether the excerpt is the gold
passage or the one next to it (`voice_beside_gold@1`: the voice's argument runs over several
passages and the best-scored one is a neighbour of the labelled one).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from qabot.calibration import count, fit_threshold, out_of_fold
from qabot.evaluation import EvalInputError, find_occurrences
from qabot.perspectives import voice_evidence

MIN_PRECISION = 0.9
FOLDS = 5


@dataclass(frozen=True)
class VoiceCase:
    """One labelled (question, voice): its strength, the label, and whether its excerpt hits gold."""

    question: str
    voice: str
    strength: float
    addressed: bool
    hit: bool | None  # None when not addressed (no gold span)
    gold_rank: int | None = None  # the gold passage's place among the voice's own passages (1 = shown)
    beside: bool | None = None  # the shown passage is the gold one or its neighbour in the document


def normalised(name: str) -> str:
    return " ".join(re.findall(r"\w+", name.lower()))


def voice_number(index, name: str) -> int | None:
    """The index voice a labelled name means: the one whose label contains it, or is contained in it."""
    wanted = normalised(name)
    found = [n for n, v in enumerate(index.voices) if v.label and (wanted in normalised(v.label) or normalised(v.label) in wanted)]
    return found[0] if len(found) == 1 else None


def covers_half(passage, source: str, spans: list[tuple[int, int]]) -> bool:
    return passage.source == source and any(
        2 * (min(passage.end, end) - max(passage.start, start)) >= end - start > 0 and passage.start < end and start < passage.end
        for start, end in spans
    )


def gold_place(index, scores, voice: int, shown: int, span: dict) -> tuple[int | None, bool]:
    """(the place of the voice's best gold-covering passage in its own ranking, whether the shown
    passage is a gold one or next to one in the same document)."""
    occurrences = find_occurrences(index.document(span["source"]).text, span["answer"])
    own = np.flatnonzero(index.passage_voices == voice)
    order = own[np.argsort(-scores[own], kind="stable")]
    gold = [place for place, row in enumerate(order.tolist(), 1)
            if covers_half(index.passages[row], span["source"], occurrences)]
    rows = {int(order[place - 1]) for place in gold}
    beside = any(abs(shown - row) <= 1 and index.passages[row].source == index.passages[shown].source for row in rows)
    return (gold[0] if gold else None), beside


def voice_cases(retriever, path: Path) -> tuple[list[VoiceCase], list[str]]:
    """Every labelled (question, voice) scored by the retriever, and `file:line: why` problems."""
    if not path.is_file():
        raise EvalInputError(f"perspectives file {path} does not exist")
    index, cases, problems = retriever.index, [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            question, gold, silent = data["question"], data["voices"], data["not_addressed"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            problems.append(f"{path}:{number}: {error}")
            continue
        ranking = retriever.rank(
            question, None, None, retriever.settings.retrieval.mode, share=retriever.settings.retrieval.voice_dense_weight
        )
        evidence = {e.voice: e for e in voice_evidence(ranking.scores, index.passage_voices)}
        covered = ranking.evidence >= retriever.settings.retrieval.abstain_below  # else no voice addresses it
        labelled = [(g["voice"], g) for g in gold] + [(name, None) for name in silent]
        for name, span in labelled:
            voice = voice_number(index, name)
            if voice is None or voice not in evidence:
                problems.append(f"{path}:{number}: no single indexed voice matches {name!r}")
                continue
            hit = gold_rank = beside = None
            if span is not None:
                gold_rank, beside = gold_place(index, ranking.scores, voice, evidence[voice].row, span)
                hit = gold_rank == 1
            strength = evidence[voice].strength if covered else 0.0
            cases.append(VoiceCase(str(data.get("id", number)), name, strength, span is not None, hit,
                                   gold_rank, beside))
    if not cases:
        raise EvalInputError(f"no usable question in {path}")
    return cases, problems


def evaluate_perspectives(retriever, cases: list[VoiceCase], questions: list[str]) -> dict:
    labels = [c.addressed for c in cases]
    fit = lambda items, truth: fit_threshold([c.strength for c in items], truth, MIN_PRECISION)  # noqa: E731
    decided, bars = out_of_fold(cases, labels, [c.question for c in cases], FOLDS, fit, lambda bar, c: c.strength >= bar)
    oof = count(decided, labels)
    bar = retriever.settings.retrieval.voice_bar
    now = count([c.strength >= bar for c in cases], labels)
    hits = [c.hit for c in cases if c.addressed]
    return {
        "questions": len({c.question for c in cases}), "voices_labelled": len(cases), "addressed": sum(labels),
        "addressed_precision_oof": round(oof.precision, 4), "addressed_recall_oof": round(oof.recall, 4),
        "fitted_bar": round(fit(cases, labels), 4), "fold_bars": [round(b, 4) for b in bars],
        "addressed_precision_settings": round(now.precision, 4), "addressed_recall_settings": round(now.recall, 4),
        "voice_hit@1": round(statistics.fmean(hits), 4) if hits else 0.0,
        "voice_hit@3": share([c.gold_rank is not None and c.gold_rank <= 3 for c in cases if c.addressed]),
        "voice_beside_gold@1": share([bool(c.beside) for c in cases if c.addressed]),
    } | latency(retriever, questions)


def share(flags: list[bool]) -> float:
    return round(statistics.fmean(flags), 4) if flags else 0.0


def latency(retriever, questions: list[str], repeats: int = 3) -> dict:
    """Median warm milliseconds of `ask`, of `perspectives`, and of the corroboration inside an ask
    (finding `also` for its excerpts) over the questions. The questions repeat, so each call first
    forgets what is cached by question text and by passage: all three are timed as first sights."""
    retriever.ask(questions[0])
    timings: dict[str, list[float]] = {"ask": [], "perspectives": [], "also": []}
    for _ in range(repeats):
        for question in questions:
            for name, call in (("ask", retriever.ask), ("perspectives", retriever.perspectives)):
                retriever.forget_questions()
                retriever.forget_passages()
                started = time.perf_counter()
                result = call(question)
                timings[name].append(1000 * (time.perf_counter() - started))
                if name == "ask":
                    rows = [retriever.row_of(e) for e in result.excerpts]
                    retriever.forget_passages()
                    started = time.perf_counter()
                    for row in rows:
                        retriever.also(row)
                    timings["also"].append(1000 * (time.perf_counter() - started))
    ask, perspectives = statistics.median(timings["ask"]), statistics.median(timings["perspectives"])
    return {
        "ask_ms_p50": round(ask, 2), "perspectives_ms_p50": round(perspectives, 2),
        "perspectives_over_ask": round(perspectives / ask, 2),
        "also_ms_p50_per_ask": round(statistics.median(timings["also"]), 2),
    }


def questions_of(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
