"""`qabot index --watch`: keep the index in step with the sources folder while it is edited.

The model and the current generation are loaded once, before watching starts, and each rebuild's
records are kept for the next. Each burst of changes (debounced) triggers one incremental build,
which embeds only the changed files and swaps the new generation in atomically, so `qabot ask` in
another shell always reads a complete index. One line is printed per rebuild; errors are printed
and watching goes on.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from qabot.build import BuildMemory, BuildReport, build_index
from qabot.errors import QabotError
from qabot.progress import Reporter
from qabot.render import safe_source_name
from qabot.settings import Settings


def report_line(report: BuildReport) -> str:
    """One line that says what a rebuild did (file names escaped, so it stays one line)."""
    clock = time.strftime("%H:%M:%S")
    if not report.rebuilt:
        return f"{clock} up to date: {report.documents} documents, {report.passages} passages"
    what = []
    if report.changed:
        what.append(f"{len(report.changed)} new/changed ({', '.join(report.changed[:3])}{', …' if len(report.changed) > 3 else ''})")
    if report.removed:
        what.append(f"{len(report.removed)} removed ({', '.join(report.removed[:3])}{', …' if len(report.removed) > 3 else ''})")
    if report.skipped:
        what.append(f"{len(report.skipped)} skipped")
    return safe_source_name(
        f"{clock} re-indexed: {'; '.join(what) or 'metadata changed'} → {report.documents} documents, "
        f"{report.passages} passages ({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
    )


def _relevant(sources: Path, index: Path) -> Callable[[object, str], bool]:
    """Ignore hidden files and anything inside the index folder (it may live under the sources)."""
    sources, index = sources.resolve(), index.resolve()

    def accept(change: object, path: str) -> bool:
        target = Path(path).resolve()
        if target == index or index in target.parents:
            return False
        try:
            relative = target.relative_to(sources)
        except ValueError:
            return True
        return not any(part.startswith(".") for part in relative.parts)

    return accept


def prepare_rebuilds(settings: Settings, memory: BuildMemory, say: Callable[[str], None]) -> None:
    """Load the model and the current generation now, once: every later rebuild then pays only for
    its changed files (`load_passage_encoder` keeps the model for the life of the process)."""
    from qabot.freshness import index_config
    from qabot.passage_encoder import build_passage_encoder

    try:
        build_passage_encoder(settings)
        if memory.generation is None:
            memory.load(settings, index_config(settings))
    except QabotError as error:
        say(f"{time.strftime('%H:%M:%S')} not prepared for quick rebuilds: {error}")


def watch_index(
    settings: Settings,
    say: Callable[[str], None],
    reporter: Reporter | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build once, then rebuild after every debounced burst of changes until Ctrl-C or `stop`."""
    from watchfiles import watch

    memory = BuildMemory()  # the last generation's records, so a rebuild need not read them back

    def rebuild() -> None:
        try:
            say(report_line(build_index(settings, reporter, memory=memory)))
        except QabotError as error:
            say(f"{time.strftime('%H:%M:%S')} not re-indexed: {error}")

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)  # `kill` stops the watch as cleanly as Ctrl-C
    try:
        rebuild()
        prepare_rebuilds(settings, memory, say)
        say(f"watching {settings.sources} for changes (Ctrl-C to stop)")
        for _changes in watch(
            settings.sources,
            watch_filter=_relevant(settings.sources, settings.index),
            debounce=settings.indexing.watch_debounce_ms,
            stop_event=stop,
        ):
            rebuild()
    except KeyboardInterrupt:
        pass
    say("stopped watching")
