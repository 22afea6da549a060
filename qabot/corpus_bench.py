"""`qabot bench --corpus N`: build and answer over a generated folder of about N passages.

Documents are made of paragraphs of 4 sentences of 18 words (~450 characters, so about one passage
each), 100 paragraphs per file. Words follow Zipf's law (exponent 1, as in English) over ~115
English function words, commonest first, then 30,000 distinct pseudo-words: about half the tokens
are function words, which BM25 drops (`qabot.lexical.STOPWORDS`) as it does in any real folder.
With `--synthetic-vectors` the model is replaced by Gaussian-mixture vectors (see
`qabot.benchmark` and `SPREAD` below), so a million passages can be measured without hours of encoding; everything
else (reading, splitting, BM25, FAISS, the generation files, `qabot ask`) is the real thing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PARAGRAPHS_PER_FILE = 100
SENTENCES_PER_PARAGRAPH = 4


# English function words, commonest first (the head of word-frequency lists of English text); every
# one is in `qabot.lexical.STOPWORDS`, so BM25 drops them from these files as from any real folder.
FUNCTION_WORDS = """the of and to a in that is was it for on with he as be at by i this had not are but from or
have an they which his her you were she there been would their we him all has will when who if more no so what
can said about up out them my some could then into than its our only other these do over any me very after most
such those before through should where between both each few own under while being because did same again
against here how just until why further during off once does below above nor now too your himself themselves
itself herself""".split()
CONTENT_WORDS = 30_000
WORDS_PER_SENTENCE = 18
# Vectors: clusters of ~1,000 passages whose members have cosine ~0.5 (same topic, as the model
# gives sentences about one subject; unrelated ones ~0). At cosine ~0.8 every passage had a thousand
# near-paraphrases, and "also" (a claim stated elsewhere) found ~100 sources for every excerpt.
SPREAD = 1.0


def vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """The function words, then distinct pseudo-words of 2–4 syllables; and each word's probability:
    Zipf's law with exponent 1 over that ranking (as in English), so function words are about half
    of the tokens and the commonest content word is in a few percent of the passages."""
    syllables = [c + v for c in ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "th", "st", "dr")
                 for v in ("a", "e", "i", "o", "u", "an", "er", "on")]
    content: dict[str, None] = {}
    while len(content) < CONTENT_WORDS:
        word = "".join(rng.choice(syllables, size=int(rng.integers(2, 5))))
        if word not in FUNCTION_WORDS:
            content[word] = None
    words = FUNCTION_WORDS + list(content)
    weights = 1.0 / np.arange(1, len(words) + 1)
    return words, weights / weights.sum()


def write_corpus(folder: Path, passages: int, seed: int = 0) -> int:
    """About `passages` passages of realistic length in `folder`; returns the number of files."""
    rng = np.random.default_rng(seed)
    words, probabilities = vocabulary(rng)
    cumulative = np.cumsum(probabilities)
    folder.mkdir(parents=True, exist_ok=True)
    files = max(1, -(-passages // PARAGRAPHS_PER_FILE))
    per_paragraph = SENTENCES_PER_PARAGRAPH * WORDS_PER_SENTENCE
    for number in range(files):
        count = min(PARAGRAPHS_PER_FILE, passages - number * PARAGRAPHS_PER_FILE) or PARAGRAPHS_PER_FILE
        ranks = np.minimum(np.searchsorted(cumulative, rng.random(count * per_paragraph)), len(words) - 1)
        chosen = [words[r] for r in ranks]
        paragraphs = []
        for p in range(count):
            sentences = []
            for s in range(SENTENCES_PER_PARAGRAPH):
                first = p * per_paragraph + s * WORDS_PER_SENTENCE
                sentences.append(" ".join(chosen[first : first + WORDS_PER_SENTENCE]).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        (folder / f"doc{number:06d}.txt").write_text(f"Report {number}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return files


def synthetic_embed(records, settings, report, reporter, dims: int = 384) -> int:
    """Gaussian-mixture unit vectors for every record still to embed (a stand-in for the model),
    written to memory-mapped scratch files beside the index so a million passages fit in RAM."""
    missing = [r for r in records if r.vector is None]
    report.embedded = len(missing)
    rng = np.random.default_rng(1)
    projection = rng.standard_normal((32, dims)).astype(np.float32)
    centres = rng.standard_normal((max(10, len(missing) // 1000), 32)).astype(np.float32)
    counts = [len(r.passage.sentences) for r in missing]
    scratch = settings.index.parent / "synthetic-vectors"
    scratch.mkdir(parents=True, exist_ok=True)
    passages = _synthetic_file(scratch / f"passages-{time.time_ns()}.npy", len(missing), dims, rng, projection, centres)
    sentences = _synthetic_file(scratch / f"sentences-{time.time_ns()}.npy", sum(counts), dims, rng, projection, centres)
    row = 0
    for record, vector, count in zip(missing, passages, counts):
        record.vector, record.sentence_vectors = vector, sentences[row : row + count]
        row += count
    report.embedded_texts = len(missing) + row
    return dims


def _synthetic_file(path: Path, count: int, dims: int, rng, projection, centres) -> np.ndarray:
    from qabot.benchmark import synthetic_vectors

    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(count, dims))
    for first in range(0, count, 100_000):
        size = min(100_000, count - first)
        out[first : first + size] = synthetic_vectors(size, dims, rng, projection, centres, SPREAD)
    out.flush()
    return out


def disk_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


_TIMED_CHILD = (
    "import json, resource, subprocess, sys, time; started = time.perf_counter(); "
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(json.dumps([time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
)


def cold_asks(settings, questions: list[str], runs: int = 5) -> tuple[list[float], float]:
    """Wall times of whole `qabot ask` processes, and the largest RSS one of them reached (MB).

    Each is started by a small Python process that times it: a child forked from this one (which
    may hold a built corpus) would count this process's memory as its own peak."""
    env = {**os.environ, "QABOT_SOURCES": str(settings.sources), "QABOT_INDEX": str(settings.index)}
    times, peaks = [], []
    for number in range(runs):
        ask = [sys.executable, "-m", "qabot", "ask", questions[number % len(questions)], "--json"]
        output = subprocess.run([sys.executable, "-c", _TIMED_CHILD, *ask], env=env, check=True, capture_output=True, text=True)
        seconds, peak_kb = json.loads(output.stdout)
        times.append(seconds)
        peaks.append(peak_kb / 1024)
    return times, max(peaks)


def run_corpus(settings, passages: int, synthetic: bool, folder: Path) -> dict:
    """Generate, build (timed), then cold asks, warm asks and sizes over the generated corpus."""
    from qabot.build import build_index

    settings = settings.model_copy(update={"sources": folder / "sources", "index": folder / "index"})
    files = write_corpus(settings.sources, passages)
    report = build_index(settings, force=True, embed=synthetic_embed if synthetic else None)
    return {
        "corpus_passages": report.passages, "corpus_files": files, "synthetic_vectors": synthetic,
        "build_s": report.seconds, "embed_s": report.embed_seconds,
        "build_passages_per_s": report.passages / report.seconds,
        "embed_passages_per_s": (report.passages / report.embed_seconds) if report.embed_seconds else None,
        "embed_precision": report.precision or None, **measure_answers(settings),
    }


def bench_questions(index) -> list[str]:
    """The bench's questions: the openings of `WARM_QUERIES` passages spread over the index."""
    from qabot.benchmark import WARM_QUERIES

    step = max(1, len(index.passages) // WARM_QUERIES)
    return [index.passages[row].text[:100] for row in range(0, len(index.passages), step)]


def measure_answers(settings) -> dict:
    """Cold asks (whole processes), warm asks and sizes over a built generated corpus; its questions
    are the openings of `WARM_QUERIES` passages spread over the index, so no warm ask repeats one
    (a repeated question finds its passages' terms, highlights and "also" cached)."""
    from qabot.benchmark import percentiles, warm_ask
    from qabot.retrieval import Retriever

    retriever = Retriever.open(settings)
    index = retriever.index
    questions = bench_questions(index)
    cold, rss = cold_asks(settings, questions)
    warm_p50, warm_p99 = percentiles(warm_ask(retriever, questions))
    return {
        "cold_ask_s_median": statistics.median(cold), "cold_ask_s_max": max(cold), "cold_ask_rss_mb": rss,
        "warm_ask_p50_ms": warm_p50, "warm_ask_p99_ms": warm_p99,
        "index_disk_mb": disk_bytes(settings.index) / 2**20, "sources_disk_mb": disk_bytes(settings.sources) / 2**20,
        "vector_index": index.manifest.vector_index, "sentence_index": index.manifest.sentence_index,
    }


def print_corpus(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"qabot bench --corpus: {results['corpus_passages']:,} passages in {results['corpus_files']:,} files"
                  + (" (synthetic vectors)" if results["synthetic_vectors"] else ""))
    table.add_column("figure")
    table.add_column("value", justify="right")
    embed = results["embed_passages_per_s"]
    table.add_row("build (whole, passages/s)", f"{results['build_s']:.1f} s ({results['build_passages_per_s']:.1f}/s)")
    if embed:
        precision = results.get("embed_precision")
        table.add_row(f"model: passages embedded per s (all vectors{', ' + precision if precision else ''})", f"{embed:.1f}")
    table.add_row("cold `qabot ask` median / max", f"{results['cold_ask_s_median']:.2f} s / {results['cold_ask_s_max']:.2f} s")
    table.add_row("cold ask process RSS (max)", f"{results['cold_ask_rss_mb']:.0f} MB")
    table.add_row("warm ask p50 / p99", f"{results['warm_ask_p50_ms']:.1f} ms / {results['warm_ask_p99_ms']:.1f} ms")
    table.add_row("index on disk / sources", f"{results['index_disk_mb']:.0f} MB / {results['sources_disk_mb']:.0f} MB")
    Console(width=None if sys.stdout.isatty() else 150).print(table)
