from pathlib import Path

from qabot.display import clean_with_offsets, normalise
from qabot.passages import split_document
from qabot.sources import Document, read_sources

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_normalise_joins_whitespace_and_mends_hyphenated_breaks_and_emphasis():
    raw = "the **potential** reper-\n\ncussions of [the CSTO](http://x.org)   mission\n*here*"
    assert normalise(raw) == "the potential repercussions of the CSTO mission here"


def test_clean_offsets_point_back_to_the_raw_characters():
    raw = "## Title\n\nSome **bold** text, hyphen-\nated."
    text, offsets = clean_with_offsets(raw)
    assert len(text) == len(offsets)
    for char, offset in zip(text, offsets):
        if char != " ":
            assert raw[offset] == char


def test_seed_passages_are_verbatim_short_and_never_cut_mid_word():
    scan = read_sources(SEEDS)
    lengths = []
    for document in scan.documents:
        for passage in split_document(document):
            raw = document.text[passage.start : passage.end]
            assert passage.text == normalise(raw)
            assert passage.start == 0 or not (document.text[passage.start - 1].isalnum() and raw[0].isalnum())
            assert passage.end == len(document.text) or not (raw[-1].isalnum() and document.text[passage.end].isalnum())
            lengths.append(len(passage.text))
    lengths.sort()
    assert lengths[len(lengths) // 2] <= 600
    assert max(lengths) <= 1000


def test_repeated_paragraphs_are_indexed_once():
    paragraph = "The alliance sent peacekeepers to guard airports and power stations for a short time only."
    text = f"{paragraph}\n\nSomething else happened later that week in the capital city.\n\n{paragraph}\n"
    document = Document("doc.txt", text, "h")
    passages = split_document(document, target_chars=100, max_chars=200)
    assert sum(paragraph in p.text for p in passages) == 1


def test_passages_do_not_cross_sections():
    text = "# One\n\n" + "First section sentence here. " * 5 + "\n\n# Two\n\n" + "Second section sentence. " * 5
    from qabot.sources import find_sections

    document = Document("d.md", text, "h", sections=tuple(find_sections(text)))
    passages = split_document(document, target_chars=400, max_chars=600)
    assert [p.section for p in passages] == ["One", "Two"]
    assert all(("First" in p.text) != ("Second" in p.text) for p in passages)
