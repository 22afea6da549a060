"""Fit abstention (threshold, name bonus, coverage bonus, unknown-word and answer-type penalties) by leave-one-out over question files.

    python scripts/fit_abstention.py eval/dev.jsonl eval/dev2.jsonl [--sources seeds --index embeddings]

Each question's decision is made with parameters fitted on all the other questions, so the
answered / abstained shares printed are out-of-fold. The objective is the goal's: answer at least 95 % of answerable questions, and among the parameters that do,
abstain on the most off-topic ones (then answer the most). Prints the fit on all questions last:
those are the values to put in `settings.retrieval`.
"""

from __future__ import annotations

import itertools
import json

import numpy as np

from qabot.retrieval import Retriever
from fitting import retriever_and_questions  # scripts/fitting.py, beside this script

NAME_BONUSES = np.round(np.arange(0.0, 0.31, 0.05), 2)
COVERAGE_BONUSES = np.round(np.arange(0.0, 0.41, 0.05), 2)
UNKNOWN_PENALTIES = np.round(np.arange(0.0, 0.41, 0.05), 2)
MISMATCH_PENALTIES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)
ANSWERED_FLOOR = 0.95  # the goal: answer at least this share of answerable questions, then abstain most


def signals(retriever: Retriever, questions) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for question in questions:
        ranking = retriever.rank(question.question, None, None, retriever.settings.retrieval.mode)
        s = ranking.signals
        rows.append((s.best_dense, s.known_names, s.covered, s.unknown, s.mismatch))
        labels.append(question.answerable)
    return np.array(rows), np.array(labels)


def evidence_of(
    features: np.ndarray, name_bonus: float, coverage_bonus: float, unknown_penalty: float, mismatch_penalty: float
) -> np.ndarray:
    """As `Signals.evidence`, for rows of (best_dense, known_names, covered, unknown, mismatch)."""
    features = np.atleast_2d(features)
    return (
        features[:, 0] + name_bonus * features[:, 1] + coverage_bonus * features[:, 2]
        - unknown_penalty * features[:, 3] - mismatch_penalty * features[:, 4]
    )


def fit(features: np.ndarray, answerable: np.ndarray) -> tuple[float, float, float, float, float]:
    """(name_bonus, coverage_bonus, unknown_penalty, mismatch_penalty, threshold): at least ANSWERED_FLOOR of the
    answerable questions answered, then the most off-topic ones abstained; the threshold lies
    midway between the lowest evidence answered and the next one below."""
    best, chosen = -1.0, (0.0, 0.0, 0.0, 0.0, 0.0)
    grid = itertools.product(NAME_BONUSES, COVERAGE_BONUSES, UNKNOWN_PENALTIES, MISMATCH_PENALTIES)
    for weights in grid:
        evidence = evidence_of(features, *weights)
        cuts = np.unique(evidence)
        answered = evidence[None, :] >= cuts[:, None]
        kept = answered[:, answerable].mean(axis=1)
        scores = (~answered[:, ~answerable]).mean(axis=1) + kept / 100 - (kept < ANSWERED_FLOOR)  # floor first
        at = int(np.argmax(scores))
        if scores[at] > best + 1e-9:
            below = cuts[at - 1] if at > 0 else cuts[at] - 0.02
            threshold = float((cuts[at] + below) / 2)
            best, chosen = float(scores[at]), (*(float(w) for w in weights), threshold)
    return chosen


def main() -> None:
    retriever, questions = retriever_and_questions(__doc__.splitlines()[0])
    features, answerable = signals(retriever, questions)
    decisions = []
    for held_out in range(len(questions)):
        keep = np.arange(len(questions)) != held_out
        *weights, threshold = fit(features[keep], answerable[keep])
        decisions.append(bool(evidence_of(features[held_out], *weights)[0] >= threshold))
    decisions = np.array(decisions)
    name_bonus, coverage_bonus, unknown_penalty, mismatch_penalty, threshold = fit(features, answerable)
    print(json.dumps({
        "questions": len(questions), "answerable": int(answerable.sum()), "off_topic": int((~answerable).sum()),
        "out_of_fold_answered": round(float(decisions[answerable].mean()), 4),
        "out_of_fold_abstained": round(float((~decisions[~answerable]).mean()), 4),
        "wrong": [q.id for q, d, a in zip(questions, decisions, answerable) if d != a],
        "fit_on_all": {"name_bonus": name_bonus, "coverage_bonus": coverage_bonus, "unknown_penalty": unknown_penalty,
                        "mismatch_penalty": mismatch_penalty, "abstain_below": round(threshold, 4)},
    }, indent=1))


if __name__ == "__main__":
    main()
