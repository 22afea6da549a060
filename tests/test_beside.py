"""Work started beside the asking thread: the same result as a plain call, errors included, and a
saturated pool never makes a caller wait behind other questions."""

import threading

import pytest

from qabot.beside import WORKERS, beside


def test_a_call_started_beside_returns_what_the_plain_call_returns():
    assert beside(sorted, [3, 1, 2]).result() == [1, 2, 3]
    assert beside(divmod, 17, 5).result() == divmod(17, 5)


def test_an_error_of_a_call_started_beside_is_raised_by_result():
    pending = beside(int, "not a number")
    with pytest.raises(ValueError):
        pending.result()


def test_with_every_worker_busy_the_call_runs_on_the_asking_thread():
    release = threading.Event()
    started = threading.Barrier(WORKERS + 1)

    def hold() -> None:
        started.wait()
        release.wait()

    busy = [beside(hold) for _ in range(WORKERS)]
    started.wait(timeout=10)  # every worker is inside `hold`
    try:
        where = beside(lambda: threading.current_thread()).result()
        assert where is threading.current_thread()
    finally:
        release.set()
        for pending in busy:
            pending.result()
