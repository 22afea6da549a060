"""The conversation layer shared by the REPL and the Discord bot, on the real engine and retriever."""

import pytest

from qabot.chat import HelpReply, QuitReply, handle_line
from qabot.conversation import (
    AnswerReply,
    ContextReply,
    Conversation,
    FollowUp,
    MessageReply,
    Page,
    SourcesReply,
    answer_page,
    is_follow_up,
)


@pytest.fixture
def chat(engine):
    return Conversation(engine, k=3)


def places(reply):
    return [(e.source, e.start) for e in reply.answer.excerpts]


def test_more_pages_without_repeats(chat):
    first = handle_line(chat, "How did Belarus take part in the CSTO mission?")
    second = handle_line(chat, ":more")
    third = handle_line(chat, "")  # Enter after an answer pages on too
    assert isinstance(second, AnswerReply) and isinstance(third, AnswerReply)
    seen = places(first) + places(second) + places(third)
    assert len(seen) == 9 and len(set(seen)) == 9
    assert [e.rank for e in third.answer.excerpts] == [7, 8, 9] and third.page.offset == 6


def test_a_page_token_pages_its_own_question_whatever_was_asked_since(chat, engine):
    first = chat.ask("How did Belarus take part in the CSTO mission?")
    chat.ask("What did Lukashenko warn Uzbekistan about?")
    older_next = chat.more(first.next_page)
    assert older_next.page.question == first.page.question and older_next.page.offset == 3
    assert places(older_next) == places(answer_page(engine, first.next_page))


def test_another_user_answering_a_page_leaves_the_conversation_alone(chat, engine):
    reply = chat.ask("How did Belarus take part in the CSTO mission?")
    before = (chat.topic, chat.latest, dict(chat.shown))
    other = answer_page(engine, reply.next_page)  # a click by someone else: stateless
    assert other.answer.excerpts and (chat.topic, chat.latest, dict(chat.shown)) == before


def test_pages_are_immutable_tokens():
    follow_up = FollowUp("What happened?", "why?")
    page = Page("why?", follow_up=follow_up, source="002", offset=3, k=3)
    assert page.next() == Page("why?", follow_up, "002", 6, 3) and page.offset == 3 and page.context == "What happened?"
    with pytest.raises(AttributeError):
        page.offset = 9


@pytest.mark.parametrize("text, expected", [
    ("and Belarus?", True), ("why?", True), ("What did Tolipov say about that?", True),
    ("What about the Kyrgyz contingent?", True),
    ("How many personnel did the CSTO send to Kazakhstan in January 2022?", False),
])
def test_follow_up_detection(text, expected):
    assert is_follow_up(text) is expected


def test_follow_up_is_read_with_the_previous_question(chat, retriever):
    chat.ask("What did Lukashenko warn Uzbekistan about?")
    reply = chat.ask("and how did Tolipov react?")
    assert reply.follows_up == "What did Lukashenko warn Uzbekistan about?"
    alone = retriever.ask("and how did Tolipov react?", k=3)
    scored = [(e.source, e.start, e.score) for e in reply.answer.excerpts]
    assert scored != [(e.source, e.start, e.score) for e in alone.excerpts]  # the context changed the ranking
    shown = reply.answer.excerpts + chat.more().answer.excerpts  # issue 14: Tolipov's introduction now ranks first
    assert any("Lukashenko" in e.text for e in shown)


def test_new_forgets_the_conversation(chat):
    handle_line(chat, "What did Lukashenko warn Uzbekistan about?")
    handle_line(chat, ":new")
    assert handle_line(chat, "and why?").follows_up is None


def test_source_filter_and_all(chat):
    assert "Quoting only 002_3cb0feacf9f23aea.txt" in handle_line(chat, ":source 002").text
    reply = handle_line(chat, "What did Moscow do?")
    assert {e.source for e in reply.answer.excerpts} == {"002_3cb0feacf9f23aea.txt"}
    assert reply.page.source == "002_3cb0feacf9f23aea.txt"
    handle_line(chat, ":all")
    assert chat.source is None
    unknown = handle_line(chat, ":source nothing-like-it")
    assert isinstance(unknown, MessageReply) and unknown.error


def test_sources_lists_titles_and_counts(chat):
    reply = handle_line(chat, ":sources")
    assert isinstance(reply, SourcesReply) and len(reply.sources) == 5
    assert all(s.title and s.passages > 0 for s in reply.sources)


def test_context_shows_the_text_around_an_excerpt(chat, retriever):
    handle_line(chat, "How many personnel did the CSTO mission count?")
    reply = handle_line(chat, ":context 1")
    assert isinstance(reply, ContextReply) and reply.excerpt.rank == 1
    assert reply.before and reply.after
    text = retriever.index.document(reply.excerpt.source).text
    assert reply.excerpt.start > 0 and reply.after.split()[0] in text[reply.excerpt.end :]
    missing = handle_line(chat, ":context 99")
    assert isinstance(missing, MessageReply) and missing.error and "shown: 1, 2, 3" in missing.text


def test_abstention_then_nearest(chat):
    reply = handle_line(chat, "What is the recommended tire pressure for a road bike?")
    assert reply.answer.abstained and not reply.nearest and chat.shown == {} and reply.next_page is None
    nearest = handle_line(chat, ":nearest")
    assert nearest.nearest and len(nearest.shown) == 3 and nearest.next_page is not None


def test_commands_help_quit_and_unknown(chat):
    assert isinstance(handle_line(chat, ":help"), HelpReply)
    assert isinstance(handle_line(chat, ":quit"), QuitReply)
    wrong = handle_line(chat, ":mroe")
    assert wrong.error and ":more" in wrong.text


def test_bad_input_becomes_a_message(chat):
    assert isinstance(handle_line(chat, ""), MessageReply)
    assert handle_line(chat, "\x00\x01").error
    assert "too long" in handle_line(chat, "x" * 3000).text
    assert isinstance(handle_line(chat, ":more"), MessageReply)


def test_perspectives_of_the_last_question_and_also_of_an_excerpt(chat):
    from qabot.conversation import AlsoReply, PerspectivesReply
    from qabot.render import reply_as_text

    assert isinstance(handle_line(chat, ":perspectives"), MessageReply)
    handle_line(chat, "Was the CSTO intervention legal?")
    reply = handle_line(chat, ":perspectives")
    assert isinstance(reply, PerspectivesReply) and len(reply.perspectives.perspectives) >= 2
    text = reply_as_text(reply)
    assert "Seem not to address it:" in text and reply.perspectives.perspectives[0].voice in text
    numbered = {p.excerpt.rank: p.excerpt for p in reply.perspectives.perspectives}
    with_also = [n for n, e in numbered.items() if e.also]
    assert with_also, "some voice's excerpt is corroborated"
    also = handle_line(chat, f":also {with_also[0]}")
    assert isinstance(also, AlsoReply) and len(also.passages) == len(numbered[with_also[0]].also)
    assert [(p.source, p.start) for p in also.passages] == [(a.source, a.start) for a in numbered[with_also[0]].also]
    assert "also in: " in text and "Also said, of excerpt" in reply_as_text(also)
    assert handle_line(chat, ":also 99").error and handle_line(chat, ":also x").error
