"""Retrieval behaviour that quality depends on: speakers, duplicates, highlights, abstention."""

import pytest

from qabot.abstention import Signals
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


def test_a_voice_described_by_role_is_found(retriever):
    answer = retriever.ask("How does the professor at the Kazakh-German University see regional cooperation?", k=3)
    assert answer.excerpts[0].section == "Rustam Burnashev"


def test_an_acronym_the_sources_define_also_searches_its_full_name(retriever):
    assert "Collective Security Treaty Organization" in retriever.aliases.expansions("Who leads the CSTO?")
    plain = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"alias_weight": 0.0}}))
    gain = retriever.lexical_scores("Who leads the CSTO?", None) - plain.lexical_scores("Who leads the CSTO?", None)
    spelled_out = [r for r, p in enumerate(retriever.index.passages) if "Collective Security Treaty" in p.text]
    others = [r for r, p in enumerate(retriever.index.passages) if "Collective Security" not in p.embed_text]
    assert spelled_out and gain[spelled_out].min() > gain[others].max()  # more than a shared word gains


def test_a_synonyms_file_in_the_sources_folder_is_used_and_not_indexed(tiny_settings):
    from qabot.retrieval import Retriever

    question = "What does an apiarist take from the hive in late summer?"
    plain = Retriever.open(tiny_settings)
    (tiny_settings.sources / "synonyms.txt").write_text("# mine\napiarist => beekeepers\n", encoding="utf-8")
    aliased = Retriever.open(tiny_settings)
    assert "synonyms.txt" not in aliased.index.source_names
    assert aliased.aliases.expansions(question) == ["beekeepers"]
    gain = aliased.lexical_scores(question, None) - plain.lexical_scores(question, None)
    bees = [r for r, p in enumerate(aliased.index.passages) if "Beekeepers" in p.text]
    assert bees and all(gain[r] > 0 for r in bees)


def test_a_boilerplate_passage_is_demoted(retriever):
    question = "Which organisations contributed to the policy brief and how can they be contacted?"
    plain = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"boilerplate_penalty": 0.0}}))
    demoting = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"boilerplate_penalty": 0.3}}))

    def rank_of_contact_list(r):  # a list of e-mail, YouTube and web addresses
        rows = [row for row, _ in r.rank(question, None, None, "hybrid").rows]
        return next(i for i, row in enumerate(rows) if r.index.passages[row].text.startswith("@GCRF-COMPASS"))

    assert rank_of_contact_list(demoting) > rank_of_contact_list(plain) + 5


def test_an_off_topic_question_sharing_an_everyday_word_abstains(retriever):
    answer = retriever.ask("How do I improve the security of my home wifi router?", k=3)
    assert answer.abstained


def test_a_question_worded_unlike_the_sources_leans_on_the_vectors(retriever):
    question = "Were the riots explained by some as fallout from the health emergency?"  # the text says COVID-19, unrest
    ranking = retriever.rank(question, None, None, "hybrid")
    assert ranking.dense_share > retriever.settings.retrieval.dense_weight + 0.2
    assert "COVID-19 pandemic" in retriever.index.passages[ranking.rows[0][0]].text


def test_a_question_in_the_sources_own_rare_words_leans_on_bm25(retriever):
    ranking = retriever.rank("Lavrov Guterres democratizing interaction between states", None, None, "hybrid")
    assert ranking.dense_share < retriever.settings.retrieval.dense_weight - 0.2
    assert "Lavrov" in retriever.index.passages[ranking.rows[0][0]].text


def test_without_an_adaptive_slope_every_question_gets_the_same_dense_share(retriever):
    fixed = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"adaptive_weight": 0.0}}))
    for question in ("Were the riots explained by some as fallout from the health emergency?", "Lavrov Guterres"):
        assert fixed.rank(question, None, None, "hybrid").dense_share == fixed.settings.retrieval.dense_weight


def test_evidence_loses_the_unknown_penalty_times_the_unknown_share():
    signals = Signals(best_dense=0.5, known_names=1.0, covered=0.5, unknown=0.25)
    assert signals.evidence(0.1, 0.2, 0.4) == pytest.approx(0.5 + 0.1 + 0.1 - 0.1)
    assert signals.evidence(0.1, 0.2) == pytest.approx(0.7)  # no penalty: as before


def test_a_question_in_words_the_sources_never_use_loses_evidence_and_abstains(retriever):
    question = "What wildflowers bloom in the Kyrgyzstan meadows in spring?"  # Kyrgyzstan is known; the rest is not
    ranking = retriever.rank(question, None, None, "hybrid")
    lenient = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"unknown_penalty": 0.0}}))
    assert ranking.signals.unknown > 0.5
    assert lenient.rank(question, None, None, "hybrid").evidence - ranking.evidence == pytest.approx(
        retriever.settings.retrieval.unknown_penalty * ranking.signals.unknown
    )
    assert retriever.ask(question).abstained


def test_a_question_whose_words_the_sources_all_use_has_no_unknown_share(retriever):
    ranking = retriever.rank("Why did Tokayev ask the CSTO for help?", None, None, "hybrid")
    assert ranking.signals.unknown == 0.0 and ranking.evidence > retriever.settings.retrieval.abstain_below


def test_a_known_entity_asked_for_a_number_the_sources_never_give_abstains(retriever):
    question = "What is the population of Kyrgyzstan?"  # Kyrgyzstan is named throughout; its population never
    ranking = retriever.rank(question, None, None, "hybrid")
    lenient = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"mismatch_penalty": 0.0}}))
    assert ranking.signals.mismatch == 1.0
    assert lenient.rank(question, None, None, "hybrid").evidence - ranking.evidence == pytest.approx(
        retriever.settings.retrieval.mismatch_penalty
    )
    assert retriever.ask(question).abstained and not lenient.ask(question).abstained


def test_a_known_person_asked_for_a_date_the_sources_never_give_abstains(retriever):
    assert retriever.ask("When was Vladimir Putin born?").abstained


@pytest.mark.parametrize(
    "question",
    ["How many of the mission's personnel were Belarussian?", "When did the CSTO contingent finish leaving Kazakhstan?"],
)
def test_a_number_or_date_question_the_sources_answer_is_still_answered(retriever, question):
    ranking = retriever.rank(question, None, None, "hybrid")
    assert ranking.signals.mismatch == 0.0 and not retriever.ask(question).abstained


def test_the_answer_type_penalty_never_changes_the_order(retriever):
    question = "What is the population of Kyrgyzstan?"
    lenient = retriever.with_settings(retriever.settings.with_overrides({"retrieval": {"mismatch_penalty": 0.0}}))
    assert retriever.rank(question, None, None, "hybrid").rows == lenient.rank(question, None, None, "hybrid").rows
