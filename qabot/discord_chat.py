"""Questions typed into Discord: a mention (or any message in a question channel) starts a thread.

Each thread is one conversation, as in the REPL: follow-ups are read with the thread's earlier
questions, and "more", ":source NAME", ":context N", ":perspectives", ":also N", ":new"… work
the same way. Conversations
live in a bounded store (least recently used and idle ones are forgotten); a thread the bot
started whose conversation was forgotten simply starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field

import discord

from qabot.chat import HelpReply, QuitReply, handle_line
from qabot.conversation import AlsoReply, AnswerReply, ContextReply, Conversation, PerspectivesReply, SourcesReply
from qabot.discord_render import (
    SORRY, Message, also_message, context_message, help_message, sources_message, text_message, thread_name,
)
from qabot.errors import QabotError

log = logging.getLogger("qabot.discord")
THREAD_ARCHIVE_MINUTES = 1440
JUST_A_MENTION = "Ask me a question after the mention, e.g. “@qabot what did the treaty say about water?”."
QUIT_TEXT = "Nothing to quit here: just stop asking. `:new` starts a fresh conversation."


@dataclass
class ThreadConversation:
    """A conversation and the lock that keeps its replies in the order of the messages."""

    conversation: Conversation
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChatMixin:
    """`on_message` for the bot; expects its `engine`, `k`, `settings`, `conversations`, `rate_limiter`,
    `run_blocking`, `send_reply` and `slow_down`."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        try:
            await self._take_message(message)
        except Exception as error:  # never a traceback in the channel; the bot keeps running
            log.error("error while answering message %s", message.id, exc_info=error)
            await self._reply_quietly(message.channel, text_message(self._error_text(error), error=True).content)

    def _error_text(self, error: Exception) -> str:
        return str(error) if isinstance(error, QabotError) else SORRY

    async def _take_message(self, message: discord.Message) -> None:
        channel = message.channel
        mentioned = self._mentions_me(message)
        text = re.sub(rf"<@!?{self.user.id}>", " ", message.content).strip()
        entry = self.conversations.get(channel.id)
        if entry is None and not (mentioned or self._listens_in(channel)):
            return
        if not text:
            if mentioned:
                await self._reply_quietly(channel, JUST_A_MENTION)
            return
        wait = self.rate_limiter.try_acquire(message.author.id)
        if wait:
            await self._reply_quietly(channel, self.slow_down(wait), reference=message, delete_after=max(wait, 5.0))
            return
        if entry is None:
            channel = await self._thread_for(message, text)
            entry = ThreadConversation(Conversation(self.engine, self.k))
            if channel.id != message.channel.id or message.guild is None or isinstance(channel, discord.Thread):
                self.conversations.put(channel.id, entry)  # a thread or a DM; never a whole server channel
        async with entry.lock:
            reply = await self.run_blocking(handle_line, entry.conversation, text)
            await self._send_reply(channel, reply, message.author.id)

    def _mentions_me(self, message: discord.Message) -> bool:
        return any(user.id == self.user.id for user in message.mentions) or bool(
            re.search(rf"<@!?{self.user.id}>", message.content)
        )

    def _listens_in(self, channel) -> bool:
        """Direct messages, question channels, their threads, and threads this bot started."""
        listening = set(self.settings.discord.channels)
        if isinstance(channel, discord.DMChannel) or channel.id in listening:
            return True
        if isinstance(channel, discord.Thread):
            return channel.parent_id in listening or channel.owner_id == self.user.id
        return False

    async def _thread_for(self, message: discord.Message, question: str):
        """A new thread on the question's message, or where the message already is (thread, DM, failure)."""
        channel = message.channel
        if message.guild is None or isinstance(channel, discord.Thread):
            return channel
        try:
            return await message.create_thread(name=thread_name(question), auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as error:
            log.warning("could not start a thread in channel %s (%s); answering in the channel", channel.id, error)
            return channel

    async def _send_reply(self, channel, reply, author_id: int) -> None:
        if isinstance(reply, (AnswerReply, PerspectivesReply)):
            await self.send_reply(channel.send, reply, author_id, echo=False)
            return
        if isinstance(reply, AlsoReply):
            message = also_message(reply)
        elif isinstance(reply, ContextReply):
            message = context_message(reply)
        elif isinstance(reply, SourcesReply):
            message = sources_message(reply)
        elif isinstance(reply, HelpReply):
            message = help_message(reply.commands)
        elif isinstance(reply, QuitReply):
            message = Message(QUIT_TEXT)
        else:
            message = text_message(reply.text, error=reply.error)
        await channel.send(content=message.content, embeds=message.embeds)

    async def _reply_quietly(self, channel, text: str, **options) -> None:
        try:
            await channel.send(content=text, **options)
        except discord.HTTPException as error:
            log.warning("could not send a message to channel %s: %s", channel.id, error)
