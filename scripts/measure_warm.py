"""Warm asks on a built index, as `corpus_bench.measure_answers` times them, with where they go.

The questions are `measure_answers`' (openings of 200 passages spread over the index), each asked
after `Retriever.forget_questions()`. Prints warm p50/p99, then the median milliseconds of each
phase of an ask (timers wrapped around the retriever's methods; a phase marked "beside" runs on a
worker thread at the same time as the one before it, see `qabot.beside`), and with `--also-recall` how many of
the "also" matches of the 200 questions' first pages each `retrieval.also_nprobe` keeps against the
first value given:

    python scripts/measure_warm.py /tmp/qabot-million [--also-recall 16,8,4]

(DIR as built by `scripts/measure_million.py`: DIR/sources and DIR/index.)
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from qabot.benchmark import percentiles, warm_ask
from qabot.corpus_bench import bench_questions
from qabot.corroboration import Corroborator
from qabot.index import Index
from qabot.retrieval import Retriever
from qabot.settings import Settings

PHASES = [
    (Retriever, "rank", "rank"), (Retriever, "query_vector", "rank: query encoding"),
    (Index, "dense_search", "rank: dense search"), (Retriever, "lexical_hits", "rank: BM25 (beside)"),
    (Retriever, "_answer", "page (excerpts, also)"), (Retriever, "excerpt", "page: excerpts"),
    (Corroborator, "search_many", "page: also search (beside)"), (Corroborator, "matches_many", "page: also matching"),
]


def timed_phases(retriever: Retriever, questions: list[str]) -> dict[str, float]:
    spent: dict[str, float] = defaultdict(float)
    for owner, name, label in PHASES:
        real = getattr(owner, name)

        def timer(*args, _real=real, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - started

        setattr(owner, name, functools.wraps(real)(timer))
    per: dict[str, list[float]] = defaultdict(list)
    for question in questions:
        retriever.forget_questions()
        spent.clear()
        retriever.ask(question)
        for label, seconds in spent.items():
            per[label].append(seconds * 1000)
    return {label: statistics.median(values) for label, values in per.items()}


def also_recall(retriever: Retriever, questions: list[str], values: list[int]) -> None:
    pages = [[row for row, _ in retriever.rank(q, None, None, "hybrid").rows[:5]] for q in questions]
    found = {}
    for nprobe in values:
        retriever.corroborator.nprobe = nprobe
        started = time.perf_counter()
        found[nprobe] = [{(m.row, m.sentence) for m in ms} for page in pages for ms in retriever.corroborator.matches_many(page)]
        took = (time.perf_counter() - started) / len(pages) * 1000
        reference = found[values[0]]
        kept = sum(len(a & b) for a, b in zip(reference, found[nprobe]))
        total = sum(map(len, reference))
        same = sum(a == b for a, b in zip(reference, found[nprobe]))
        print(f"also_nprobe {nprobe}: {took:.1f} ms a page; keeps {kept} of nprobe {values[0]}'s {total} matches "
              f"({kept / max(total, 1):.3f}), {sum(len(b - a) for a, b in zip(reference, found[nprobe]))} new, "
              f"{same} of {len(reference)} lists identical")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--also-recall", default="", help="also_nprobe values to compare, the first the reference")
    args = parser.parse_args()
    settings = Settings().model_copy(update={"sources": args.folder / "sources", "index": args.folder / "index"})
    retriever = Retriever(Index.open(settings.index), settings)
    questions = bench_questions(retriever.index)
    p50, p99 = percentiles(warm_ask(retriever, questions))
    print(f"warm p50 / p99: {p50:.1f} / {p99:.1f} ms (load {os.getloadavg()[0]:.1f})")
    fresh = Retriever(retriever.index, settings, retriever.encoder)  # per-passage caches empty, as for the run above
    phases = timed_phases(fresh, questions)
    for _, _, label in PHASES:
        print(f"  {label:28s} {phases.get(label, 0.0):6.2f} ms (median)")
    if args.also_recall:
        also_recall(retriever, questions, [int(v) for v in args.also_recall.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
