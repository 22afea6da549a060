"""The bounded per-user and per-thread state of a long-running frontend, on a hand-driven clock."""

from __future__ import annotations

from qabot.sessions import BoundedStore, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_store_forgets_the_least_recently_used_entry_past_its_size():
    store = BoundedStore(max_entries=2, ttl=100, clock=Clock())
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # "a" is now the most recently used
    store.put("c", 3)
    assert "b" not in store and store.get("a") == 1 and store.get("c") == 3 and len(store) == 2


def test_store_forgets_entries_idle_longer_than_the_ttl():
    clock = Clock()
    store = BoundedStore(max_entries=10, ttl=60, clock=clock)
    store.put("idle", 1)
    store.put("busy", 2)
    clock.now = 50
    store.get("busy")
    clock.now = 100
    assert store.get("idle") is None and store.get("busy") == 2 and len(store) == 1


def test_store_get_or_create_creates_once():
    store = BoundedStore(max_entries=10, ttl=60, clock=Clock())
    made = []
    for _ in range(3):
        store.get_or_create("k", lambda: made.append(1) or len(made))
    assert made == [1] and store.get("k") == 1


def test_rate_limiter_allows_the_limit_then_says_how_long_to_wait():
    clock = Clock()
    limiter = RateLimiter(limit=2, window=30, clock=clock)
    assert limiter.try_acquire("ann") == 0.0
    clock.now = 10
    assert limiter.try_acquire("ann") == 0.0
    clock.now = 20
    assert limiter.try_acquire("ann") == 10.0  # the first action leaves the window at t=30
    assert limiter.try_acquire("bob") == 0.0  # per user
    clock.now = 30.5
    assert limiter.try_acquire("ann") == 0.0


def test_rate_limiter_forgets_users_once_their_window_has_passed():
    clock = Clock()
    limiter = RateLimiter(limit=5, window=30, clock=clock)
    for user in range(1000):
        limiter.try_acquire(user)
    assert len(limiter) == 1000
    clock.now = 31
    limiter.try_acquire("late")
    assert len(limiter) == 1
