"""Deciding that the sources do not cover a question, with a confidence a user can read.

Evidence = the best dense score of any passage (sentence- and passage-level mix) plus a bonus for
the share of the question's proper nouns that the corpus contains at all: a question about
"Alexander Cooley" is on topic when the sources name him, even if its wording matches little.
The threshold and bonus are fitted on held-out folds of a development question set (see README);
confidence is a logistic squashing of the margin, 0.5 exactly at the threshold.
"""

from __future__ import annotations

import math
import re

from qabot.lexical import tokenize

_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")


def proper_nouns(question: str) -> list[str]:
    """Capitalised words not at the start of the question, and acronyms: names, places, bodies."""
    words = _WORD.findall(question)
    return [
        w for i, w in enumerate(words)
        if (w.isupper() and len(w) > 1) or (i > 0 and w[0].isupper() and w.lower() != "i")
    ]


def known_name_share(question: str, vocabulary) -> float:
    """Share of the question's proper-noun terms that occur somewhere in the indexed passages."""
    terms = [t for word in proper_nouns(question) for t in tokenize(word)]
    if not terms:
        return 0.0
    return sum(t in vocabulary for t in terms) / len(terms)


def evidence(best_dense: float, question: str, vocabulary, name_bonus: float) -> float:
    return best_dense + name_bonus * known_name_share(question, vocabulary)


def confidence(evidence_value: float, threshold: float, scale: float) -> float:
    """Probability-like reading of the margin over the threshold (a ranking aid, not calibrated odds):
    `scale` evidence units per logit, so with 0.05 a margin of ±0.1 reads 0.12 / 0.88."""
    margin = (evidence_value - threshold) / scale
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, margin))))
