"""One engine per process: the shared, thread-safe way every conversation reaches the retriever.

The first `retriever()` call opens the index (building it when it is missing or stale) under a
lock, so concurrent first questions wait for one load instead of starting several. Afterwards a
call is a read of an immutable `Retriever` plus, at most every `chat.reload_seconds`, a one-line
read of `CURRENT`: when `qabot index` has written a new generation, it is opened and swapped in
whole, and questions already running finish on the old one. A long-running frontend never
rebuilds by itself; a broken new generation is logged and the old one kept.
"""

from __future__ import annotations

import logging
import threading
import time

from qabot.errors import QabotError
from qabot.progress import Reporter
from qabot.retrieval import Retriever
from qabot.settings import Settings

log = logging.getLogger(__name__)


class Engine:
    """The current `Retriever` for one settings (sources + index), shared by every user."""

    def __init__(self, settings: Settings, reporter: Reporter | None = None) -> None:
        self.settings = settings
        self._reporter = reporter
        self._lock = threading.Lock()
        self._retriever: Retriever | None = None
        self._checked = 0.0

    @property
    def loaded(self) -> bool:
        return self._retriever is not None

    def retriever(self) -> Retriever:
        """The retriever of the newest index generation (loaded on first use)."""
        current = self._retriever
        if current is None:
            with self._lock:
                if self._retriever is None:
                    self._retriever = Retriever.open(self.settings, self._reporter)
                    self._checked = time.monotonic()
                return self._retriever
        if time.monotonic() - self._checked >= self.settings.chat.reload_seconds:
            self._pick_up_new_generation(current)
        return self._retriever

    def _pick_up_new_generation(self, current: Retriever) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another thread is checking right now
        try:
            self._checked = time.monotonic()
            if self._retriever is not current:
                return
            try:
                index = current.index.reloaded()
            except QabotError as error:
                log.warning("new index generation not usable, keeping %s: %s", current.index.generation, error)
                return
            if index is None:
                return
            same_encoder = index.manifest.query_encoder == current.index.manifest.query_encoder
            self._retriever = Retriever(index, self.settings, current.encoder if same_encoder else None)
            log.info("index generation %s picked up (%d passages)", index.generation, len(index.passages))
        finally:
            self._lock.release()
