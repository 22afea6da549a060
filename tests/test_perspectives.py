"""Who says what: one excerpt per voice that addresses a question, and the voices that do not, named."""

import json

import numpy as np

from qabot.cli import main
from qabot.display import normalise
from qabot.perspectives import split_addressed, voice_evidence

SEVERAL_VOICES = "Was the CSTO intervention legal?"


def test_voice_evidence_takes_each_voices_best_row_and_mean_of_two():
    scores = np.array([1.0, 0.2, 0.6, 0.4, 0.5])
    voices = np.array([0, 1, 0, 1, 2])
    evidence = voice_evidence(scores, voices)
    assert [(e.voice, e.row) for e in evidence] == [(0, 0), (2, 4), (1, 3)]
    assert [round(e.strength, 2) for e in evidence] == [0.8, 0.5, 0.3]
    addressed, silent = split_addressed(evidence, 0.45)
    assert [e.voice for e in addressed] == [0, 2] and [e.voice for e in silent] == [1]


def test_voice_evidence_respects_the_allowed_passages():
    evidence = voice_evidence(np.array([1.0, 0.2, 0.6]), np.array([0, 1, 1]), np.array([False, True, True]))
    assert [(e.voice, e.row) for e in evidence] == [(1, 2)]


def test_a_question_several_voices_answer_lists_each_once_best_first(retriever, seed_settings):
    result = retriever.perspectives(SEVERAL_VOICES)
    voices = [p.voice for p in result.perspectives]
    assert len(voices) >= 2 and len(set(voices)) == len(voices)
    assert len({p.source for p in result.perspectives}) >= 2
    scores = [p.excerpt.score for p in result.perspectives]
    assert [p.excerpt.rank for p in result.perspectives] == list(range(1, len(voices) + 1))
    assert set(voices) | set(result.not_addressed) == {v.label for v in retriever.index.voices}
    assert not set(voices) & set(result.not_addressed)
    assert scores[0] == max(scores)
    for perspective in result.perspectives:
        raw = (seed_settings.sources / perspective.source).open(encoding="utf-8", newline="").read()
        assert perspective.excerpt.text == normalise(raw[perspective.excerpt.start : perspective.excerpt.end])


def test_a_voice_that_does_not_address_it_is_named_as_such(retriever):
    result = retriever.perspectives(SEVERAL_VOICES)
    speakers = {v.speaker for v in retriever.index.voices if v.speaker}
    assert speakers & set(result.not_addressed)  # the round-table speakers do not discuss legality


def test_when_the_sources_do_not_cover_a_question_no_voice_addresses_it(retriever):
    result = retriever.perspectives("What is the best recipe for chocolate cake?")
    assert result.answer.abstained and result.perspectives == ()
    assert set(result.not_addressed) == {v.label for v in retriever.index.voices}
    assert split_addressed(voice_evidence(np.array([1.0, 0.9]), np.array([0, 1])), 0.5, covered=False)[0] == []


def test_perspectives_respect_the_source_filter(retriever):
    result = retriever.perspectives(SEVERAL_VOICES, source="003")
    assert all(p.source.startswith("003") for p in result.perspectives)
    assert all(e.source.startswith("003") for e in result.answer.excerpts)
    named = set(result.not_addressed) | {p.voice for p in result.perspectives}
    assert "Fyodor A. Lukyanov" not in named and "Farkhod Tolipov" in named


def test_ask_perspectives_json_adds_voices_to_the_answer(capsys, seed_settings):
    code = main(["ask", SEVERAL_VOICES, "--perspectives", "--json",
                 "--sources", str(seed_settings.sources), "--index", str(seed_settings.index)])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert {"question", "excerpts", "perspectives", "not_addressed"} <= set(data)
    for perspective in data["perspectives"]:
        assert set(perspective) == {"voice", "source", "excerpt"}
        assert perspective["excerpt"]["source"] == perspective["source"] and "also" in perspective["excerpt"]
    assert all(isinstance(name, str) for name in data["not_addressed"])


def test_ask_perspectives_text_heads_each_excerpt_with_its_voice(capsys, seed_settings):
    code = main(["ask", SEVERAL_VOICES, "--perspectives",
                 "--sources", str(seed_settings.sources), "--index", str(seed_settings.index)])
    out, _ = capsys.readouterr()
    assert code == 0 and "Perspectives on:" in out and "Seem not to address it:" in out
    assert "1. Filippo Costa Buranelli: " in out or "1. " in out.split("Perspectives on:")[1]


def test_labelled_voices_are_matched_and_scored(retriever, tmp_path):
    from pathlib import Path

    from qabot.perspective_eval import voice_cases, voice_number

    assert voice_number(retriever.index, "Farkhod Tolipov") is not None
    assert voice_number(retriever.index, "fyodor a. lukyanov") is not None
    assert voice_number(retriever.index, "Nobody Anywhere") is None
    lines = (Path(__file__).resolve().parent.parent / "eval" / "perspectives.jsonl").read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "sample.jsonl"
    sample.write_text("\n".join(lines[:2]) + "\nnot json\n", encoding="utf-8")
    cases, problems = voice_cases(retriever, sample)
    assert len(cases) == 18 and len(problems) == 1 and problems[0].startswith(f"{sample}:3:")
    assert all((c.hit is None) != c.addressed for c in cases)
    for case in (c for c in cases if c.addressed):  # every gold span lies in a passage of its voice
        assert case.gold_rank is not None and case.hit == (case.gold_rank == 1)
        assert case.beside or not case.hit  # the gold passage itself counts as beside the gold
