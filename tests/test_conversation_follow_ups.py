"""Follow-ups through `Conversation` / `chat.handle_line` on the real retriever: pronouns read as the
voice of the last answer, a preference for where the last answer stood, topic changes (also one
that names nothing capitalised), fusion, and perspectives of a follow-up."""

from dataclasses import replace

import numpy as np
import pytest

from qabot.chat import handle_line
from qabot.conversation import Conversation, answer_page
from qabot.follow_up import NEW_NAMES, PRONOUN, UNSURE, read


@pytest.fixture
def chat(engine):
    return Conversation(engine, k=3)


def places(answer):
    return [(e.source, e.start) for e in answer.excerpts]


def voice_of(index, excerpt):
    row = next(r for r in np.flatnonzero(index.passage_sources == index.source_names.index(excerpt.source))
               if index.passages[r].start == excerpt.start)
    return index.voices[int(index.passage_voices[row])].label


def test_he_is_read_as_the_voice_of_the_first_excerpt_shown(chat, retriever):
    first = handle_line(chat, "What precedent did Russia set by sending troops to Kazakhstan?")
    voice = voice_of(retriever.index, first.answer.excerpts[0])
    reply = handle_line(chat, "What does he think comes next?")
    assert voice and reply.read_as == f"What does {voice} think comes next?"
    assert reply.follows_up == first.answer.question
    assert all(e.source == first.answer.excerpts[0].source for e in reply.answer.excerpts)


def test_a_follow_up_prefers_the_document_and_section_of_the_previous_answer(chat, retriever):
    first = chat.ask("How did Belarus take part in the CSTO mission?")
    reply = chat.ask("Why?")
    locality = reply.page.follow_up.locality
    assert (locality.source, locality.section) == (first.answer.excerpts[0].source, first.answer.excerpts[0].section)
    anywhere = retriever.ask("Why?", k=10, follow_up=replace(reply.page.follow_up, locality=None))
    near = retriever.ask("Why?", k=10, follow_up=reply.page.follow_up)
    rank_near = [e.source == locality.source and e.section == locality.section for e in near.excerpts]
    rank_anywhere = [e.source == locality.source and e.section == locality.section for e in anywhere.excerpts]
    assert places(near) != places(anywhere) and sum(rank_near[:5]) >= sum(rank_anywhere[:5])
    assert rank_near.index(True) <= rank_anywhere.index(True)


def test_and_naming_someone_new_is_answered_from_the_new_topic(chat, retriever):
    first = chat.ask("How did Belarus take part in the CSTO mission?")
    reply = chat.ask("And what did Tokayev say about foreign terrorists?")
    assert reply.page.follow_up.lean == NEW_NAMES and reply.read_as is None
    top = reply.answer.excerpts[0]
    assert (top.source, top.start) == places(retriever.ask("And what did Tokayev say about foreign terrorists?", k=1))[0]
    assert (top.source, top.start) not in places(first.answer)


def test_a_question_naming_something_new_without_and_stands_alone(chat, retriever):
    chat.ask("What did Lukashenko warn Uzbekistan about?")
    reply = chat.ask("What did Tokayev say about foreign terrorists?")
    assert reply.page.follow_up is None and reply.follows_up is None
    assert places(reply.answer) == places(retriever.ask("What did Tokayev say about foreign terrorists?", k=3))


def test_when_unsure_the_line_is_ranked_with_and_without_the_context_and_fused(chat, retriever):
    chat.ask("How did Belarus take part in the CSTO mission?")
    reply = chat.ask("How many soldiers did the country send?")
    follow_up = reply.page.follow_up
    assert follow_up.lean == UNSURE
    line = "How many soldiers did the country send?"  # five places: at three, a tie between the readings decides
    alone = set(places(retriever.ask(line, k=5)))
    leaning = set(places(retriever.ask(line, k=5, follow_up=replace(follow_up, lean=1.0))))
    fused = set(places(retriever.ask(line, k=5, follow_up=follow_up)))
    assert places(reply.answer) == places(retriever.ask(line, k=3, follow_up=follow_up))
    assert fused != alone and fused != leaning and fused <= alone | leaning
    assert fused & (alone - leaning) and fused & (leaning - alone)  # each reading brings something


def test_a_long_line_opening_with_a_pronoun_is_fused_leaning_on_the_previous_question(chat, retriever):
    first = handle_line(chat, "How did Belarus take part in the CSTO mission?")
    line = "Were they also expected to stay on once order had been restored in the country?"  # 15 words
    reply = handle_line(chat, line)
    follow_up = reply.page.follow_up
    assert follow_up.lean == PRONOUN and reply.follows_up == first.answer.question
    assert follow_up.locality.source == first.answer.excerpts[0].source
    fused = places(retriever.ask(line, k=10, follow_up=follow_up))
    evenly = places(retriever.ask(line, k=10, follow_up=replace(follow_up, lean=UNSURE)))
    assert places(reply.answer) == fused[:3] and fused != evenly


def test_the_page_token_of_a_follow_up_pages_the_follow_up(chat, engine, retriever):
    chat.ask("What precedent did Russia set by sending troops to Kazakhstan?")
    reply = chat.ask("What does he think comes next?")
    token = reply.next_page
    assert token.follow_up == reply.page.follow_up and token.offset == 3
    clicked = answer_page(engine, token)  # e.g. a Discord "More" button, by anyone, later
    assert places(clicked.answer) == places(chat.more().answer)
    assert places(clicked.answer) != places(retriever.ask(reply.page.question, k=3, offset=3))


def test_new_forgets_who_answered(chat):
    handle_line(chat, "What precedent did Russia set by sending troops to Kazakhstan?")
    handle_line(chat, ":new")
    reply = handle_line(chat, "What does he think comes next?")
    assert reply.page.follow_up is None and chat.turn.question == "What does he think comes next?"


def test_an_off_topic_line_after_an_answer_still_abstains(chat):
    chat.ask("What did Moscow do?")
    reply = chat.ask("What is the recommended tire pressure for a road bike?")
    assert reply.page.follow_up is not None and reply.answer.abstained  # fused, but judged on its own


def test_a_line_naming_nothing_new_far_from_the_previous_question_is_a_new_topic(chat, retriever):
    first = chat.ask("How did Belarus take part in the CSTO mission?")
    line = "and what did the street protesters demand?"
    assert read(line, chat.turn) is not None  # by its surface ("and …", no new name) it would follow up
    reply = chat.ask(line)
    assert reply.page.follow_up is None and reply.follows_up is None
    assert places(reply.answer) == places(retriever.ask(line, k=3))
    assert not set(places(reply.answer)) & set(places(first.answer))


def test_a_line_close_to_the_previous_answer_stays_a_follow_up(chat):
    chat.ask("How did Belarus take part in the CSTO mission?")
    reply = chat.ask("And what did its constitution say about neutrality?")
    assert reply.page.follow_up is not None  # "its" refers back: never a new topic by content alone


def test_perspectives_on_a_follow_up_rank_it_as_read(chat, retriever):
    chat.ask("What precedent did Russia set by sending troops to Kazakhstan?")
    reply = chat.ask("What does he think comes next?")
    perspectives = chat.perspectives().perspectives
    assert places(perspectives.answer) == places(reply.answer)
    typed = retriever.perspectives(reply.page.question, context=reply.page.context, k=3)
    assert places(perspectives.answer) != places(typed.answer)
