"""`qabot bench --corpus N --synthetic-vectors` without the hour of splitting: for a million passages.

Writes the same generated folder as `qabot bench --corpus` (`qabot.corpus_bench.write_corpus`: one
heading, then paragraphs of 4 sentences), but cuts it with a fast splitter that knows that layout
(one paragraph = one passage, sentences cut at ". ", the context prefix `passages.py` gives these
files) instead of `qabot.passages.split_document` (~3 ms a passage on a loaded 2-core machine).
Everything after that is the real thing: documents read by `qabot.sources`, synthetic vectors,
`write_generation` (stores, BM25, IVF-SQ8 files, manifest), whole `qabot ask` processes and warm
asks through `Retriever`.

    python scripts/measure_million.py 1000000 /tmp/qabot-million [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from qabot import __version__
from qabot.build import BuildReport
from qabot.corpus_bench import measure_answers, synthetic_embed, write_corpus
from qabot.freshness import file_state, index_config, sources_manifest_hash
from qabot.generation import PassageRecord, write_generation
from qabot.manifest import Manifest
from qabot.passages import Passage
from qabot.query_encoder import link_query_encoder
from qabot.scan import ReadLimits
from qabot.settings import Settings
from qabot.sources import hash_bytes, read_document

_SENTENCE = re.compile(r"[^.]+\.")


def paragraph_passages(document) -> list[Passage]:
    """One passage per paragraph after the heading, its sentences, and the heading as context."""
    text, title = document.text, document.title or ""
    passages, start = [], text.find("\n\n") + 2
    while start < len(text):
        end = text.find("\n\n", start)
        end = len(text.rstrip("\n")) if end < 0 else end
        body = text[start:end]
        passages.append(Passage(document.source, start, end, title, body, f"{title} — {title}: {body}",
                                tuple((start + m.start() + len(m.group()) - len(m.group().lstrip()), start + m.end())
                                      for m in _SENTENCE.finditer(body))))
        start = end + 2
    return passages


def build_directly(settings: Settings) -> BuildReport:
    report, started = BuildReport(), time.perf_counter()
    limits = ReadLimits.from_settings(settings)
    records, files = [], {}
    for path in sorted(settings.sources.iterdir()):
        source = path.name
        document = read_document(path, source, None, limits)
        records.extend(PassageRecord(p, document) for p in paragraph_passages(document))
        files[source] = {**file_state(path), "hash": hash_bytes(path.read_bytes()), "title": document.title}
    dims = synthetic_embed(records, settings, report, None)
    config = index_config(settings)
    manifest = Manifest(
        qabot_version=__version__, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), config=config, dims=dims,
        sources_dir=str(settings.sources.resolve()), sources_manifest_hash=sources_manifest_hash(settings.sources),
        files=files, skipped={}, passages=len(records), sentences=sum(len(r.sentence_vectors) for r in records),
        query_encoder=link_query_encoder(settings, config["model_fingerprint"]), read_limits=limits.as_dict(),
    )
    write_generation(settings, manifest, records)
    report.passages, report.documents, report.seconds = len(records), len(files), time.perf_counter() - started
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("passages", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings().model_copy(update={"sources": args.folder / "sources", "index": args.folder / "index"})
    files = write_corpus(settings.sources, args.passages)
    print(f"{time.strftime('%H:%M:%S')} wrote {files} files", file=sys.stderr, flush=True)
    report = build_directly(settings)
    print(f"{time.strftime('%H:%M:%S')} built {report.passages} passages in {report.seconds:.0f} s", file=sys.stderr, flush=True)
    results = {"corpus_passages": report.passages, "corpus_files": files, "build_s": report.seconds, **measure_answers(settings)}
    print(json.dumps(results) if args.json else "\n".join(f"{k}: {v}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
