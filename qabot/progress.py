"""Build reporters: a progress bar on a terminal, plain messages when piped. Both write to stderr."""

from __future__ import annotations

import sys
from typing import Protocol


class Reporter(Protocol):
    """Where a build says what it does: messages, and progress over the texts it embeds."""

    def message(self, text: str) -> None: ...
    def start(self, total: int) -> None: ...
    def advance(self, count: int) -> None: ...
    def finish(self) -> None: ...


class SilentReporter:
    """Says nothing: for library use and tests."""

    def message(self, text: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainReporter(SilentReporter):
    """Messages on stderr, no progress bar (for pipes, CI and logs)."""

    def message(self, text: str) -> None:
        from qabot.render import safe_source_name

        print(f"qabot: {safe_source_name(text)}", file=sys.stderr, flush=True)

    def start(self, total: int) -> None:
        self.message(f"embedding {total} texts")


class BarReporter(PlainReporter):
    """A rich progress bar over the texts being embedded (or any other counted work)."""

    def __init__(self, label: str = "embedding passages") -> None:
        self.label = label
        self._progress = None
        self._task = None

    def start(self, total: int) -> None:  # noqa: D102 — a bar instead of the message
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("embed", total=total)

    def advance(self, count: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, count)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def reporter_for_terminal(label: str = "embedding passages") -> PlainReporter:
    """A progress bar when stderr is a terminal, plain messages otherwise."""
    return BarReporter(label) if sys.stderr.isatty() else PlainReporter()
