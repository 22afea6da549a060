"""The Discord bot end to end: the real discord.py client against a fake Discord on 127.0.0.1.

Every assertion reads what Discord received (and so what a user would see): the interaction
callbacks, the messages and their embeds, buttons and flags. One bot serves the whole module.
"""

from __future__ import annotations

import asyncio

import pytest

from bot_helpers import (
    EPHEMERAL, MESSAGE_CONTENT_INTENT, OFF_TOPIC, ON_TOPIC, ask, buttons, cited, start, thread_answer, unmarked,
)
from fake_discord import problems
from qabot.display import normalise
from qabot.render import NOT_COVERED


@pytest.fixture(scope="module")
def chat(seed_settings, engine):
    """A bot with a question channel (so with the Message Content intent) and no practical rate limit."""
    harness = start(seed_settings, engine, channels=lambda fake: [int(fake.questions)], rate_limit=10_000)
    yield harness
    harness.close()


# ------------------------------------------------------------------------------ /ask


def test_ask_is_deferred_at_once_then_answered_with_verbatim_cited_excerpts(chat, seeds_dir):
    interaction, answer = ask(chat, ON_TOPIC)
    assert interaction.response_type == 5 and interaction.delay < 3.0  # "thinking…" within the deadline
    assert answer["content"].startswith(f"**Q:** {ON_TOPIC}")
    assert 1 <= len(answer["embeds"]) <= 3
    for embed in answer["embeds"]:
        source, start, end = cited(embed)
        text = (seeds_dir / source).read_text(encoding="utf-8")[start:end]
        assert normalise(text) == unmarked(embed["description"])
    assert any("**" in embed["description"] for embed in answer["embeds"])  # the best sentence in bold
    assert {button["label"] for row in answer["components"] for button in row["components"]} >= {"More", "Context 1"}


def test_more_shows_the_next_excerpts_and_never_repeats_them(chat):
    _, first = ask(chat, ON_TOPIC)
    click = chat.run(chat.discord.click(first, "More"))
    second = chat.run(chat.discord.reply_to(click))
    assert click.response_type == 7  # the asker's message is updated at once: its More is used up
    assert [embed["title"].split(".")[0] for embed in second["embeds"]] == ["4", "5", "6"]
    assert not {cited(e) for e in first["embeds"]} & {cited(e) for e in second["embeds"]}
    assert buttons(chat.discord.messages[first["id"]])["More"]["disabled"]


def test_more_clicked_by_someone_else_gives_them_a_private_copy(chat):
    _, first = ask(chat, ON_TOPIC)
    bobs = chat.run(chat.discord.reply_to(chat.run(chat.discord.click(first, "More", user="bob"))))
    assert bobs["flags"] & EPHEMERAL and chat.discord.visible_only_to[bobs["id"]] == chat.discord.users["bob"]["id"]
    alices = chat.run(chat.discord.reply_to(chat.run(chat.discord.click(first, "More", user="alice"))))
    assert not alices["flags"] & EPHEMERAL
    assert [cited(e) for e in alices["embeds"]] == [cited(e) for e in bobs["embeds"]]  # Bob's click moved nothing


def test_context_shows_the_text_around_an_excerpt_only_to_the_clicker(chat):
    _, answer = ask(chat, ON_TOPIC)
    click = chat.run(chat.discord.click(answer, "Context 1", user="bob"))
    [embed] = chat.run(chat.discord.reply_to(click))["embeds"]
    assert chat.discord.visible_only_to[click.original_id] == chat.discord.users["bob"]["id"]
    excerpt = unmarked(answer["embeds"][0]["description"])
    context = unmarked(embed["description"])
    assert excerpt in context and len(context) > len(excerpt) + 200
    assert cited(embed) == cited(answer["embeds"][0])


def test_off_topic_question_abstains_and_offers_the_closest_passages(chat):
    _, answer = ask(chat, OFF_TOPIC)
    assert NOT_COVERED in answer["content"] and answer["embeds"] == []
    closest = chat.run(chat.discord.reply_to(chat.run(chat.discord.click(answer, "Closest passages"))))
    assert "Closest passages" in closest["content"] and closest["embeds"]


def test_question_with_everyone_and_a_user_mention_pings_nobody(chat):
    fake = chat.discord
    before = len(fake.requests)
    question = f"@everyone what did <@{fake.users['bob']['id']}> say about the CSTO?"
    _, answer = ask(chat, question)
    thread_answer(chat, "{bot} @everyone why did the CSTO intervene?")
    sent = [r.body.get("data", r.body) for r in fake.requests[before:] if r.method == "POST" and isinstance(r.body, dict)
            and ("content" in r.body.get("data", r.body) or "embeds" in r.body.get("data", r.body))]
    assert sent and all(body.get("allowed_mentions") == {"parse": []} for body in sent)
    assert "@everyone" not in answer["content"] and f"<@{fake.users['bob']['id']}>" not in answer["content"]


def test_twenty_concurrent_asks_are_all_deferred_within_three_seconds(chat):
    fake = chat.discord

    async def twenty():
        interactions = await asyncio.gather(*(fake.slash("ask", question=f"{ON_TOPIC} ({n})") for n in range(20)))
        return interactions, await asyncio.gather(*(fake.reply_to(i, timeout=60) for i in interactions))

    interactions, answers = chat.run(twenty(), timeout=90)
    assert all(i.response_type == 5 for i in interactions)
    assert max(i.delay for i in interactions) < 3.0
    assert all(answer["embeds"] for answer in answers)


def test_sources_lists_the_documents_and_autocomplete_offers_them(chat, seeds_dir):
    fake = chat.discord
    listing = chat.run(fake.reply_to(chat.run(fake.slash("sources"))))
    assert listing["flags"] & EPHEMERAL
    documents = sorted(p.name for p in seeds_dir.iterdir() if p.suffix == ".txt")
    assert all(name in unmarked(listing["embeds"][0]["description"]) for name in documents)
    typed = chat.run(fake.autocomplete("ask", "source", "002", question="why?"))
    chat.run(fake.wait_until(lambda: typed.choices is not None, what="autocomplete choices"))
    assert [choice["value"] for choice in typed.choices] == [d for d in documents if d.startswith("002")]
    _, answer = ask(chat, ON_TOPIC, source=typed.choices[0]["value"])
    assert {cited(e)[0] for e in answer["embeds"]} == {typed.choices[0]["value"]}


def test_a_mistake_gets_a_short_message_and_the_bot_keeps_answering(chat):
    _, answer = ask(chat, ON_TOPIC, source="no-such-document")
    assert "no indexed source matches" in answer["content"] and "Traceback" not in answer["content"]
    assert ask(chat, ON_TOPIC)[1]["embeds"]


# ------------------------------------------------------------------------------ mentions and threads


def test_mention_is_answered_in_a_thread_started_on_the_question(chat):
    question = "What did Lukashenko warn Uzbekistan about?"
    thread, answer = thread_answer(chat, "{bot} " + question)
    assert thread["name"] == question and thread["parent_id"] == chat.discord.general
    assert answer["embeds"] and all(cited(embed) for embed in answer["embeds"])
    assert chat.discord.messages_in(chat.discord.general)[-1]["author"]["id"] != chat.discord.bot["id"]


def test_follow_up_in_the_thread_is_read_with_the_earlier_question(chat):
    fake = chat.discord
    thread, _ = thread_answer(chat, "{bot} What did Lukashenko warn Uzbekistan about?")
    follow_up = chat.run(fake.say("and how did Tolipov react?", channel_id=thread["id"]))
    [answer] = chat.run(fake.bot_messages_after(follow_up))
    assert "read as a follow-up to: What did Lukashenko warn Uzbekistan about?" in answer["content"]
    assert any("Tolipov" in embed["footer"]["text"] for embed in answer["embeds"])


def test_thread_understands_more_source_and_context_like_the_repl(chat):
    fake = chat.discord
    thread, first = thread_answer(chat, "{bot} " + ON_TOPIC)
    replies = []
    for line in ("more", ":context 1", ":source 002", ON_TOPIC):
        sent = chat.run(fake.say(line, channel_id=thread["id"]))
        replies += chat.run(fake.bot_messages_after(sent))
    more, context, source, filtered = replies
    assert [e["title"].split(".")[0] for e in more["embeds"]] == ["4", "5", "6"]
    assert cited(context["embeds"][0]) == cited(first["embeds"][0])
    assert "Quoting only 002" in source["content"]
    assert {cited(e)[0][:3] for e in filtered["embeds"]} == {"002"}


def test_without_permission_to_start_threads_the_answer_goes_into_the_channel(chat):
    fake = chat.discord
    fake.refuse_threads = True
    try:
        message = chat.run(fake.say("{bot} " + ON_TOPIC))
        [answer] = chat.run(fake.bot_messages_after(message))
    finally:
        fake.refuse_threads = False
    assert answer["channel_id"] == fake.general and answer["embeds"]


def test_every_message_in_a_question_channel_is_a_question(chat):
    fake = chat.discord
    chatter = chat.run(fake.say("lunch anyone?"))  # not for the bot: no mention, not a question channel
    thread, answer = thread_answer(chat, ON_TOPIC, channel_id=fake.questions)
    assert answer["embeds"] and "thread" not in fake.messages[chatter["id"]]
    assert not [m for m in fake.messages_in(fake.general) if int(m["id"]) > int(chatter["id"])]
    assert fake.identify["intents"] & MESSAGE_CONTENT_INTENT


# ------------------------------------------------------------------------------ who says what


def voice_of(embed: dict) -> str:
    return unmarked(embed["title"]).split(". ", 1)[1]


def test_ask_with_perspectives_gives_each_voice_its_excerpt_and_names_the_silent_ones(chat, seeds_dir):
    _, reply = ask(chat, "Was the CSTO intervention legal?", perspectives=True)
    assert reply["content"].startswith("**Perspectives on:** Was the CSTO intervention legal?")
    assert "Seem not to address it:" in reply["content"]
    voices = [voice_of(embed) for embed in reply["embeds"]]
    assert len(voices) >= 2 and len(set(voices)) == len(voices)
    silent = reply["content"].split("Seem not to address it:", 1)[1]
    assert not any(voice in silent for voice in voices)
    for embed in reply["embeds"]:
        source, start, end = cited(embed)
        assert normalise((seeds_dir / source).read_text(encoding="utf-8")[start:end]) == unmarked(embed["description"])
    assert {"Context 1", "Context 2"} <= set(buttons(reply))


def test_perspectives_of_an_off_topic_question_say_the_sources_do_not_cover_it(chat):
    _, reply = ask(chat, OFF_TOPIC, perspectives=True)
    assert NOT_COVERED in reply["content"] and "Seem not to address it:" in reply["content"] and reply["embeds"] == []
    _, answer = ask(chat, OFF_TOPIC)
    assert "Perspectives" not in buttons(answer)


def test_perspectives_respect_the_source_filter(chat):
    _, reply = ask(chat, "Was the CSTO intervention legal?", source="002", perspectives=True)
    assert reply["embeds"] and {cited(embed)[0][:3] for embed in reply["embeds"]} == {"002"}
    assert not any(label.startswith("Also said by") for label in buttons(reply))  # no other document is allowed


def test_perspectives_button_answers_the_asker_in_public_and_anyone_else_privately(chat):
    _, answer = ask(chat, ON_TOPIC)
    bobs = chat.run(chat.discord.reply_to(chat.run(chat.discord.click(answer, "Perspectives", user="bob"))))
    assert bobs["flags"] & EPHEMERAL and bobs["content"].startswith(f"**Perspectives on:** {ON_TOPIC}")
    click = chat.run(chat.discord.click(answer, "Perspectives"))
    alices = chat.run(chat.discord.reply_to(click))
    assert click.response_type == 7 and not alices["flags"] & EPHEMERAL
    assert [cited(e) for e in alices["embeds"]] == [cited(e) for e in bobs["embeds"]]
    assert buttons(chat.discord.messages[answer["id"]])["Perspectives"]["disabled"]


def test_also_said_by_shows_other_sources_stating_the_claim_only_to_the_clicker(chat):
    _, answer = ask(chat, ON_TOPIC)
    also = sorted(label for label in buttons(answer) if label.startswith("Also said by · "))
    assert also, buttons(answer)
    number = int(also[0].rsplit(" ", 1)[1])
    [excerpt] = [e for e in answer["embeds"] if e["title"].startswith(f"{number}.")]
    click = chat.run(chat.discord.click(answer, also[0], user="bob"))
    reply = chat.run(chat.discord.reply_to(click))
    assert chat.discord.visible_only_to[click.original_id] == chat.discord.users["bob"]["id"]
    assert reply["content"] == f"**Also said by**, of excerpt {number}:" and reply["embeds"]
    assert all(cited(e)[0] != cited(excerpt)[0] for e in reply["embeds"])  # never the excerpt's own document
    assert all("**" in e["description"] for e in reply["embeds"])  # the matching sentence in bold


def test_thread_understands_perspectives_and_also(chat):
    fake = chat.discord
    thread, _ = thread_answer(chat, "{bot} " + ON_TOPIC)
    replies = []
    for line in (":perspectives", ":also 1"):
        sent = chat.run(fake.say(line, channel_id=thread["id"]))
        replies += chat.run(fake.bot_messages_after(sent))
    perspectives, also = replies
    assert perspectives["content"].startswith("**Perspectives on:**") and perspectives["embeds"]
    assert also["content"].startswith(("**Also said by**, of excerpt 1", "No other source states a claim of excerpt 1"))


# ------------------------------------------------------------------------------ limits


def test_every_payload_the_bot_sent_is_within_discord_limits(chat):
    fake = chat.discord
    before = len(fake.requests)
    ask(chat, "why " * 490 + "did the CSTO intervene?")  # near the 2,000-character limit
    _, answer = ask(chat, ON_TOPIC)
    for label in ("More", "Context 1", "Perspectives", next(b for b in buttons(answer) if b.startswith("Also"))):
        chat.run(fake.reply_to(chat.run(fake.click(answer, label))))
    ask(chat, ON_TOPIC, perspectives=True)
    _, abstained = ask(chat, OFF_TOPIC)
    chat.run(fake.reply_to(chat.run(fake.click(abstained, "Closest passages"))))
    chat.run(fake.reply_to(chat.run(fake.slash("sources"))))
    thread, _ = thread_answer(chat, "{bot} " + ON_TOPIC)
    for line in ("more", ":sources", ":help", ":context 9", ":nonsense", ":perspectives", ":also 1"):
        chat.run(fake.bot_messages_after(chat.run(fake.say(line, channel_id=thread["id"]))))
    sent = fake.requests[before:]
    bodies = [r.body.get("data") or {} if r.path.startswith("/interactions/") else r.body
              for r in sent if r.method in ("POST", "PATCH") and isinstance(r.body, dict)]
    assert len(bodies) >= 20
    assert [problems(body) for body in bodies if problems(body)] == []
    assert fake.rejected() == [] and fake.unknown_routes == []
