"""Rendering: highlights by offsets, plain text without styles, the same layout for text and rich."""

from qabot.answer import Answer, Excerpt, Highlight
from qabot.conversation import AnswerReply, MessageReply, Page
from qabot.follow_up import FollowUp
from qabot.render import (
    as_rich,
    as_text,
    citation,
    highlighted_parts,
    reply_lines,
    shorten,
)

TEXT = "The alliance met. It sent 2,500 troops to guard airports. They left in two weeks."


def excerpt(highlight=None, rank=1):
    return Excerpt(source="a.txt", start=100, end=100 + len(TEXT), text=TEXT, score=0.5, rank=rank,
                   title="A title", author="An Author", section="Facts", highlight=highlight, page=3)


def test_the_highlight_is_cut_out_by_its_display_offsets():
    start = TEXT.index("It sent")
    end = TEXT.index(" They")
    parts = highlighted_parts(excerpt(Highlight(100 + start, 100 + end, start, end)))
    assert parts == [("The alliance met. ", False), ("It sent 2,500 troops to guard airports.", True),
                     (" They left in two weeks.", False)]
    assert highlighted_parts(excerpt(Highlight(0, 1, 5, 500))) == [(TEXT, False)]  # out of range: no mark


def test_citation_names_who_where_and_which_characters():
    assert citation(excerpt()) == f"A title · An Author · § Facts · p. 3 · a.txt [100:{100 + len(TEXT)}]"


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    assert shorten("alpha beta gamma delta", 12) == "alpha beta…"
    assert shorten("short", 12) == "short"
    assert len(shorten("x" * 50, 10)) == 10


def test_plain_text_and_rich_share_one_layout():
    start, end = TEXT.index("It sent"), TEXT.index(" They")
    reply = AnswerReply(Answer("q?", False, (excerpt(Highlight(100 + start, 100 + end, start, end), rank=4),), 0.9, True),
                        Page("q?", FollowUp("earlier?", "q?"), offset=3, k=1))
    text = as_text(reply_lines(reply))
    assert text.startswith("(read as a follow-up to: earlier?)\n4. The alliance met. It sent")
    assert "— A title · An Author" in text and "(more: Enter or :more)" in text
    rich = as_rich(reply_lines(reply))
    assert rich.renderables[1].plain == text.splitlines()[1]
    bold = [span for span in rich.renderables[1].spans if span.style == "bold"]
    assert [rich.renderables[1].plain[s.start:s.end] for s in bold] == ["It sent 2,500 troops to guard airports."]


def test_a_follow_up_shows_its_resolved_reading_and_whether_it_was_also_read_alone():
    answer = Answer("Does he think so?", False, (excerpt(),), 0.9, False)
    resolved = FollowUp("What did Lukyanov write?", "Does Fyodor A. Lukyanov think so?")
    text = as_text(reply_lines(AnswerReply(answer, Page("Does he think so?", resolved))))
    assert text.startswith("(read as a follow-up to: What did Lukyanov write?)\n(read as: Does Fyodor A. Lukyanov think so?)\n")
    unsure = FollowUp("What did Lukyanov write?", "And Tokayev?", lean=1 / 3)
    text = as_text(reply_lines(AnswerReply(answer, Page("And Tokayev?", unsure))))
    assert text.startswith("(read as a follow-up to: What did Lukyanov write?, and on its own)\n1. ")


def test_an_abstention_hides_the_excerpts_until_asked():
    reply = AnswerReply(Answer("q?", True, (excerpt(),), 0.1, True), Page("q?"))
    text = as_text(reply_lines(reply))
    assert "don't seem to cover" in text and "a.txt" not in text and ":nearest" in text
    nearest = as_text(reply_lines(AnswerReply(reply.answer, reply.page, nearest=True)))
    assert "Closest passages" in nearest and "a.txt [100:" in nearest


def test_errors_are_marked_in_plain_text():
    assert as_text(reply_lines(MessageReply("no such source", error=True))) == "error: no such source\n"
