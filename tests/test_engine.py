"""One engine shared by many threads: the same answers as alone, one load, new generations picked up."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from conftest import REPO

from qabot.build import build_index
from qabot.engine import Engine


def dev_questions(count):
    lines = (REPO / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:count]


def fingerprint(answer):
    return answer.abstained, round(answer.confidence, 6), [(e.source, e.start, e.end, e.score, e.highlight) for e in answer.excerpts]


def test_eight_threads_asking_at_once_get_the_single_threaded_answers(retriever):
    questions = dev_questions(25)
    expected = {q: fingerprint(retriever.ask(q, k=5)) for q in questions}

    def worker(number):
        return [(q, fingerprint(retriever.ask(q, k=5))) for q in (questions[(number * 7 + i) % len(questions)] for i in range(50))]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [pair for batch in pool.map(worker, range(8)) for pair in batch]
    assert len(results) == 400
    assert all(got == expected[question] for question, got in results)


def test_concurrent_first_questions_share_one_load(seed_settings):
    engine = Engine(seed_settings)
    barrier = threading.Barrier(4)

    def first_question(_):
        barrier.wait()
        return engine.retriever()

    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(first_question, range(4)))
    assert all(r is loaded[0] for r in loaded)


def test_a_new_generation_is_picked_up_without_a_restart(seed_copy):
    settings = seed_copy.with_overrides({"chat": {"reload_seconds": 0}})
    engine = Engine(settings)
    before = engine.retriever()
    question = "Which lighthouse keeper logged every passing ship in a ledger?"
    assert all(e.source != "keeper.txt" for e in before.ask(question).excerpts)
    (settings.sources / "keeper.txt").write_text(
        "The lighthouse keeper logged every passing ship in a leather ledger for forty years.\n", encoding="utf-8")
    build_index(settings)
    after = engine.retriever()
    assert after is not before and after.index.generation != before.index.generation
    assert after.encoder is before.encoder  # same model: the loaded encoder is kept
    assert after.ask(question).excerpts[0].source == "keeper.txt"
    assert before.ask(question).excerpts  # questions still running on the old generation finish


def test_searching_from_worker_threads_leaves_other_threads_openmp_alone():
    import faiss

    from qabot.vector_index import search

    index = faiss.IndexFlatIP(8)
    index.add(np.eye(8, dtype=np.float32))
    before = faiss.omp_get_max_threads()

    def one_search(_):
        search(index, np.eye(8, dtype=np.float32)[:1], 3)
        return faiss.omp_get_max_threads()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(one_search, range(8))) == {1}
    assert faiss.omp_get_max_threads() == before
