"""Typed lines → `Conversation` calls: the commands of every chat frontend (REPL, Discord threads).

A plain line is a question; `more`, `:context N`, `:source NAME`, `:new`… change what is shown.
Errors a user can cause come back as an error `MessageReply`, never as an exception.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from qabot.conversation import Conversation, MessageReply, Reply
from qabot.errors import QabotError

COMMANDS = {
    ":more": "show the next excerpts for the same question (also `more`, or Enter after an answer)",
    ":context": ":context N — excerpt N with the text around it in its document",
    ":nearest": "after 'not covered': show the closest excerpts anyway",
    ":perspectives": "who says what about the last question: each voice's best excerpt, and who seems silent",
    ":also": ":also N — the passages of other sources that state a claim of excerpt N",
    ":source": ":source NAME — quote only this document (file name or prefix)",
    ":sources": "list the documents with titles and passage counts",
    ":all": "lift the :source filter",
    ":new": "forget the conversation (the next question is not a follow-up)",
    ":help": "this list",
    ":quit": "leave (also Ctrl-D)",
}
ALIASES = {
    "more": ":more", ":next": ":more", ":exit": ":quit", ":q": ":quit", "quit": ":quit", "exit": ":quit",
    ":h": ":help", "help": ":help", ":p": ":perspectives", ":who": ":perspectives",
}


@dataclass(frozen=True)
class HelpReply(Reply):
    commands: dict[str, str] = field(default_factory=lambda: dict(COMMANDS))


@dataclass(frozen=True)
class QuitReply(Reply):
    pass


def handle_line(conversation: Conversation, line: str) -> Reply:
    """One typed line → one reply. An empty line pages on after an answer."""
    text = line.strip()[: conversation.engine.settings.chat.max_line_chars]
    try:
        if not text:
            if conversation.latest is not None and conversation.latest.next_page is not None:
                return conversation.more()
            return MessageReply("Ask a question, or :help.")
        if text.startswith(":") or text.lower() in ALIASES:
            return run_command(conversation, text)
        return conversation.ask(text)
    except QabotError as error:
        return MessageReply(str(error), error=True)


def run_command(conversation: Conversation, text: str) -> Reply:
    name, _, argument = text.partition(" ")
    name = ALIASES.get(name.lower(), name.lower())
    argument = argument.strip()
    if name == ":more":
        return conversation.more()
    if name == ":context":
        if not argument.isdigit():
            return MessageReply("Usage: :context N, where N is the number of an excerpt shown.", error=True)
        return conversation.context(conversation.shown_excerpt(int(argument)))
    if name == ":perspectives":
        return conversation.perspectives()
    if name == ":also":
        if not argument.isdigit():
            return MessageReply("Usage: :also N, where N is the number of an excerpt shown.", error=True)
        return conversation.also(conversation.shown_excerpt(int(argument)))
    if name == ":nearest":
        return conversation.nearest()
    if name == ":source":
        if not argument:
            return MessageReply("Usage: :source NAME (see :sources).", error=True)
        return conversation.set_source(argument)
    if name == ":sources":
        return conversation.sources()
    if name == ":all":
        return conversation.clear_source()
    if name == ":new":
        conversation.reset()
        return MessageReply("New conversation: the next question stands on its own.")
    if name == ":help":
        return HelpReply()
    if name == ":quit":
        return QuitReply()
    guess = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.5)
    hint = f" Did you mean {guess[0]}?" if guess else " Type :help for the commands."
    return MessageReply(f"Unknown command {name}.{hint}", error=True)
