"""The buttons under an answer: More, Closest passages, Perspectives, and Context / Also said by per excerpt.

A view carries the immutable page its answer showed, never a conversation: a click pages (or
shows the context, the other voices, or the corroboration of) that message's own question,
whoever clicks and whatever was asked since, within the source filter the question had.
The asker's click on More, Closest passages or Perspectives answers in public and disables the
used button, so nothing is shown twice; anyone else gets a private (ephemeral) copy and leaves
the asker's message as it was. Context and Also said by always answer only the one who clicks.
"""

from __future__ import annotations

import logging
import math

import discord

from qabot.conversation import also_of, answer_page, context_of, perspectives_of
from qabot.discord_render import BUTTON_LABEL_CHARS, BUTTONS_PER_ROW, also_message, context_message, numbered_excerpts

log = logging.getLogger("qabot.discord")


class ExcerptView(discord.ui.View):
    """Context N for each excerpt of a message, and Also said by · N for each one other sources corroborate.

    Rows: `first_row` on for the Context buttons, then the Also buttons (10 excerpts at most, so
    with one row above they fill Discord's five rows at most)."""

    def __init__(self, numbered: list[tuple[int, object]], source: str | None, owner_id: int, timeout: float,
                 first_row: int) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | None = None  # set once sent, to disable the buttons on timeout
        for position, (number, excerpt) in enumerate(numbered):
            self.add_item(ContextButton(number, excerpt, row=first_row + position // BUTTONS_PER_ROW))
        also_row = first_row + math.ceil(len(numbered) / BUTTONS_PER_ROW)
        corroborated = [(number, excerpt) for number, excerpt in numbered if excerpt.also]
        for position, (number, excerpt) in enumerate(corroborated):
            self.add_item(AlsoButton(number, excerpt, source, row=also_row + position // BUTTONS_PER_ROW))

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


class AnswerView(ExcerptView):
    """Buttons for one answer message; they stop working (and are greyed out) after `timeout` seconds."""

    def __init__(self, reply, owner_id: int, timeout: float) -> None:
        super().__init__(numbered_excerpts(reply), reply.page.source, owner_id, timeout, first_row=1)
        self.reply = reply
        if reply.next_page is None:
            self.remove_item(self.more)
        if not (reply.answer.abstained and not reply.nearest and reply.answer.excerpts):
            self.remove_item(self.closest)
        if reply.answer.abstained or reply.nearest or reply.page.offset > 0 or not reply.shown:
            self.remove_item(self.voices)

    @discord.ui.button(label="More", style=discord.ButtonStyle.primary, row=0)
    async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The next excerpts for this message's question."""
        # a next page exists only after excerpts were shown, so it shows them even after an abstention
        await self._answer(interaction, button, answer_page, self.reply.next_page, True)

    @discord.ui.button(label="Closest passages", style=discord.ButtonStyle.secondary, row=0)
    async def closest(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """The nearest passages although the sources do not seem to cover the question."""
        await self._answer(interaction, button, answer_page, self.reply.page, True)

    @discord.ui.button(label="Perspectives", style=discord.ButtonStyle.secondary, row=0)
    async def voices(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Each voice's best excerpt for this message's question, and the voices that seem not to address it."""
        await self._answer(interaction, button, perspectives_of, self.reply.page)

    async def _answer(self, interaction: discord.Interaction, button: discord.ui.Button, produce, *arguments) -> None:
        """Post `produce(engine, *arguments)`: in public for the asker (using the button up), privately for others."""
        bot = interaction.client
        own = interaction.user.id == self.owner_id
        if own and button.disabled:  # a second click that raced the first one's edit
            await interaction.response.send_message("Already shown below.", ephemeral=True)
            return
        if await bot.refuse_if_rate_limited(interaction):
            return
        if own:
            button.disabled = True
            await interaction.response.edit_message(view=self)  # acknowledges at once and marks the button used
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await bot.run_blocking(produce, bot.engine, *arguments)
        await bot.send_reply(interaction.followup.send, reply, interaction.user.id, wait=True, ephemeral=not own)


class PerspectivesView(ExcerptView):
    """Context and Also said by for each voice's excerpt in a perspectives message."""

    def __init__(self, reply, owner_id: int, timeout: float) -> None:
        numbered = [(p.excerpt.rank, p.excerpt) for p in reply.perspectives.perspectives][: 2 * BUTTONS_PER_ROW]
        super().__init__(numbered, reply.page.source, owner_id, timeout, first_row=0)


class ContextButton(discord.ui.Button["ExcerptView"]):
    """Excerpt N with the text around it in its document, shown only to the one who clicks."""

    def __init__(self, number: int, excerpt, row: int) -> None:
        super().__init__(label=f"Context {number}"[:BUTTON_LABEL_CHARS], style=discord.ButtonStyle.secondary, row=row)
        self.excerpt = excerpt

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await bot.run_blocking(context_of, bot.engine, self.excerpt)
        await interaction.followup.send(embeds=context_message(reply).embeds, ephemeral=True)


class AlsoButton(discord.ui.Button["ExcerptView"]):
    """The passages of other sources that state a claim of excerpt N, shown only to the one who clicks."""

    def __init__(self, number: int, excerpt, source: str | None, row: int) -> None:
        super().__init__(label=f"Also said by · {number}"[:BUTTON_LABEL_CHARS], style=discord.ButtonStyle.secondary,
                         row=row)
        self.excerpt, self.source = excerpt, source

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await bot.run_blocking(also_of, bot.engine, self.excerpt, self.source)
        message = also_message(reply)
        await interaction.followup.send(content=message.content, embeds=message.embeds, ephemeral=True)
