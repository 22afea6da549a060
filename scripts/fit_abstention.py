"""Fit abstention (threshold, name bonus, coverage bonus) by leave-one-out over question files.

    python scripts/fit_abstention.py eval/dev.jsonl eval/dev2.jsonl [--sources seeds --index embeddings]

Each question's decision is made with parameters fitted on all the other questions, so the
answered / abstained shares printed are out-of-fold. The objective is the goal's: answer at least 95 % of answerable questions, and among the parameters that do,
abstain on the most off-topic ones (then answer the most). Prints the fit on all questions last:
those are the values to put in `settings.retrieval`.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

from qabot import evaluation
from qabot.retrieval import Retriever
from qabot.settings import load_settings

NAME_BONUSES = np.round(np.arange(0.0, 0.31, 0.05), 2)
COVERAGE_BONUSES = np.round(np.arange(0.0, 0.41, 0.05), 2)
ANSWERED_FLOOR = 0.95  # the goal: answer at least this share of answerable questions, then abstain most


def signals(retriever: Retriever, questions) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for question in questions:
        ranking = retriever.rank(question.question, None, None, retriever.settings.retrieval.mode)
        s = ranking.signals
        rows.append((s.best_dense, s.known_names, s.covered))
        labels.append(question.answerable)
    return np.array(rows), np.array(labels)


def fit(features: np.ndarray, answerable: np.ndarray) -> tuple[float, float, float]:
    """(name_bonus, coverage_bonus, threshold) with the best balanced accuracy on these questions;
    the threshold lies midway between the lowest evidence answered and the next one below."""
    best, chosen = -1.0, (0.0, 0.0, 0.0)
    for name_bonus, coverage_bonus in itertools.product(NAME_BONUSES, COVERAGE_BONUSES):
        evidence = features[:, 0] + name_bonus * features[:, 1] + coverage_bonus * features[:, 2]
        cuts = np.unique(evidence)
        answered = evidence[None, :] >= cuts[:, None]
        kept = answered[:, answerable].mean(axis=1)
        scores = (~answered[:, ~answerable]).mean(axis=1) + kept / 100 - (kept < ANSWERED_FLOOR)  # floor first
        at = int(np.argmax(scores))
        if scores[at] > best + 1e-9:
            below = cuts[at - 1] if at > 0 else cuts[at] - 0.02
            best, chosen = float(scores[at]), (float(name_bonus), float(coverage_bonus), float((cuts[at] + below) / 2))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="+", type=Path)
    parser.add_argument("--sources", type=Path, default=Path("seeds"))
    parser.add_argument("--index", type=Path, default=Path("embeddings"))
    args = parser.parse_args()
    retriever = Retriever.open(load_settings(sources=args.sources, index=args.index))
    documents = retriever.index.documents
    questions = [
        q for path in args.questions
        for q in evaluation.load_questions(path, lambda s: documents[s].text if s in documents else None).questions
    ]
    features, answerable = signals(retriever, questions)
    decisions = []
    for held_out in range(len(questions)):
        keep = np.arange(len(questions)) != held_out
        name_bonus, coverage_bonus, threshold = fit(features[keep], answerable[keep])
        f = features[held_out]
        decisions.append(f[0] + name_bonus * f[1] + coverage_bonus * f[2] >= threshold)
    decisions = np.array(decisions)
    name_bonus, coverage_bonus, threshold = fit(features, answerable)
    print(json.dumps({
        "questions": len(questions), "answerable": int(answerable.sum()), "off_topic": int((~answerable).sum()),
        "out_of_fold_answered": round(float(decisions[answerable].mean()), 4),
        "out_of_fold_abstained": round(float((~decisions[~answerable]).mean()), 4),
        "wrong": [q.id for q, d, a in zip(questions, decisions, answerable) if d != a],
        "fit_on_all": {"name_bonus": name_bonus, "coverage_bonus": coverage_bonus, "abstain_below": round(threshold, 4)},
    }, indent=1))


if __name__ == "__main__":
    main()
