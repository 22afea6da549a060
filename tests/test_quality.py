"""Retrieval behaviour that quality depends on: speakers, duplicates, highlights, abstention."""

from qabot.display import normalise


def test_answer_in_a_qa_is_cited_with_the_right_speaker(retriever):
    answer = retriever.ask("Where does Tolipov suggest the Central Asian presidents should meet?", k=5)
    cited = [e for e in answer.excerpts if "Consultative Meeting of the Presidents" in e.text]
    assert cited and cited[0].section == "Farkhod Tolipov"


def test_duplicated_half_of_a_document_is_not_quoted_twice(retriever):
    answer = retriever.ask("Did observers blame the unrest on the effects of the COVID-19 pandemic?", k=10)
    sentence = "Others have pinned social unrest on the prolonged effects of the COVID-19 pandemic."
    assert sum(sentence in e.text for e in answer.excerpts) == 1


def test_highlight_lies_inside_its_excerpt_and_is_verbatim(retriever, seed_settings):
    answer = retriever.ask("Which Central Asian capitals are proposed for a summit of presidents?", k=5)
    highlighted = [e for e in answer.excerpts if e.highlight]
    assert highlighted
    for excerpt in highlighted:
        assert excerpt.start <= excerpt.highlight.start < excerpt.highlight.end <= excerpt.end
        raw = (seed_settings.sources / excerpt.source).open(encoding="utf-8", newline="").read()
        shown = excerpt.text[excerpt.highlight.text_start : excerpt.highlight.text_end]
        assert shown == normalise(raw[excerpt.highlight.start : excerpt.highlight.end])


def test_highlight_picks_the_sentence_that_answers(retriever):
    answer = retriever.ask("How many of the mission's personnel were Belarussian?", k=5)
    top = next(e for e in answer.excerpts if "2,500 personnel" in e.text)
    assert top.highlight is not None
    assert "700 of which were Belarussian" in top.text[top.highlight.text_start : top.highlight.text_end]


def test_off_topic_question_abstains_but_still_ranks_the_nearest(retriever):
    answer = retriever.ask("How do I make a sourdough starter at home?", k=3)
    assert answer.abstained and answer.confidence < 0.5
    assert len(answer.excerpts) == 3  # the nearest passages stay available on request


def test_on_topic_question_is_answered_with_confidence(retriever):
    answer = retriever.ask("Why did the CSTO send peacekeepers to Kazakhstan in January 2022?", k=3)
    assert not answer.abstained and answer.confidence > 0.5


def test_a_name_the_sources_know_counts_as_evidence(retriever):
    answer = retriever.ask("What positions does Alexander Cooley hold?", k=5)
    assert not answer.abstained
    assert any("Alexander Cooley" in e.text for e in answer.excerpts)


def test_abstention_can_be_switched_off(retriever):
    never = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"abstain_below": -1.0}}))
    assert not never.ask("What is the boiling point of water on Everest?").abstained


def test_a_question_naming_a_speaker_quotes_that_speaker_first(retriever):
    answer = retriever.ask("What does Salimov think about the regional consequences?", k=3)
    assert answer.excerpts[0].section == "Farrukh Salimov"


def test_section_headings_are_not_voices(retriever):
    # "CSTO" appears in section headings; naming it must not boost those sections as if a person spoke
    assert retriever._named_voices("What did the CSTO do?") == []
    assert retriever._named_voices("What did Tolipov say?")
