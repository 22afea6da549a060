"""`qabot repl`: the conversation in a terminal (prompt_toolkit + rich), or line by line from a pipe.

A thin adapter: lines go to `chat.handle_line`, replies to `render`. On a terminal the prompt
appears at once while the index and query encoder load in a background thread.
"""

from __future__ import annotations

import sys
import threading
from contextlib import nullcontext
from pathlib import Path

from qabot.chat import QuitReply, handle_line
from qabot.conversation import AlsoReply, AnswerReply, Conversation, PerspectivesReply
from qabot.render import json_line, reply_as_rich, reply_as_text

BANNER = "qabot — ask the sources. :help for commands, Ctrl-D to leave."


def preload(engine) -> threading.Thread:
    """Open the index and query encoder in the background so the prompt shows at once.

    A failure is not reported here: the first question meets it again and shows its message."""

    def load() -> None:
        try:
            engine.retriever()
        except Exception:  # noqa: BLE001 — surfaced by the first question
            pass

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    return thread


def run_repl(settings, k: int, source: str | None, as_json: bool) -> int:
    from qabot.engine import Engine
    from qabot.progress import PlainReporter

    engine = Engine(settings, PlainReporter())
    preload(engine)
    conversation = Conversation(engine, k=k)
    if source:
        print(reply_as_text(handle_line(conversation, f":source {source}")), end="", file=sys.stderr)
    if sys.stdin.isatty() and sys.stdout.isatty():
        return _interactive(conversation, settings.state_dir)
    return _piped(conversation, as_json)


def _piped(conversation: Conversation, as_json: bool) -> int:
    """One question (or command) a line; plain text or JSON lines out; no prompt, no colour."""
    for line in sys.stdin:
        reply = handle_line(conversation, line)
        if isinstance(reply, QuitReply):
            break
        if as_json and isinstance(reply, AnswerReply):
            data = reply.answer.to_dict() | {"follows_up": reply.follows_up, "offset": reply.page.offset}
            print(json_line(data), flush=True)
        elif as_json and isinstance(reply, PerspectivesReply):
            print(json_line(reply.perspectives.to_dict()), flush=True)
        elif as_json and isinstance(reply, AlsoReply):
            print(json_line({"also_of": reply.excerpt.to_dict(), "passages": [p.to_dict() for p in reply.passages]}), flush=True)
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
        with console.status("loading…", spinner="dots") if not conversation.engine.loaded else nullcontext():
            reply = handle_line(conversation, line)
        if isinstance(reply, QuitReply):
            break
        console.print(reply_as_rich(reply))
    return 0

