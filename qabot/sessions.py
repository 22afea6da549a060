"""State a long-running chat frontend keeps per user and per thread, bounded so it cannot grow for ever.

A bot that runs for months meets an unbounded number of users and threads: both maps here drop
what has not been used for a while (TTL) and, past a size, the least recently used entry (LRU).
Neither is thread-safe: the Discord bot touches them only from its event loop.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedStore(Generic[Value]):
    """A map that forgets entries unused for `ttl` seconds, and the least recently used past `max_entries`."""

    def __init__(self, max_entries: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Value]] = OrderedDict()

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key, touch=False) is not None

    def get(self, key: Hashable, touch: bool = True) -> Value | None:
        """The value under `key` (marking it used), or None if there is none or it expired."""
        self._expire()
        entry = self._entries.get(key)
        if entry is None:
            return None
        if touch:
            self._entries[key] = (self._clock(), entry[1])
            self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, value: Value) -> Value:
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        self._expire()
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return value

    def get_or_create(self, key: Hashable, create: Callable[[], Value]) -> Value:
        value = self.get(key)
        return value if value is not None else self.put(key, create())

    def _expire(self) -> None:
        """Drop expired entries: they sit at the front, since every use moves an entry to the end."""
        horizon = self._clock() - self.ttl
        while self._entries:
            key, (used, _) = next(iter(self._entries.items()))
            if used > horizon:
                break
            del self._entries[key]


class RateLimiter:
    """At most `limit` actions per user in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._recent: OrderedDict[Hashable, deque[float]] = OrderedDict()  # user → times, least recent user first

    def __len__(self) -> int:
        """Users currently remembered (only those who acted within the window)."""
        self._forget_idle(self._clock())
        return len(self._recent)

    def try_acquire(self, user: Hashable) -> float:
        """Record an action by `user` and return 0.0, or return the seconds to wait when over the limit."""
        now = self._clock()
        self._forget_idle(now)
        times = self._recent.get(user)
        if times is None:
            times = self._recent[user] = deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(times[0] + self.window - now, 0.001)
        times.append(now)
        self._recent.move_to_end(user)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        """Users whose latest action left the window are forgotten (they sit at the front)."""
        while self._recent:
            user, times = next(iter(self._recent.items()))
            if times and times[-1] > now - self.window:
                break
            del self._recent[user]
