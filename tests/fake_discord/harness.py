"""Run the fake Discord and a real discord.py bot on one event loop in a background thread.

Tests stay plain (no async plugin): `harness.run(coroutine)` waits for a coroutine on that loop.
The bot reaches the fake because discord.py's REST base URL (`discord.http.Route.BASE`) and its
default gateway URL point at it for the harness's lifetime.
"""

from __future__ import annotations

import asyncio
import threading

import discord
import yarl
from discord.gateway import DiscordWebSocket

from .actions import Discord

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GfAkEt.fake-token-for-tests-only-0123456789ab"


class Harness:
    """A fake Discord and one bot connected to it; `close()` shuts both down.

    discord.py's URLs are class attributes, so only one harness may run at a time.
    """

    active: "Harness | None" = None

    def __init__(self, make_bot, message_content_allowed: bool = True) -> None:
        assert Harness.active is None, "another fake Discord is still running: close it first"
        Harness.active = self
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-discord", daemon=True)
        self._thread.start()
        self.discord = Discord(TOKEN, message_content_allowed)
        self.run(self.discord.start())
        self._saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.discord.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.discord.gateway_url)
        self.bot = None
        if make_bot is None:  # the fake alone: a test drives `qabot discord` itself
            return
        try:
            self.bot = self.run(_build(make_bot, self.discord))
            self._bot_task = asyncio.run_coroutine_threadsafe(self.bot.start(TOKEN), self.loop)
            self.run(self._until_ready(), timeout=30)
        except BaseException:
            self.close()
            raise

    async def _until_ready(self) -> None:
        while not self.bot.is_ready():
            if self._bot_task.done():
                self._bot_task.result()  # raises what stopped the bot
                raise AssertionError("the bot stopped before it was ready")
            await asyncio.sleep(0.01)

    def run(self, coroutine, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        try:
            if self.bot is not None:
                self.run(self.bot.close())
            self.run(self.discord.stop())
            self.run(_cancel_leftovers())
        finally:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            Harness.active = None
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)


async def _build(make_bot, fake):
    """Build the bot inside the loop, as `discord.Client` expects."""
    return make_bot(fake)


async def _cancel_leftovers() -> None:
    """Tasks still pending once the bot closed (view timeouts, delayed deletes) are cancelled quietly."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
