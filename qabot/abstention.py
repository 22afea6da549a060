"""Deciding that the sources do not cover a question, with a confidence a user can read.

Evidence = the best dense score of any passage (sentence- and passage-level mix), plus a bonus for
the share of the question's proper nouns that the corpus contains at all (a question about
"Alexander Cooley" is on topic when the sources name him, even if its wording matches little),
plus a bonus for the share of the question's words the best passages contain (a question that
names a known entity but asks what the sources never say shares few of its other words with them),
less a penalty for the IDF-weighted share of its words no passage uses, and less a penalty when it
asks for a number or a date that no sentence of its best passages offers (`qabot.answer_type`).
The threshold and bonuses are fitted on held-out folds of the development questions (see README and
scripts/fit_abstention.py); confidence is a logistic squashing of the margin, 0.5 at the threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Signals:
    """What abstention weighs, each in [0, 1] (dense may be lower): kept apart so they can be fitted."""

    best_dense: float
    known_names: float  # share of the question's proper-noun terms found anywhere in the sources
    covered: float  # share of the question's terms found in its best passages
    unknown: float = 0.0  # IDF-weighted share of the question's terms that no passage uses
    mismatch: float = 0.0  # asks for a number or date its best passages lack (see qabot.answer_type)

    def evidence(
        self, name_bonus: float, coverage_bonus: float, unknown_penalty: float = 0.0, mismatch_penalty: float = 0.0
    ) -> float:
        return (
            self.best_dense + name_bonus * self.known_names + coverage_bonus * self.covered
            - unknown_penalty * self.unknown - mismatch_penalty * self.mismatch
        )


def coverage(question_terms: list[str], passage_terms: set[str]) -> float:
    """Share of the question's (distinct) terms that the best passages contain."""
    wanted = set(question_terms)
    return len(wanted & passage_terms) / len(wanted) if wanted else 0.0


def confidence(evidence_value: float, threshold: float, scale: float) -> float:
    """Probability-like reading of the margin over the threshold (a ranking aid, not calibrated odds):
    `scale` evidence units per logit, so with 0.05 a margin of ±0.1 reads 0.12 / 0.88."""
    margin = (evidence_value - threshold) / scale
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, margin))))
