"""Replies → Discord messages: Discord's limits always hold, cuts keep the highlight and the citation,
and text from sources or users can neither format nor ping."""

from __future__ import annotations

from fake_discord import problems
import asyncio
from dataclasses import replace

from qabot.answer import Also, Answer, Excerpt, Highlight, Perspective, Perspectives
from qabot.conversation import AnswerReply, Page, PerspectivesReply, SourcesReply
from qabot.discord_render import (
    answer_message, escape, perspectives_message, shorten_start, source_choices, sources_message, thread_name,
)
from qabot.discord_views import AnswerView
from qabot.index import SourceInfo

WORDS = "the alliance sent peacekeepers to guard airports and power stations while talks went on "


def excerpt(text: str, highlight: str | None = None, title: str = "A title", source: str = "doc.txt", start: int = 100,
            rank: int = 1) -> Excerpt:
    at = text.find(highlight) if highlight else -1
    marked = Highlight(start + at, start + at + len(highlight), at, at + len(highlight)) if at >= 0 else None
    return Excerpt(source=source, start=start, end=start + len(text), text=text, score=1.0, rank=rank, title=title,
                   author="An Author", section="A section", highlight=marked)


def reply_of(*excerpts: Excerpt, abstained: bool = False) -> AnswerReply:
    answer = Answer("What happened?", abstained, tuple(excerpts), 0.9, more=True)
    return AnswerReply(answer, Page("What happened?", k=len(excerpts)))


def payload(message) -> dict:
    return {"content": message.content, "embeds": [embed.to_dict() for embed in message.embeds]}


def test_huge_excerpts_are_cut_at_a_word_keeping_the_highlight_and_the_citation():
    best = "The best sentence sits in the middle of a very long passage."
    text = WORDS * 150 + best + " " + WORDS * 150
    shown = [excerpt(text, best, title="T" * 1000, source=f"reports/{n}.txt", start=n * 10_000, rank=n + 1) for n in range(3)]
    message = answer_message(reply_of(*shown))
    assert problems(payload(message)) == []
    for embed, original in zip(message.embeds, shown):
        assert f"**{best}**" in embed.description
        assert embed.description.startswith("…") and embed.description.endswith("…")
        assert embed.footer.text.endswith(f"{original.source} [{original.start}:{original.end}]")


def test_ten_long_excerpts_share_the_six_thousand_characters_of_one_message():
    shown = [excerpt(WORDS * 30, title=f"Document {n}", source=f"{n}.txt", rank=n + 1) for n in range(10)]
    message = answer_message(reply_of(*shown))
    assert len(message.embeds) == 10 and problems(payload(message)) == []
    assert all(len(embed.description) > 300 for embed in message.embeds)


def test_markdown_links_and_mentions_in_a_quote_are_inert():
    text = "**loud** [click here](https://evil.example) ||hidden|| `code` @everyone <@123456789012345678>\n# Big"
    message = answer_message(reply_of(excerpt(text)))
    description = message.embeds[0].description
    assert "\\*\\*loud" in description and "\\[click here]" in description and "\\|\\|hidden" in description
    assert "@everyone" not in description and "<@123456789012345678>" not in description
    assert "\n\\# Big" in description
    assert escape("@here") != "@here"


def test_the_echoed_question_cannot_format_or_ping():
    answer = Answer("@everyone **why**?", False, (excerpt(WORDS),), 0.9)
    content = answer_message(AnswerReply(answer, Page(answer.question))).content
    assert "@everyone" not in content and "\\*\\*why\\*\\*" in content


def test_titles_and_names_cannot_break_lines_reorder_text_or_format():
    shown = excerpt(WORDS, title="**Bold**\nsecond line \u202eevil", source="a\nb.txt")
    message = answer_message(reply_of(shown))
    [embed] = message.embeds
    assert "\n" not in embed.title and "\u202e" not in embed.title and "\\*\\*Bold" in embed.title
    assert "\n" not in embed.footer.text and "\u202e" not in embed.footer.text
    listing = sources_message(SourcesReply([SourceInfo("a\nb.txt", "x\u202ey", None, None, 1)], None)).embeds[0]
    assert listing.description.count("\n") == 0 and "\u202e" not in listing.description


def test_an_abstention_shows_no_excerpts_and_points_to_the_closest_passages_button():
    message = answer_message(reply_of(excerpt(WORDS), abstained=True))
    assert message.embeds == [] and "Closest passages" in message.content


def test_a_long_sources_list_is_cut_with_a_count_of_the_rest():
    sources = [SourceInfo(f"folder/document-{n:04}.txt", "A rather long title " * 3, "Someone", None, 10) for n in range(500)]
    [embed] = sources_message(SourcesReply(sources, None)).embeds
    assert len(embed.description) <= 4096 and embed.description.splitlines()[-1].startswith("… and ")


def test_thread_names_and_autocomplete_choices_fit_discords_limits():
    assert len(thread_name("why " * 100)) <= 100 and thread_name("  \n ") == "question"
    sources = [SourceInfo("x" * 150 + f"{n}.txt", "t" * 150, None, None, 1) for n in range(40)]
    choices = source_choices(sources, "")
    assert len(choices) == 25 and all(len(name) <= 100 and len(value) <= 100 for name, value in choices)


def test_shorten_start_cuts_at_a_word_from_the_front():
    assert shorten_start("one two three four", 12) == "…three four"
    assert shorten_start("short", 10) == "short"


def test_a_follow_up_shows_the_question_it_leans_on_and_its_resolved_reading():
    from qabot.follow_up import FollowUp

    answer = Answer("Does he think so?", False, (excerpt("The alliance met."),), 0.9, False)
    page = Page("Does he think so?", FollowUp("What did Lukyanov write?", "Does Fyodor A. Lukyanov think so?"))
    content = answer_message(AnswerReply(answer, page)).content
    assert "*(read as a follow-up to: What did Lukyanov write?)*" in content
    assert "*(read as: Does Fyodor A. Lukyanov think so?)*" in content


def test_ten_corroborated_excerpts_keep_every_button_within_five_rows():
    also = (Also("other.txt", 0, 50, "Someone Else"),)
    shown = [replace(excerpt(WORDS * 3, source=f"{n}.txt", rank=n + 1), also=also) for n in range(10)]

    async def components():
        return AnswerView(reply_of(*shown), owner_id=1, timeout=60).to_components()

    rows = asyncio.run(components())
    labels = [button["label"] for row in rows for button in row["components"]]
    assert problems({"content": "x", "components": rows}) == []
    assert {f"Context {n}" for n in range(1, 11)} | {f"Also said by · {n}" for n in range(1, 11)} <= set(labels)
    assert "Perspectives" in labels


def test_perspectives_of_many_voices_fit_one_message_and_name_the_rest_inertly():
    voices = [Perspective(f"Voice {n} <@123456789012345678>", f"{n}.txt",
                          excerpt(WORDS * 20, source=f"{n}.txt", rank=n + 1)) for n in range(12)]
    silent = tuple(f"Silent voice {n} @everyone" for n in range(200))
    reply = PerspectivesReply(Perspectives(reply_of().answer, tuple(voices), silent), Page("What happened?"))
    message = perspectives_message(reply)
    assert problems(payload(message)) == [] and len(message.embeds) == 10
    assert "(the 10 strongest of 12 voices)" in message.content and "Seem not to address it: Silent voice 0" in message.content
    assert "@everyone" not in message.content and "<@123456789012345678>" not in str(payload(message))
    assert message.embeds[0].title.startswith("1. Voice 0")
