"""Expected answer types read from English question words, on hand-made sentences."""

import pytest

from qabot.answer_type import expected_type, holds, mismatch
from qabot.lexical import tokenize


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many ships sailed?", "number"),
        ("how much did it cost", "number"),
        ("What is the population of the valley?", "number"),
        ("What percentage of voters stayed home?", "number"),
        ("When did the bridge open?", "date"),
        ("In what year was the mill built?", "date"),
        ("On which date was the treaty signed?", "date"),
        ("Why did the bridge close?", None),
        ("What did she say when the bridge closed?", None),  # "when" inside the question asks for no date
        ("Who built the mill?", None),
    ],
)
def test_the_expected_answer_type_comes_from_the_question_words(question, kind):
    assert expected_type(question) == kind


def test_a_year_is_a_date_not_a_count():
    assert holds("It opened in 1998.", "date") and not holds("It opened in 1998.", "number")
    assert holds("Some 2,500 workers came.", "number") and holds("It took ten days.", "number")
    assert holds("It opened in March.", "date") and not holds("It opened long ago.", "date")


def test_mismatch_needs_the_type_beside_the_questions_own_words():
    question = "How many ships sailed from the harbour?"
    beside = ["Twelve ships sailed that morning."]
    apart = ["The harbour was built in 1850.", "Ships sailed whenever the wind allowed."]
    terms = tokenize(question)
    assert mismatch(question, terms, beside, beside) == 0.0
    assert mismatch(question, terms, apart, apart) == 1.0


def test_numerals_the_question_names_must_be_in_the_best_passages():
    question = "Why did the mill close in 1931?"
    terms = tokenize(question)
    assert mismatch(question, terms, ["The mill closed in 1931."], ["The mill closed in 1931."]) == 0.0
    assert mismatch(question, terms, ["The mill closed."], ["The mill closed."]) == 1.0
    assert mismatch("Why did the mill close?", terms, ["Nothing."], ["Nothing."]) == 0.0
