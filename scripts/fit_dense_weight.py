"""Pick the hybrid `dense_weight` and `adaptive_weight` by leave-one-out over question files (out-of-fold figures).

    python scripts/fit_dense_weight.py eval/dev.jsonl eval/dev2.jsonl [--sources seeds --index embeddings]

For each answerable question, the pair is the one with the best MRR@10 on all the other
questions; the hit@1/hit@5/MRR@10 printed are that question's under that pair, averaged. An
adaptive weight of 0 is the fixed dense share of before, so the fit can always fall back to it.
"""

from __future__ import annotations

import itertools
import json

import numpy as np

from qabot import evaluation
from fitting import retriever_and_questions  # scripts/fitting.py, beside this script

WEIGHTS = tuple(itertools.product((0.3, 0.4, 0.5, 0.6, 0.7), (0.0, 0.5, 1.0, 1.5)))  # (dense, adaptive)


def main() -> None:
    base, questions = retriever_and_questions(__doc__.splitlines()[0])
    questions = [q for q in questions if q.answerable]
    first = np.zeros((len(WEIGHTS), len(questions)))  # rank of the first relevant hit (99: none)
    for w, (dense_weight, adaptive_weight) in enumerate(WEIGHTS):
        overrides = {"retrieval": {"dense_weight": dense_weight, "adaptive_weight": adaptive_weight}}
        retriever = base.with_settings(base.settings.with_overrides(overrides))
        for q, outcome in enumerate(evaluation.run_questions(retriever, questions, 10)):
            first[w, q] = outcome.first_relevant_rank or 99
    reciprocal = np.where(first <= 10, 1.0 / first, 0.0)
    chosen = []
    for q in range(len(questions)):
        others = np.delete(reciprocal, q, axis=1).mean(axis=1)
        chosen.append(int(np.argmax(others)))
    picked = first[chosen, np.arange(len(questions))]
    print(json.dumps({
        "answerable": len(questions),
        "in_sample_mrr@10": {f"{w[0]}/{w[1]}": round(float(reciprocal[i].mean()), 4) for i, w in enumerate(WEIGHTS)},
        "out_of_fold": {
            "hit@1": round(float((picked <= 1).mean()), 4), "hit@5": round(float((picked <= 5).mean()), 4),
            "mrr@10": round(float(np.where(picked <= 10, 1.0 / picked, 0.0).mean()), 4),
        },
        "chosen_dense/adaptive": sorted({WEIGHTS[c] for c in chosen}),
        "fit_on_all": WEIGHTS[int(np.argmax(reciprocal.mean(axis=1)))],
    }, indent=1))


if __name__ == "__main__":
    main()
