"""Reading a line against the previous turn (pure rules, no index): new topic, follow-up or unsure,
and what its pronouns stand for."""

from qabot.follow_up import NEW_NAMES, PRONOUN, UNSURE, Locality, Turn, last_place, name_terms, may_stand_alone, named_voices, read, stands_alone

PREVIOUS = "What precedent did Lukyanov see in the deployment to Kazakhstan?"
TURN = Turn(
    question=PREVIOUS, topic=PREVIOUS, names=name_terms(PREVIOUS), person="Fyodor A. Lukyanov",
    group="Fyodor A. Lukyanov", place="Kazakhstan", locality=Locality("002.txt", None),
)


def test_without_a_previous_turn_nothing_is_a_follow_up():
    assert read("Why?", None) is None


def test_a_pronoun_that_speaks_or_thinks_is_read_as_the_voice():
    assert read("What does he think comes next?", TURN).reading == "What does Fyodor A. Lukyanov think comes next?"
    assert read("Why does that matter, according to the author?", TURN).reading.endswith("according to Fyodor A. Lukyanov?")
    assert read("Where did he go afterwards?", TURN).reading == "Where did he go afterwards?"  # not a voice there


def test_there_is_read_as_the_place_named_before():
    assert read("How many soldiers stayed there?", TURN).reading == "How many soldiers stayed in Kazakhstan?"


def test_a_bare_follow_up_is_sure_and_keeps_the_context_and_locality():
    follow_up = read("Why?", TURN)
    assert follow_up.lean == 1 and follow_up.context == PREVIOUS and follow_up.locality == Locality("002.txt", None)
    assert read("What about Belarus?", TURN).lean == 1  # a new name, but nothing to stand on alone


def test_a_line_naming_someone_new_is_a_new_topic():
    assert read("What did Tokayev announce on television?", TURN) is None


def test_and_with_a_new_name_is_fused_leaning_on_the_line_and_its_pronouns_stay():
    follow_up = read("And what did Tokayev think of it?", TURN)
    assert follow_up.lean == NEW_NAMES < 0.5 and follow_up.reading == "And what did Tokayev think of it?"


def test_a_line_without_cues_or_new_names_is_fused_evenly():
    assert read("How long did the foreign troops stay before they were withdrawn in the end?", TURN).lean == UNSURE


def test_a_long_line_opening_with_a_pronoun_is_fused_leaning_on_the_context():
    assert read("Were they also expected to stay on once order had been restored in the country?", TURN).lean == PRONOUN
    assert read("Did the protesters say they were angry about the price of gas in the end?", TURN).lean == UNSURE
    assert UNSURE < PRONOUN < 1


def test_voices_are_named_by_whole_words_of_their_names():
    labels = ["CABAR.asia experts", "Fyodor A. Lukyanov", None]
    assert named_voices("Is Central Asia stable, in Lukyanov's view?", labels) == ["Fyodor A. Lukyanov"]
    assert named_voices("Is Central Asia stable?", labels) == []


def test_the_place_is_the_last_capitalised_name_that_is_no_voice_or_adjective():
    assert last_place("Did the Russian brief on Belarus mention Minsk or the Kremlin?", []) == "Kremlin"
    assert last_place("What did the Belarus brief say about Russian bases?", []) == "Belarus"
    assert last_place("What did Lukyanov write?", ["Fyodor A. Lukyanov", None]) is None  # a voice may have no name


def test_a_line_far_from_the_previous_question_and_close_to_other_passages_is_a_new_topic():
    line = "and why did fuel prices rise so sharply?"
    assert read(line, TURN) is not None and may_stand_alone(line)  # no capitalised name, starts with "and"
    assert stands_alone(gap=0.3, similarity=0.05, bars=(0.1, 0.2))
    assert not stands_alone(gap=0.05, similarity=0.05, bars=(0.1, 0.2))  # the previous answer matches as well
    assert not stands_alone(gap=0.3, similarity=0.4, bars=(0.1, 0.2))  # near the previous question


def test_a_line_that_refers_back_or_is_bare_is_never_a_new_topic_by_its_content():
    assert not may_stand_alone("and why did they raise fuel prices so sharply?")
    assert not may_stand_alone("And the price?")
    assert not may_stand_alone("And with the other setting, what happens?")  # "the other" refers back too
