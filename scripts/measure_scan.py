"""How fast hostile entries in a sources folder are passed over, and that big files are never read.

Builds a temp folder: the seeds, a 60 MB text file, link loops (a folder link back up, two file
links pointing at each other), a fan of folder links that would be 2^20 paths if followed naively,
and a 0.7 MB HTML page nested 100,000 deep. Prints the time of `scan_folder` and `read_sources`
(no embedding) and the peak memory before and after. Run from the repository root:

    python scripts/measure_scan.py
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qabot.readers.html import extract_html, nesting_depth  # noqa: E402
from qabot.scan import scan_folder  # noqa: E402
from qabot.sources import read_sources  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:<58} {1000 * (time.perf_counter() - started):9.1f} ms   peak RSS {peak_mb():6.0f} MB")
    return result


def make_folder(base: Path) -> Path:
    src = base / "src"
    shutil.copytree(SEEDS, src)
    block = ("All work and no play makes a dull index. " * 25 + "\n").encode() * 1000  # ~1 MB
    with open(src / "huge.txt", "wb") as handle:
        for _ in range(60):
            handle.write(block)
    (src / "notes").mkdir()
    os.symlink("..", src / "notes" / "up")
    os.symlink("pong.txt", src / "ping.txt")
    os.symlink("ping.txt", src / "pong.txt")
    level = src / "fan"
    for depth in range(20):  # each level links twice to the next one
        (level / "next").mkdir(parents=True)
        (level / "next" / "page.txt").write_text(f"Level {depth}.", encoding="utf-8")
        os.symlink("next", level / "a")
        os.symlink("next", level / "b")
        level = level / "next"
    (src / "deep.html").write_text("<html><body>" + "<div>x" * 100_000 + "</body></html>", encoding="utf-8")
    return src


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        src = make_folder(Path(temp))
        size = (src / "huge.txt").stat().st_size
        print(f"folder: seeds + huge.txt ({size / 1e6:.1f} MB) + link loops + a 2^20 fan of folder links + deep.html")
        print(f"peak RSS before scanning: {peak_mb():.0f} MB")
        scan = timed("scan_folder (links, loops, size cap)", lambda: scan_folder(src))
        print(f"  {len(scan.files)} files kept, {len(scan.skipped)} passed over:")
        for source, why in scan.skipped:
            if not source.startswith("fan/"):
                print(f"    {source}: {why}")
        print(f"    … and {sum(s.startswith('fan/') for s, _ in scan.skipped)} fan links, each to a folder read once already")
        found = timed("read_sources (scan + read every kept file, no embedding)", lambda: read_sources(src))
        print(f"  {len(found.documents)} documents read; deep.html: {dict(found.skipped).get('deep.html')}")
        page = (src / "deep.html").read_text(encoding="utf-8")
        timed("nesting_depth on the 0.7 MB, 100,000-deep page", lambda: nesting_depth(page, 512))
        normal = "<html><body>" + "<div><h2>Part</h2><p>Some <b>bold</b> words and a <a href='#'>link</a>.</p></div>" * 60_000
        print(f"a normal page of {len(normal) / 1e6:.1f} MB:")
        timed("  nesting_depth", lambda: nesting_depth(normal, 512))
        timed("  extract_html (depth check included)", lambda: extract_html(normal))


if __name__ == "__main__":
    main()
