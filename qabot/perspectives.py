"""Who says what: each voice's best passage for a question, and whether the voice addresses it.

A voice (a document's author, or a Q&A speaker) is ranked by the same fused score
`Retriever.rank` gives every passage, restricted to its own passages. Its strength is the mean of
its two best fused scores over the question's best: a voice that really takes up a question tends
to do so in more than one passage and close to the best evidence anywhere, while a tangential
mention is one weaker passage. The bar (`retrieval.voice_bar`) is fitted on a labelled set, out
of fold (`qabot.perspective_eval`). Pure functions over arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qabot.arrays import sorted_unique


@dataclass(frozen=True)
class VoiceEvidence:
    voice: int  # number in `Index.voices`
    row: int  # its best passage
    strength: float  # mean of its two best fused scores over the question's best


def voice_evidence(scores: np.ndarray, passage_voices: np.ndarray, allowed: np.ndarray | None = None) -> list[VoiceEvidence]:
    """Every voice with a passage in `allowed` (all when None), strongest first."""
    rows = np.flatnonzero(allowed) if allowed is not None else np.arange(len(scores))
    if rows.size == 0:
        return []
    order = rows[np.argsort(-scores[rows], kind="stable")]
    top = float(scores[order[0]])
    voices = passage_voices[order]
    result = []
    for voice in sorted_unique(voices).tolist():
        own = order[voices == voice][:2]
        mean = float(np.mean(scores[own]))
        result.append(VoiceEvidence(int(voice), int(own[0]), mean / top if top > 0 else 0.0))
    return sorted(result, key=lambda e: (-e.strength, e.row))


def split_addressed(
    evidence: list[VoiceEvidence], bar: float, covered: bool = True
) -> tuple[list[VoiceEvidence], list[VoiceEvidence]]:
    """(voices that address the question, voices that seem not to), each strongest first. Strength
    is relative to the question's best passage, so when the sources do not cover the question at
    all (`covered` false: retrieval abstains) no voice addresses it, however it compares."""
    if not covered:
        return [], list(evidence)
    return [e for e in evidence if e.strength >= bar], [e for e in evidence if e.strength < bar]


def by_best_excerpt(evidence: list[VoiceEvidence], scores: np.ndarray) -> list[VoiceEvidence]:
    """Voices in the order of their best excerpt's score (how perspectives are shown: best first)."""
    return sorted(evidence, key=lambda e: (-float(scores[e.row]), e.row))


def voice_name(voice, source: str) -> str:
    """What a voice is called: the speaker, else the author, else its document."""
    return voice.label or source
