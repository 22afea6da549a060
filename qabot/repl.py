"""`qabot repl`: the conversation in a terminal (prompt_toolkit + rich), or line by line from a pipe.

A thin adapter: lines go to `Conversation.handle`, replies to `render`. On a terminal the prompt
appears at once while the index and query encoder load in a background thread.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from qabot.conversation import AnswerReply, Conversation, QuitReply
from qabot.render import json_line, reply_as_rich, reply_as_text

BANNER = "qabot — ask the sources. :help for commands, Ctrl-D to leave."


class BackgroundLoad:
    """Start loading the retriever now; `get()` waits for it (and re-raises its error)."""

    def __init__(self, load) -> None:
        self._result = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(load,), daemon=True)
        self._thread.start()

    def _run(self, load) -> None:
        try:
            retriever = load()
            retriever.encoder  # load the query encoder too, so the first answer is quick
            self._result = retriever
        except BaseException as error:  # surfaced to the user by get()
            self._error = error

    def get(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def run_repl(settings, k: int, source: str | None, as_json: bool) -> int:
    from qabot.progress import PlainReporter
    from qabot.retrieval import Retriever

    loader = BackgroundLoad(lambda: Retriever.open(settings, PlainReporter()))
    conversation = Conversation(loader.get, k=k)
    if source:
        print(reply_as_text(conversation.handle(f":source {source}")), end="", file=sys.stderr)
    if sys.stdin.isatty() and sys.stdout.isatty():
        return _interactive(conversation, settings.state_dir)
    return _piped(conversation, as_json)


def _piped(conversation: Conversation, as_json: bool) -> int:
    """One question (or command) a line; plain text or JSON lines out; no prompt, no colour."""
    for line in sys.stdin:
        reply = conversation.handle(line[:10_000])
        if isinstance(reply, QuitReply):
            break
        if as_json and isinstance(reply, AnswerReply):
            data = reply.answer.to_dict() | {"follows_up": reply.follows_up, "offset": reply.answer.offset}
            print(json_line(data), flush=True)
        elif as_json:
            print(json_line({"message": reply_as_text(reply).strip()}), flush=True)
        else:
            print(reply_as_text(reply), flush=True)
    return 0


def _interactive(conversation: Conversation, state_dir: Path) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from rich.console import Console

    console = Console()
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(state_dir / "history"))
    except OSError:
        history = InMemoryHistory()
    session = PromptSession(history=history)
    console.print(BANNER, style="dim")
    while True:
        try:
            line = session.prompt("qabot> ")
        except KeyboardInterrupt:  # Ctrl-C: drop the line, keep the conversation
            continue
        except EOFError:  # Ctrl-D
            break
        if len(line) > 10_000:
            line = line[:10_000]
        with console.status("searching…", spinner="dots") if conversation._retriever is None else _nothing():
            reply = conversation.handle(line)
        if isinstance(reply, QuitReply):
            break
        console.print(reply_as_rich(reply))
    return 0


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
