"""`qabot bench`: the speed and scale figures, measured on this machine and printed as one table.

Scale runs use synthetic unit vectors drawn from a 32-dimensional Gaussian mixture projected to
the model's 384 dimensions (plus noise): like real sentence embeddings they have a low intrinsic
dimension, which is what approximate search relies on (isotropic random vectors would not).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

COLD_RUNS = 5
WARM_QUERIES = 200
SCALE_QUERIES = 200


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentiles(milliseconds: list[float]) -> tuple[float, float]:
    ordered = sorted(milliseconds)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def bench_questions(settings, retriever) -> list[str]:
    """Questions for the warm run: a question file's if there is one, else sentences of the sources."""
    path = Path("eval/dev.jsonl")
    if path.is_file():
        questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if questions:
            return questions
    return [p.text[:120] for p in retriever.index.passages[:50]]


def cold_ask(settings, question: str) -> list[float]:
    """Wall time of whole `qabot ask` processes against the built index (fresh interpreter each)."""
    env = {**os.environ, "QABOT_SOURCES": str(settings.sources), "QABOT_INDEX": str(settings.index)}
    times = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qabot", "ask", question, "--json"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def warm_ask(retriever, questions: list[str]) -> list[float]:
    """Milliseconds per ask on a loaded retriever, each question encoded and its postings read afresh:
    the questions repeat, and what is cached by question text would time a question nobody asks twice
    as cheaper than it is."""
    retriever.ask(questions[0])
    times = []
    for number in range(WARM_QUERIES):
        retriever.forget_questions()
        started = time.perf_counter()
        retriever.ask(questions[number % len(questions)])
        times.append((time.perf_counter() - started) * 1000)
    return times


def build_throughput(settings) -> dict:
    """Texts per second embedded by a full `build_index` versus raw `model.encode` on the same texts."""
    from qabot.build import build_index
    from qabot.embedder import load_embedder
    from qabot.index import Index
    from qabot.passages import sentence_texts

    with tempfile.TemporaryDirectory() as folder:
        scratch = settings.model_copy(update={"index": Path(folder)})
        report = build_index(scratch, force=True)
        index = Index.open(scratch.index)
        texts = []
        for passage in index.passages:
            texts.append(passage.embed_text)
            texts.extend(sentence_texts(index.documents[passage.source], passage))
        model = load_embedder(settings.model).model
        started = time.perf_counter()
        model.encode(texts, batch_size=settings.indexing.embed_batch_size, normalize_embeddings=True, show_progress_bar=False)
        raw_seconds = time.perf_counter() - started
    return {
        "texts": report.embedded_texts,
        "build_texts_per_s": report.embedded_texts / report.embed_seconds,
        "raw_encode_texts_per_s": len(texts) / raw_seconds,
        "build_total_s": report.seconds,
    }


def synthetic_vectors(
    count: int, dims: int, rng: np.random.Generator, projection: np.ndarray, centres: np.ndarray, spread: float = 0.5
) -> np.ndarray:
    """Unit vectors around random centres of a low-dimensional space; `spread` is the noise around a
    centre (0.5: two members of a cluster have cosine ~0.8; 1.0: ~0.5)."""
    import faiss

    vectors = np.empty((count, dims), dtype=np.float32)
    for first in range(0, count, 100_000):
        size = min(100_000, count - first)
        latent = centres[rng.integers(0, len(centres), size)] + spread * rng.standard_normal((size, centres.shape[1])).astype(np.float32)
        vectors[first : first + size] = latent @ projection + 0.5 * rng.standard_normal((size, dims)).astype(np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def scale_run(count: int, settings, dims: int = 384, seed: int = 0) -> dict:
    """Build the index `auto` would choose for `count` vectors; time searches; recall@10 vs exact."""
    import faiss

    from qabot.vector_index import build_vector_index, search

    rng = np.random.default_rng(seed)
    projection = rng.standard_normal((32, dims)).astype(np.float32)
    centres = rng.standard_normal((max(10, count // 1000), 32)).astype(np.float32)
    vectors = synthetic_vectors(count, dims, rng, projection, centres)
    queries = synthetic_vectors(SCALE_QUERIES, dims, rng, projection, centres)
    before = rss_bytes()
    started = time.perf_counter()
    index, params = build_vector_index(vectors, settings.indexing)
    build_seconds = time.perf_counter() - started
    memory = rss_bytes() - before
    with tempfile.TemporaryDirectory() as folder:
        faiss.write_index(index, f"{folder}/index.faiss")
        disk = os.path.getsize(f"{folder}/index.faiss")
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, rows = search(index, query[None, :], 10)
        times.append((time.perf_counter() - started) * 1000)
        found.append(rows[0])
    if params["type"] == "flat":
        recall = 1.0
    else:
        exact = faiss.IndexFlatIP(dims)
        exact.add(vectors)
        _, truth = exact.search(queries, 10)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)]))
        del exact
    p50, p99 = percentiles(times)
    bm25 = bm25_scale(count, rng)
    return {"size": count, "index": params["type"], "build_s": build_seconds, "rss_mb": memory / 2**20,
            "disk_mb": disk / 2**20, "search_p50_ms": p50, "search_p99_ms": p99, "recall@10": recall, **bm25}


def bm25_scale(count: int, rng: np.random.Generator, words: int = 30, vocabulary: int = 50_000) -> dict:
    """BM25 on `count` synthetic documents of Zipf-distributed words: build time and query p50."""
    from qabot.lexical import LexicalIndex

    ranks = rng.zipf(1.2, size=(count, words)) % vocabulary
    texts = [" ".join(f"w{r}" for r in row) for row in ranks]
    started = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    build_seconds = time.perf_counter() - started
    queries = [" ".join(f"w{r}" for r in rng.zipf(1.2, size=6) % vocabulary) for _ in range(100)]
    times = []
    for query in queries:
        started = time.perf_counter()
        lexical.scores(query)
        times.append((time.perf_counter() - started) * 1000)
    return {"bm25_build_s": build_seconds, "bm25_p50_ms": percentiles(times)[0]}


def run(settings, sizes: list[int]) -> dict:
    from qabot.retrieval import Retriever

    retriever = Retriever.open(settings)
    questions = bench_questions(settings, retriever)
    cold = cold_ask(settings, questions[0])
    warm_p50, warm_p99 = percentiles(warm_ask(retriever, questions))
    results = {
        "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "passages": len(retriever.index.passages),
        "cold_ask_s_median": statistics.median(cold),
        "cold_ask_s_min": min(cold),
        "warm_ask_p50_ms": warm_p50,
        "warm_ask_p99_ms": warm_p99,
        **build_throughput(settings),
        "scale": [scale_run(size, settings) for size in sizes],
    }
    results["build_vs_raw"] = results["build_texts_per_s"] / results["raw_encode_texts_per_s"]
    return results


def print_table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 150)
    head = Table(title=f"qabot bench — {results['machine']}, {results['passages']} passages")
    head.add_column("figure")
    head.add_column("value", justify="right")
    head.add_row("cold `qabot ask` (whole process, median / min)", f"{results['cold_ask_s_median']:.2f} s / {results['cold_ask_s_min']:.2f} s")
    head.add_row("warm ask p50 / p99 (embed, search, fuse, highlight)", f"{results['warm_ask_p50_ms']:.1f} ms / {results['warm_ask_p99_ms']:.1f} ms")
    head.add_row("build: texts embedded per s", f"{results['build_texts_per_s']:.0f}")
    head.add_row("raw model.encode: texts per s", f"{results['raw_encode_texts_per_s']:.0f}")
    head.add_row("build / raw throughput", f"{results['build_vs_raw']:.0%}")
    console.print(head)
    if results["scale"]:
        scale = Table(title="Scale (synthetic 384-d vectors; BM25 on synthetic 30-word documents)")
        for column in ("size", "index", "build s", "RSS MB", "disk MB", "search p50 ms", "p99 ms", "recall@10", "BM25 build s", "BM25 p50 ms"):
            scale.add_column(column, justify="right")
        for row in results["scale"]:
            scale.add_row(f"{row['size']:,}", row["index"], f"{row['build_s']:.1f}", f"{row['rss_mb']:.0f}", f"{row['disk_mb']:.0f}",
                          f"{row['search_p50_ms']:.2f}", f"{row['search_p99_ms']:.2f}", f"{row['recall@10']:.3f}",
                          f"{row['bm25_build_s']:.1f}", f"{row['bm25_p50_ms']:.2f}")
        console.print(scale)
