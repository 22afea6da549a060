"""Where a one-file rebuild spends its time in a big folder (issue 17: ≤ 10 s in 10,000 files).

    .venv/bin/python scripts/measure_incremental.py [--files 10000] [--paragraphs 3] [--edits 3] [--folder DIR]

Generates FILES notes of PARAGRAPHS paragraphs each (pseudo-words, ~450 characters a paragraph,
as `qabot bench --corpus` makes them), builds them once with synthetic vectors (the model would
take hours; reading, splitting, BM25, FAISS and the generation files are the real ones), loads the
real model and the current generation as `qabot index --watch` keeps them, then appends a paragraph
to one file EDITS times and rebuilds after each edit as --watch does, then once more as a plain
`qabot index` does (reading the previous generation back from disk), printing the wall time and
the seconds per build stage. The folder is
removed afterwards unless --folder names one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qabot.build import build_index  # noqa: E402
from qabot.freshness import index_config  # noqa: E402
from qabot.reuse import BuildMemory  # noqa: E402
from qabot.corpus_bench import synthetic_embed  # noqa: E402
from qabot.settings import Settings  # noqa: E402


def write_notes(folder: Path, files: int, paragraphs: int, seed: int = 0) -> None:
    """`files` notes under 100 subfolders, each a title and `paragraphs` paragraphs of 4 sentences."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "ri", "ven", "sta", "mor", "pel", "tu", "in", "dra", "se", "gon", "li", "ther", "an"]
    vocabulary = ["".join(rng.choice(syllables, size=rng.integers(1, 4))) for _ in range(30_000)]
    for number in range(files):
        words = [vocabulary[r] for r in rng.zipf(1.3, size=paragraphs * 4 * 17) % len(vocabulary)]
        sentences = [" ".join(words[i : i + 17]).capitalize() + "." for i in range(0, len(words), 17)]
        body = "\n\n".join(" ".join(sentences[p : p + 4]) for p in range(0, len(sentences), 4))
        path = folder / f"part{number % 100:02d}" / f"note{number:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Note {number}\n\n{body}\n", encoding="utf-8")


def timed_build(settings: Settings, **options) -> dict:
    started = time.perf_counter()
    report = build_index(settings, **options)
    return {"wall_s": round(time.perf_counter() - started, 2), "embedded": report.embedded, "reused": report.reused,
            "passages": report.passages, "stages": report.stages}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--paragraphs", type=int, default=3)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="keep the generated folder and index here")
    args = parser.parse_args()
    root = args.folder or Path(tempfile.mkdtemp(prefix="qabot-incremental-"))
    settings = Settings(sources=root / "sources", index=root / "index")
    try:
        started = time.perf_counter()
        if not settings.sources.exists():
            write_notes(settings.sources, args.files, args.paragraphs)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s", flush=True)
        print("full build (synthetic vectors):", json.dumps(timed_build(settings, force=True, embed=synthetic_embed)), flush=True)
        from qabot.passage_encoder import build_passage_encoder

        started = time.perf_counter()
        build_passage_encoder(settings)  # the one a build uses (same cache key)
        print(f"model loaded (once per --watch) in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        memory = BuildMemory()
        memory.load(settings, index_config(settings))
        print(f"current generation read (once per --watch) in {time.perf_counter() - started:.1f} s", flush=True)
        print("nothing changed:", json.dumps(timed_build(settings, memory=memory)), flush=True)
        edited = settings.sources / "part07" / "note00007.txt"
        for number in range(args.edits + 1):
            with open(edited, "a", encoding="utf-8") as handle:
                handle.write(f"\nAn edited closing paragraph, number {number}, about the lighthouse keepers.\n")
            if number < args.edits:
                print(f"one file changed, --watch ({number + 1}):", json.dumps(timed_build(settings, memory=memory)), flush=True)
            else:
                print("one file changed, plain `qabot index` (model loaded):", json.dumps(timed_build(settings)), flush=True)
    finally:
        if args.folder is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
