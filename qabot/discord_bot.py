"""`qabot discord`: the conversation in a Discord server, built with discord.py's own idioms.

A thin adapter, like the REPL: slash commands, mentions and thread messages go to the shared
engine and conversations; replies go through `discord_render`. The bot defers every interaction
at once, so Discord's 3-second deadline holds while the index loads or other questions run; the
answering itself happens on a small pool of worker threads, never on the event loop.

The workers share the engine's one `Retriever`, which is safe: it is immutable once loaded
(numpy arrays, a FAISS index searched but never modified, with OpenMP pinned per calling thread,
an onnxruntime session, whose `run` is documented as thread-safe, a tokenizer whose `encode` does
not change it), the first load happens once under the engine's lock, and a new index generation
is swapped in whole rather than changed in place (tests/test_engine.py asks from 8 threads at once).
"""

import functools
import logging
import re
from concurrent.futures import ThreadPoolExecutor

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from qabot.conversation import Page, PerspectivesReply, SourcesReply, answer_page, perspectives_of
from qabot.discord_chat import ChatMixin
from qabot.discord_render import (
    SORRY, EMBEDS_PER_MESSAGE, answer_message, perspectives_message, source_choices, sources_message, text_message,
)
from qabot.discord_views import AnswerView, PerspectivesView
from qabot.engine import Engine
from qabot.errors import DiscordTokenError, QabotError
from qabot.sessions import BoundedStore, RateLimiter
from qabot.settings import Settings

log = logging.getLogger("qabot.discord")

# three base64url parts joined by dots: the user id, a timestamp, an HMAC
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


def bot_token(settings: Settings) -> str:
    """The token from `QABOT_DISCORD_TOKEN` (environment or .env), checked for shape before connecting."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        raise DiscordTokenError("no Discord bot token: set QABOT_DISCORD_TOKEN in the environment or in .env")
    if token.lower().startswith("bot "):
        raise DiscordTokenError("QABOT_DISCORD_TOKEN must be the bare token, without the 'Bot ' prefix")
    if not TOKEN_SHAPE.match(token):
        raise DiscordTokenError(
            "QABOT_DISCORD_TOKEN does not look like a Discord bot token (three parts joined by dots); "
            "copy it again from the Bot page of your application in the Developer Portal"
        )
    return token


def slash_commands(max_question_chars: int) -> list[app_commands.Command]:
    """/ask and /sources; each docstring is the description users see in Discord.

    (This module does not use `from __future__ import annotations`: discord.py reads the option
    types from the annotations, and the question's length limit is a local value.)
    """

    @app_commands.command()
    @app_commands.describe(
        question="Your question, in your own words", source="Quote only this document",
        perspectives="Show each voice's best excerpt instead, and who seems not to address the question",
    )
    async def ask(
        interaction: discord.Interaction, question: app_commands.Range[str, 1, max_question_chars],
        source: str | None = None, perspectives: bool = False,
    ) -> None:
        """Ask the documents: the answer is verbatim excerpts, each with its citation."""
        await interaction.client.answer_slash(interaction, question, source, perspectives)

    @ask.autocomplete("source")
    async def ask_source(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await interaction.client.source_choices(current)

    @app_commands.command()
    async def sources(interaction: discord.Interaction) -> None:
        """List the documents answers are quoted from."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = interaction.client
        listing = await bot.run_blocking(bot.sources)
        await interaction.followup.send(embeds=sources_message(SourcesReply(listing, None)).embeds, ephemeral=True)

    return [ask, sources]


class QabotBot(ChatMixin, discord.Client):
    """The bot: slash commands on a `CommandTree`, mentions and threads via `ChatMixin`."""

    def __init__(self, settings: Settings, engine, **options) -> None:
        chat = settings.discord
        intents = discord.Intents.default()
        intents.message_content = bool(chat.channels) or chat.message_content
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # this bot never joins voice
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.settings = settings
        self.engine = engine
        self.k = min(settings.chat.k, EMBEDS_PER_MESSAGE)
        self.executor = ThreadPoolExecutor(max_workers=chat.workers, thread_name_prefix="qabot-answer")
        self.rate_limiter = RateLimiter(chat.rate_limit, chat.rate_window)
        self.conversations = BoundedStore(chat.max_conversations, chat.conversation_ttl)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_app_command_error
        for command in slash_commands(min(settings.max_question_chars, 6000)):
            self.tree.add_command(command)

    async def setup_hook(self) -> None:
        await self._use_announced_gateway()
        self.loop.run_in_executor(self.executor, self._load_index)  # while connecting, not on the first question
        await self.sync_commands()

    def _load_index(self) -> None:
        try:
            self.engine.retriever()
        except QabotError as error:  # each question will say so to its asker
            log.error("the index cannot be loaded: %s", error)

    async def _use_announced_gateway(self) -> None:
        """Connect where `GET /gateway/bot` says, as Discord documents (a plain Client dials its built-in URL)."""
        try:
            _, url, _ = await self.http.get_bot_gateway()
        except (discord.DiscordException, KeyError, TypeError) as error:
            log.debug("no gateway URL announced (%s); using discord.py's default", error)
            return
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)

    async def sync_commands(self) -> None:
        """Register the slash commands: per guild when guilds are configured (instant), else globally."""
        guilds = [discord.Object(id=guild) for guild in self.settings.discord.guilds]
        for guild in guilds or [None]:
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            try:
                synced = await self.tree.sync(guild=guild)
                log.info("slash commands synced %s: %s", f"to guild {guild.id}" if guild else "globally",
                         ", ".join(c.name for c in synced))
            except Exception as error:  # commands registered by an earlier run still work: keep going
                log.error("could not sync slash commands %s (was the bot invited with the applications.commands "
                          "scope?): %s", f"to guild {guild.id}" if guild else "globally", error)

    async def on_ready(self) -> None:
        log.info("connected as %s to %d server(s)", self.user, len(self.guilds))

    async def close(self) -> None:
        await super().close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ shared by commands and views

    async def run_blocking(self, function, *args):
        """Run `function(*args)` on a worker thread (at most `discord.workers` at once) and await it."""
        return await self.loop.run_in_executor(self.executor, functools.partial(function, *args))

    async def refuse_if_rate_limited(self, interaction: discord.Interaction) -> bool:
        wait = self.rate_limiter.try_acquire(interaction.user.id)
        if wait:
            await interaction.response.send_message(self.slow_down(wait), ephemeral=True)
        return bool(wait)

    def slow_down(self, wait: float) -> str:
        limit = self.settings.discord
        return (f"You're asking quickly (at most {limit.rate_limit} questions per {limit.rate_window:g} s). "
                f"Please try again in {max(1, round(wait))} s.")

    async def send_reply(self, send, reply, owner_id: int, echo: bool = True, **options) -> discord.Message:
        """Send an answer or a perspectives reply with its buttons through `send` (a channel's or an
        interaction followup's)."""
        timeout = self.settings.discord.button_timeout
        if isinstance(reply, PerspectivesReply):
            message, view = perspectives_message(reply), PerspectivesView(reply, owner_id, timeout)
        else:
            message, view = answer_message(reply, question_echo=echo), AnswerView(reply, owner_id, timeout)
        if view.children:
            options["view"] = view
        sent = await send(content=message.content or None, embeds=message.embeds, **options)
        view.message = sent
        return sent

    async def answer_slash(self, interaction: discord.Interaction, question: str, source: str | None,
                           perspectives: bool = False) -> None:
        if await self.refuse_if_rate_limited(interaction):
            return
        await interaction.response.defer(thinking=True)
        produce = perspectives_of if perspectives else answer_page
        reply = await self.run_blocking(produce, self.engine, Page(question, None, source or None, 0, self.k))
        await self.send_reply(interaction.followup.send, reply, interaction.user.id, wait=True)

    async def source_choices(self, typed: str) -> list[app_commands.Choice[str]]:
        """Autocomplete cannot be deferred: offer nothing rather than wait for an index still loading."""
        if not self.engine.loaded:
            return []
        listing = await self.run_blocking(self.sources)
        return [app_commands.Choice(name=name, value=value) for name, value in source_choices(listing, typed)]

    def sources(self):
        """The indexed documents (blocking: run it on a worker)."""
        return self.engine.retriever().index.sources()

    async def on_app_command_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await self.report_error(interaction, error)

    async def report_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """The one error handler: a QabotError's message for the user; anything else logged, and a short apology."""
        error = getattr(error, "original", error)
        if isinstance(error, QabotError):
            text = str(error)
        else:
            log.error("error while handling an interaction", exc_info=error)
            text = SORRY
        message = text_message(text, error=True)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message.content, ephemeral=True)
            else:
                await interaction.response.send_message(message.content, ephemeral=True)
        except discord.HTTPException as failure:
            log.warning("could not tell the user about an error: %s", failure)


def create_bot(settings: Settings, *, engine=None, **options) -> discord.Client:
    """The bot for `settings`; `engine` shares an already loaded one, `options` go to `discord.Client`."""
    return QabotBot(settings, engine if engine is not None else Engine(settings), **options)


def run_discord(settings: Settings) -> int:
    """Check the token, then run the bot until interrupted (Ctrl-C). Logs go to stderr."""
    token = bot_token(settings)
    bot = create_bot(settings)
    if not logging.getLogger().handlers:  # discord.py's log format, for its records and ours
        discord.utils.setup_logging(level=logging.INFO, root=True)
    try:
        bot.run(token, log_handler=None)
    except discord.LoginFailure:
        raise DiscordTokenError("Discord rejected the token (401): reset it on the Bot page and set QABOT_DISCORD_TOKEN again") from None
    except discord.PrivilegedIntentsRequired:
        raise DiscordTokenError(
            "Discord refused the Message Content intent: enable it on the Bot page of your application "
            "(needed for discord.channels and discord.message_content)"
        ) from None
    return 0
