"""The conversation layer shared by the REPL and the Discord bot, on the real retriever."""

import pytest

from qabot.conversation import (
    AnswerReply,
    ContextReply,
    Conversation,
    HelpReply,
    MessageReply,
    QuitReply,
    SourcesReply,
    is_follow_up,
)


@pytest.fixture
def chat(retriever):
    return Conversation(lambda: retriever, k=3)


def places(reply):
    return [(e.source, e.start) for e in reply.answer.excerpts]


def test_more_pages_without_repeats(chat):
    first = chat.handle("How did Belarus take part in the CSTO mission?")
    second = chat.handle(":more")
    third = chat.handle("")  # Enter after an answer pages on too
    assert isinstance(second, AnswerReply) and isinstance(third, AnswerReply)
    seen = places(first) + places(second) + places(third)
    assert len(seen) == 9 and len(set(seen)) == 9
    assert second.answer.offset == 3 and third.answer.offset == 6


@pytest.mark.parametrize("text, expected", [
    ("and Belarus?", True), ("why?", True), ("What did Tolipov say about that?", True),
    ("What about the Kyrgyz contingent?", True),
    ("How many personnel did the CSTO send to Kazakhstan in January 2022?", False),
])
def test_follow_up_detection(text, expected):
    assert is_follow_up(text) is expected


def test_follow_up_is_read_with_the_previous_question(chat, retriever):
    chat.handle("What did Lukashenko warn Uzbekistan about?")
    reply = chat.handle("and how did Tolipov react?")
    assert reply.follows_up == "What did Lukashenko warn Uzbekistan about?"
    alone = retriever.ask("and how did Tolipov react?", k=3)
    assert places(reply) != [(e.source, e.start) for e in alone.excerpts]
    assert any("Lukashenko" in e.text for e in reply.answer.excerpts)


def test_new_forgets_the_conversation(chat):
    chat.handle("What did Lukashenko warn Uzbekistan about?")
    chat.handle(":new")
    assert chat.handle("and why?").follows_up is None


def test_source_filter_and_all(chat):
    assert "Quoting only 002_3cb0feacf9f23aea.txt" in chat.handle(":source 002").text
    reply = chat.handle("What did Moscow do?")
    assert {e.source for e in reply.answer.excerpts} == {"002_3cb0feacf9f23aea.txt"}
    chat.handle(":all")
    assert chat.source is None
    unknown = chat.handle(":source nothing-like-it")
    assert isinstance(unknown, MessageReply) and unknown.error


def test_sources_lists_titles_and_counts(chat):
    reply = chat.handle(":sources")
    assert isinstance(reply, SourcesReply) and len(reply.sources) == 5
    assert all(s["title"] and s["passages"] > 0 for s in reply.sources)


def test_context_shows_the_text_around_an_excerpt(chat, retriever):
    chat.handle("How many personnel did the CSTO mission count?")
    reply = chat.handle(":context 1")
    assert isinstance(reply, ContextReply) and reply.number == 1
    assert reply.before and reply.after
    text = retriever.index.documents[reply.excerpt.source].text
    assert reply.excerpt.start > 0 and reply.after.split()[0] in text[reply.excerpt.end :]
    assert isinstance(chat.handle(":context 99"), MessageReply)


def test_abstention_then_nearest(chat):
    reply = chat.handle("What is the recommended tire pressure for a road bike?")
    assert reply.answer.abstained and not reply.nearest and chat.shown == {}
    nearest = chat.handle(":nearest")
    assert nearest.nearest and len(nearest.answer.excerpts) == 3


def test_commands_help_quit_and_unknown(chat):
    assert isinstance(chat.handle(":help"), HelpReply)
    assert isinstance(chat.handle(":quit"), QuitReply)
    wrong = chat.handle(":mroe")
    assert wrong.error and ":more" in wrong.text


def test_bad_input_becomes_a_message(chat):
    assert isinstance(chat.handle(""), MessageReply)
    assert chat.handle("\x00\x01").error
    assert "too long" in chat.handle("x" * 3000).text
    assert isinstance(chat.handle(":more"), MessageReply)
