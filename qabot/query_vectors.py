"""Query vectors by text, cached, with texts that are needed together encoded in one run.

A follow-up is ranked as read ("what does Lukyanov think…") and as typed ("what does he
think…"), with the previous question as context: the context was encoded last turn, and the two
new texts go through the model as one batch of two, which costs well under two runs of one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np


class QueryVectors:
    """The last `size` query vectors (read-only arrays), shared by every thread of a `Retriever`."""

    def __init__(self, encoder, size: int = 512) -> None:
        self.encoder, self.size = encoder, size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        return self.many([text])[0]

    def many(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The vectors of `texts`; those not cached are encoded together."""
        with self._lock:
            found = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            for text, vector in zip(missing, self._encode(missing), strict=True):
                vector = np.asarray(vector, dtype=np.float32)
                vector.setflags(write=False)  # shared through the cache
                found[text] = vector
            with self._lock:
                for text in missing:
                    self._vectors[text] = found[text]
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return [found[text] for text in texts]

    def _encode(self, texts: list[str]):
        if len(texts) == 1:
            return [self.encoder.encode_query(texts[0])]  # a stand-alone question: exactly as before
        batch = getattr(self.encoder, "encode_queries", None) or self.encoder.encode
        return batch(texts)

    def cache_clear(self) -> None:
        """Forget every vector (benchmarks time questions encoded afresh)."""
        with self._lock:
            self._vectors.clear()
