"""Work a question starts on a worker thread and collects later, so it runs beside the asking thread.

A question's slow steps that need no Python while they run (a FAISS search, BM25's postings read
with `pread`, numpy over them) release the interpreter lock, so on two cores one of them can run
while the asking thread does another (the query encoding, the excerpts' highlights). The workers
are shared by every retriever of the process; a task never waits for another task, and one not
started when its result is wanted runs on the asking thread instead, so a busy pool only costs
the overlap, never a deadlock or a queue behind other questions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
WORKERS = 4  # tasks of questions asked at once; beyond that a task runs on its asking thread


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="qabot-beside")


class Pending(Generic[T]):
    """A call started on a worker; `result()` waits for it, or runs it here if no worker took it yet."""

    def __init__(self, call: Callable[..., T], *args) -> None:
        self._call, self._args = call, args
        self._future: Future = _pool().submit(call, *args)

    def result(self) -> T:
        if self._future.cancel():  # still queued: no worker is free, so do it now rather than wait
            return self._call(*self._args)
        return self._future.result()


def beside(call: Callable[..., T], *args) -> Pending[T]:
    """Start `call(*args)` on a worker thread; collect it with `.result()` (its exception, if any)."""
    return Pending(call, *args)

