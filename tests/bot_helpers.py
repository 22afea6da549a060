"""Starting the real bot against the fake Discord, and reading its answers as a user would."""

from __future__ import annotations

import re

from fake_discord import Harness
from qabot.discord_bot import create_bot
from qabot.settings import DiscordSettings

EPHEMERAL, MESSAGE_CONTENT_INTENT = 1 << 6, 1 << 15
CITATION = re.compile(r"(?P<source>\S+) \[(?P<start>\d+):(?P<end>\d+)\]$")
ON_TOPIC = "Why did Kazakhstan call in the CSTO?"
OFF_TOPIC = "What is the best recipe for chocolate cake?"


def start(settings, engine, **discord_settings) -> Harness:
    """A fake Discord and the bot for `settings`; a callable setting gets the fake (for its ids)."""

    def make_bot(fake):
        chat = DiscordSettings(**{key: value(fake) if callable(value) else value for key, value in discord_settings.items()})
        return create_bot(settings.model_copy(update={"discord": chat}), engine=engine, guild_ready_timeout=0.05)

    return Harness(make_bot)


def unmarked(markdown: str) -> str:
    """The plain text of an embed description: bold markers and escapes removed."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*\*", "", markdown))


def cited(embed: dict) -> tuple[str, int, int]:
    found = CITATION.search(embed["footer"]["text"])
    assert found, embed["footer"]
    return found["source"], int(found["start"]), int(found["end"])


def buttons(message: dict) -> dict[str, dict]:
    return {button["label"]: button for row in message["components"] for button in row["components"]}


def ask(harness: Harness, question: str, user: str = "alice", **options) -> tuple[object, dict]:
    interaction = harness.run(harness.discord.slash("ask", user=user, question=question, **options))
    return interaction, harness.run(harness.discord.reply_to(interaction))


def thread_answer(harness: Harness, content: str, channel_id: str | None = None) -> tuple[dict, dict]:
    """Write `content`; return the thread started on it and the bot's first message there."""
    fake = harness.discord
    message = harness.run(fake.say(content, channel_id=channel_id))
    thread = harness.run(fake.wait_until(lambda: fake.messages[message["id"]].get("thread"), what="a thread"))
    [answer] = harness.run(fake.bot_messages_after(message, channel_id=thread["id"]))
    return thread, answer
