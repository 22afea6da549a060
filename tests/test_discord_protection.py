"""The Discord bot protecting itself and its users: rate limit, expiring buttons, the token, index updates.

Each test starts its own bot (a fraction of a second) since each needs other settings.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot_helpers import EPHEMERAL, MESSAGE_CONTENT_INTENT, OFF_TOPIC, ON_TOPIC, ask, buttons, cited, start
from fake_discord import TOKEN, Harness
from qabot.engine import Engine


@pytest.fixture
def strict(seed_settings, engine):
    """Commands synced to the guild, 2 questions per minute per user, buttons that expire after 1 s."""
    harness = start(seed_settings, engine, guilds=lambda fake: [int(fake.guild_id)], rate_limit=2, rate_window=60,
                    button_timeout=1.0)
    yield harness
    harness.close()


def test_rate_limit_answers_politely_and_only_to_the_asker(strict):
    fake = strict.discord
    for _ in range(2):
        assert ask(strict, ON_TOPIC, user="carol")[1]["embeds"]
    interaction, refusal = ask(strict, ON_TOPIC, user="carol")
    assert interaction.response_type == 4 and refusal["flags"] & EPHEMERAL
    assert "asking quickly" in refusal["content"] and refusal["embeds"] == []
    assert ask(strict, ON_TOPIC, user="bob")[1]["embeds"]  # the limit is per user
    message = strict.run(fake.say("{bot} " + ON_TOPIC, user="carol"))
    [polite] = strict.run(fake.bot_messages_after(message))
    assert "asking quickly" in polite["content"] and "thread" not in fake.messages[message["id"]]


def test_commands_sync_to_the_configured_guild_and_no_privileged_intent_is_asked(strict):
    fake = strict.discord
    assert fake.command("ask")["guild_id"] == fake.guild_id and None not in fake.commands
    assert not fake.identify["intents"] & MESSAGE_CONTENT_INTENT  # needed only for question channels


def test_buttons_are_disabled_when_they_expire(strict):
    fake = strict.discord
    _, answer = ask(strict, OFF_TOPIC)
    assert buttons(answer) and not any(b.get("disabled") for b in buttons(answer).values())

    def all_disabled():
        shown = buttons(fake.messages[answer["id"]])
        return shown and all(b.get("disabled") for b in shown.values())

    strict.run(fake.wait_until(all_disabled, timeout=10, what="the buttons to be disabled"))


def test_the_token_never_reaches_the_logs(seed_settings, engine, caplog):
    with caplog.at_level(logging.DEBUG):
        harness = start(seed_settings, engine)
        try:
            ask(harness, ON_TOPIC)
        finally:
            harness.close()
    assert len(caplog.records) > 20
    assert not [record for record in caplog.records if TOKEN in record.getMessage()]


def test_missing_or_malformed_token_is_a_one_line_error_with_exit_code_2(monkeypatch, capsys):
    from qabot.cli import main

    assert main(["discord"]) == 2
    error = capsys.readouterr().err
    assert "QABOT_DISCORD_TOKEN" in error and error.strip().count("\n") == 0
    monkeypatch.setenv("QABOT_DISCORD_TOKEN", "not-a-token")
    assert main(["discord"]) == 2
    error = capsys.readouterr().err
    assert "QABOT_DISCORD_TOKEN" in error and "not-a-token" not in error and error.strip().count("\n") == 0


def test_a_token_discord_rejects_is_a_one_line_error_with_exit_code_2(monkeypatch, capsys, seed_settings):
    from qabot.cli import main

    fake_only = Harness(None)
    try:
        monkeypatch.setenv("QABOT_DISCORD_TOKEN", TOKEN.replace("fake", "gone"))  # well formed, but not the bot's
        assert main(["discord", "--sources", str(seed_settings.sources), "--index", str(seed_settings.index)]) == 2
    finally:
        fake_only.close()
    error = capsys.readouterr().err
    assert error.strip().splitlines()[-1].startswith("qabot: error: Discord rejected the token") and "Traceback" not in error
    assert [r.path for r in fake_only.discord.requests] == ["/users/@me"]


def test_sources_that_cannot_be_indexed_get_a_short_message_and_the_bot_stays_up(tmp_path, seed_settings, caplog):
    (tmp_path / "empty").mkdir()
    settings = seed_settings.model_copy(update={"sources": tmp_path / "empty", "index": tmp_path / "index"})
    harness = start(settings, Engine(settings))
    try:
        for _ in range(2):  # the second question meets the same clear message: nothing is left broken
            interaction, answer = ask(harness, ON_TOPIC)
            assert interaction.response_type == 5 and answer["content"].startswith("⚠️")
            assert "Traceback" not in answer["content"] and answer["content"].count("\n") == 0
        assert harness.bot.is_ready() and not harness.bot.is_closed()
    finally:
        harness.close()


def test_a_new_index_generation_is_answered_without_a_restart(seed_copy, embedder):
    from qabot.build import build_index

    settings = seed_copy.model_copy(update={"chat": seed_copy.chat.model_copy(update={"reload_seconds": 0.0})})
    harness = start(settings, Engine(settings), rate_limit=10_000)
    try:
        question = "What colour did the keeper paint the Orsk lighthouse?"
        assert not any(cited(e)[0] == "lighthouse.md" for e in ask(harness, question)[1]["embeds"])
        (settings.sources / "lighthouse.md").write_text(
            "# The Orsk lighthouse\n\nIn 1931 the keeper of the Orsk lighthouse painted the whole tower a deep "
            "green, so that ships could tell it from the grey cliffs behind it.\n", encoding="utf-8")
        build_index(settings)

        async def cites_the_new_document():
            while True:
                interaction = await harness.discord.slash("ask", question=question)
                answer = await harness.discord.reply_to(interaction)
                if any(cited(e)[0] == "lighthouse.md" for e in answer["embeds"]):
                    return answer
                await asyncio.sleep(0.3)

        harness.run(asyncio.wait_for(cites_the_new_document(), 20), timeout=30)
    finally:
        harness.close()
