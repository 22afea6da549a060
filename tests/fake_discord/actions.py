"""What users do in the fake Discord: run a slash command, type in autocomplete, click a button, write a message."""

from __future__ import annotations

import re
import secrets
import time

from . import payloads as p
from .server import MESSAGE_CONTENT_INTENT, FakeDiscord, FakeInteraction

STRING_OPTION = 3
COMPONENT_BUTTON = 2


class Discord(FakeDiscord):
    """The fake Discord with the users' side: every action dispatches what Discord would send the bot."""

    def command(self, name: str) -> dict:
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise AssertionError(f"/{name} was never synced (synced: {self.commands})")

    async def _interact(self, kind: int, data: dict | None, user: str, channel_id: str | None, message: dict | None = None):
        interaction = FakeInteraction(p.snowflake(), secrets.token_urlsafe(48), kind, self.users[user],
                                      channel_id or self.general, time.monotonic(),
                                      message_id=message["id"] if message else None)
        self.interactions[interaction.id] = interaction
        payload = p.interaction(interaction.id, self.application_id, kind, data, interaction.token, guild_id=self.guild_id,
                                channel=self.channels[interaction.channel_id], user_data=interaction.user,
                                message_data=message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _command_data(self, name: str, options: dict, focused: str | None = None) -> dict:
        command = self.command(name)
        kinds = {option["name"]: option["type"] for option in command.get("options", [])}
        unknown = set(options) - set(kinds)
        assert not unknown, f"/{name} has no option(s) {unknown}"
        data = {"id": command["id"], "name": name, "type": 1,
                "options": [{"name": key, "type": kinds[key], "value": value} | ({"focused": True} if key == focused else {})
                            for key, value in options.items()]}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return data

    async def slash(self, name: str, user: str = "alice", channel_id: str | None = None, **options) -> FakeInteraction:
        return await self._interact(2, self._command_data(name, options), user, channel_id)

    async def autocomplete(self, name: str, option: str, typed: str, user: str = "alice", **others) -> FakeInteraction:
        return await self._interact(4, self._command_data(name, {**others, option: typed}, focused=option), user, None)

    async def click(self, message: dict, label: str, user: str = "alice") -> FakeInteraction:
        message = self.messages[message["id"]]
        button = next((b for row in message["components"] for b in row["components"] if b.get("label") == label), None)
        assert button is not None, f"no button {label!r} on message {message['id']}"
        assert not button.get("disabled"), f"button {label!r} is disabled"
        data = {"custom_id": button["custom_id"], "component_type": COMPONENT_BUTTON}
        return await self._interact(3, data, user, message["channel_id"], message)

    async def say(self, content: str, user: str = "alice", channel_id: str | None = None) -> dict:
        """A user's message; mentions are written as Discord writes them: `<@id>` (`{bot}` is the bot's)."""
        content = content.replace("{bot}", f"<@{self.bot['id']}>")
        author = self.users[user]
        known = {u["id"]: u for u in [self.bot, *self.users.values()]}
        mentions = [known[i] for i in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if i in known]
        member = {key: value for key, value in p.member(author).items() if key != "user"}  # as MESSAGE_CREATE has it
        message = p.message(p.snowflake(), channel_id or self.general, author, content, guild_id=self.guild_id,
                            mentions=mentions, extra={"member": member})
        self.messages[message["id"]] = message
        sent = dict(message)
        if not self.intents & MESSAGE_CONTENT_INTENT and self.bot not in mentions:
            sent.update(content="", embeds=[], attachments=[], components=[])
        await self.dispatch("MESSAGE_CREATE", sent)
        return message

    # ------------------------------------------------------------------ waiting for the bot

    async def reply_to(self, interaction: FakeInteraction, timeout: float = 15.0) -> dict:
        """The message that answers an interaction once it is complete (not "thinking…")."""

        def answered():
            original = self.messages.get(interaction.original_id or "")
            if original is not None and not original["flags"] & p.LOADING:
                return original
            if interaction.response_type in (6, 7) and interaction.followup_ids:
                return self.messages.get(interaction.followup_ids[0])
            return None

        return await self.wait_until(answered, timeout, f"an answer to interaction {interaction.id}")

    async def bot_messages_after(self, message: dict, count: int = 1, channel_id: str | None = None, timeout: float = 15.0):
        """The first `count` messages the bot posts in a channel after `message`."""
        channel_id = channel_id or message["channel_id"]

        def posted():
            found = [m for m in self.messages_in(channel_id) if m["author"]["id"] == self.bot["id"]
                     and int(m["id"]) > int(message["id"]) and not m.get("webhook_id")]
            return found[:count] if len(found) >= count else None

        return await self.wait_until(posted, timeout, f"{count} bot message(s) in channel {channel_id}")
