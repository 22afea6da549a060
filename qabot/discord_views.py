"""The buttons under an answer: More, Closest passages, and Context for each excerpt.

A view carries the immutable page its answer showed, never a conversation: a click pages (or
shows the context of) that message's own question, whoever clicks and whatever was asked since.
The asker's click answers in public and disables the used button, so a page is never repeated;
anyone else gets a private (ephemeral) copy and leaves the asker's message as it was.
"""

from __future__ import annotations

import logging

import discord

from qabot.conversation import answer_page, context_of
from qabot.discord_render import BUTTON_LABEL_CHARS, BUTTONS_PER_ROW, context_message, numbered_excerpts

log = logging.getLogger("qabot.discord")


class AnswerView(discord.ui.View):
    """Buttons for one answer message; they stop working (and are greyed out) after `timeout` seconds."""

    def __init__(self, reply, owner_id: int, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.reply = reply
        self.owner_id = owner_id
        self.message: discord.Message | None = None  # set once sent, to disable the buttons on timeout
        if reply.next_page is None:
            self.remove_item(self.more)
        if not (reply.answer.abstained and not reply.nearest and reply.answer.excerpts):
            self.remove_item(self.closest)
        for position, (number, excerpt) in enumerate(numbered_excerpts(reply)):
            self.add_item(ContextButton(number, excerpt, row=1 + position // BUTTONS_PER_ROW))

    @discord.ui.button(label="More", style=discord.ButtonStyle.primary, row=0)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The next excerpts for this message's question."""
        # a next page exists only after excerpts were shown, so it shows them even after an abstention
        await self._show_page(interaction, button, self.reply.next_page, nearest=True)

    @discord.ui.button(label="Closest passages", style=discord.ButtonStyle.secondary, row=0)
    async def closest(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The nearest passages although the sources do not seem to cover the question."""
        await self._show_page(interaction, button, self.reply.page, nearest=True)

    async def _show_page(self, interaction: discord.Interaction, button: discord.ui.Button, page, nearest: bool) -> None:
        bot = interaction.client
        own = interaction.user.id == self.owner_id
        if own and button.disabled:  # a second click that raced the first one's edit
            await interaction.response.send_message("Already shown below.", ephemeral=True)
            return
        if await bot.refuse_if_rate_limited(interaction):
            return
        if own:
            button.disabled = True
            await interaction.response.edit_message(view=self)  # acknowledges at once and marks the page used
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await bot.run_blocking(answer_page, bot.engine, page, nearest)
        await bot.send_answer(interaction.followup.send, reply, interaction.user.id, wait=True, ephemeral=not own)

    async def on_timeout(self) -> None:
        for item in self.children:
            item.disabled = True
        if self.message is None:
            return
        try:
            await self.message.edit(view=self)
        except discord.HTTPException as error:  # deleted, or the interaction token expired
            log.debug("could not disable the buttons of message %s: %s", self.message.id, error)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        await interaction.client.report_error(interaction, error)


class ContextButton(discord.ui.Button["AnswerView"]):
    """Excerpt N with the text around it in its document, shown only to the one who clicks."""

    def __init__(self, number: int, excerpt, row: int) -> None:
        super().__init__(label=f"Context {number}"[:BUTTON_LABEL_CHARS], style=discord.ButtonStyle.secondary, row=row)
        self.excerpt = excerpt

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await bot.run_blocking(context_of, bot.engine, self.excerpt)
        message = context_message(reply)
        await interaction.followup.send(embeds=message.embeds, ephemeral=True)
