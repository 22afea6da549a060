"""Aliases: the user's Solr-format synonyms file and "Full Name (ACRONYM)" pairs the documents state."""

import pytest

from qabot.aliases import Aliases, mine_acronyms, parse_synonyms
from qabot.errors import SettingsError
from qabot.ranking import low_content
from qabot.lexical import STOPWORDS
from qabot.voices import voice_descriptions


def test_solr_lines_are_equivalences_or_one_way_mappings():
    rules = parse_synonyms("# comment\nTV, television, telly\nbeeb => BBC\n\n")
    assert rules == [(["TV", "television", "telly"], ["TV", "television", "telly"]), (["beeb"], ["BBC"])]
    aliases = Aliases(rules)
    assert aliases.expansions("what is on the telly tonight") == ["TV", "television"]
    assert aliases.expansions("what did the beeb report") == ["BBC"]
    assert aliases.expansions("what did the BBC report") == []  # one way only


def test_a_malformed_synonym_line_is_a_settings_error_with_its_line():
    with pytest.raises(SettingsError, match="synonyms:2"):
        parse_synonyms("a, b\n => b\n")


def test_acronyms_defined_in_the_text_are_mined_with_their_full_name():
    text = "The North Atlantic Treaty Organization (NATO) met the World Health Organization (WHO). We (US) left."
    assert mine_acronyms([text]) == {"NATO": "North Atlantic Treaty Organization", "WHO": "World Health Organization"}


def test_an_acronym_triggers_its_full_name_and_back():
    aliases = Aliases.from_sources(None, ["the Union of European Football Associations (UEFA) said"])
    assert aliases.expansions("What did UEFA decide?") == ["Union of European Football Associations"]
    assert aliases.expansions("the union of european football associations") == ["UEFA"]
    assert aliases.expansions("uefa in lower case is a word, not the acronym") == []


def test_speaker_lines_and_author_notes_describe_voices():
    text = (
        "Jane Roe is a senior lecturer in hydrology at Some University.\n\n"
        "John Doe, director of the River Institute (Country):\n\nThe dam will hold.\n"
    )
    found = voice_descriptions(text, "Jane Roe")
    assert found == {"John Doe": "director of the River Institute (Country)", "Jane Roe": "senior lecturer in hydrology at Some University"}


def test_mastheads_and_name_lists_read_as_low_content_and_prose_does_not():
    masthead = "BAKU DIALOGUES POLICY PERSPECTIVES Vol. 5 | Contributors: Jane Roe, John Doe, Max Mustermann"
    prose = "The river flooded the lower village twice in one spring, and the miller moved upstream."
    assert low_content(masthead, STOPWORDS) > 0.5
    assert low_content(prose, STOPWORDS) == 0.0
