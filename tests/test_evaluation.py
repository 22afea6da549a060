"""Metric figures on a tiny hand-made case, the relevance rule, bad question files, and `qabot eval`."""

import json
import math

import pytest

from qabot.answer import Answer, Excerpt
from qabot.eval_report import hit_curve
from qabot.evaluation import (
    EvalInputError,
    EvalQuestion,
    QuestionOutcome,
    covered_occurrence,
    find_occurrences,
    load_questions,
    summarise,
)

TEXT = "alpha beta gamma delta. " * 4  # 96 characters, the gold span stands at 0 and at 24


def excerpt(source, start, end):
    return Excerpt(source=source, start=start, end=end, text="t", score=0.0, rank=1)


def outcome(qid, occurrences, hits, abstained=False, source="a.txt", kind=None):
    question = EvalQuestion(qid, "q?", source, "x" if source else None, kind, tuple(occurrences))
    return QuestionOutcome(question, Answer("q?", abstained, tuple(hits)))


def test_relevance_needs_the_gold_file_and_half_of_an_occurrence():
    question = EvalQuestion("q", "?", "a.txt", "x", None, ((10, 20), (50, 60)))
    assert covered_occurrence(excerpt("a.txt", 15, 40), question) == 0  # exactly half of the first
    assert covered_occurrence(excerpt("a.txt", 16, 40), question) is None  # less than half
    assert covered_occurrence(excerpt("a.txt", 0, 55), question) == 0
    assert covered_occurrence(excerpt("a.txt", 52, 90), question) == 1  # the second occurrence counts
    assert covered_occurrence(excerpt("b.txt", 10, 20), question) is None  # wrong file


def test_occurrences_found_verbatim_and_across_line_breaks():
    assert find_occurrences(TEXT, "alpha beta") == [(0, 10), (24, 34), (48, 58), (72, 82)]
    raw = "the CSTO had a\nrole in **addressing** the crisis"
    [(start, end)] = find_occurrences(raw, "role in addressing the crisis")
    assert raw[start:end] == "role in **addressing** the crisis"


def test_metric_figures_on_a_hand_checked_case():
    # q1: relevant at rank 1; q2: relevant at rank 3; q3: never relevant; off1 abstains, off2 does not.
    outcomes = [
        outcome("q1", [(0, 10)], [excerpt("a.txt", 0, 10), excerpt("a.txt", 50, 60)], kind="fact"),
        outcome("q2", [(0, 10)], [excerpt("b.txt", 0, 10), excerpt("a.txt", 40, 50), excerpt("a.txt", 0, 12)], kind="fact"),
        outcome("q3", [(0, 10)], [excerpt("a.txt", 30, 40)], abstained=True, kind="hard"),
        outcome("off1", [], [excerpt("a.txt", 0, 10)], abstained=True, source=None),
        outcome("off2", [], [excerpt("a.txt", 0, 10)], source=None),
    ]
    metrics = summarise(outcomes, depth=10)
    assert metrics["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["hit@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["mrr@10"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    # nDCG@10 with one relevant item: 1/log2(rank+1) → (1 + 0.5 + 0) / 3 (q2's third hit covers 10 of 10)
    assert metrics["ndcg@10"] == pytest.approx((1 + 0.5) / 3, abs=1e-4)
    assert metrics["recall@10"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["answered"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["useful@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["abstain_accuracy"] == 0.5
    assert metrics["missed"] == ["q3"]
    assert metrics["wrongly_answered_off_topic"] == ["off2"]
    assert metrics["by_kind"]["fact"]["hit@1"] == 0.5 and metrics["by_kind"]["hard"]["hit@5"] == 0
    assert hit_curve(outcomes)[:3] == pytest.approx([1 / 3, 1 / 3, 2 / 3])


def test_recall_counts_each_gold_occurrence_once():
    both = outcome("q", [(0, 10), (24, 34)], [excerpt("a.txt", 0, 10), excerpt("a.txt", 0, 10), excerpt("a.txt", 24, 34)])
    one = outcome("r", [(0, 10), (24, 34)], [excerpt("a.txt", 0, 10), excerpt("a.txt", 2, 10)])
    metrics = summarise([both, one], depth=10)
    assert metrics["recall@10"] == pytest.approx((1 + 0.5) / 2)
    # nDCG@10 with two relevant items: ideal 1 + 1/log2(3); q gets 1 + 0 + 1/log2(4) = 1.5; r gets 1
    ideal = 1 + 1 / math.log2(3)
    assert metrics["ndcg@10"] == pytest.approx((1.5 / ideal + 1 / ideal) / 2, abs=1e-4)


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sources(name):
    return {"a.txt": TEXT}.get(name)


def test_bad_lines_are_reported_with_file_and_line_and_skipped(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", [
        json.dumps({"id": "good", "question": "Where is gamma?", "source": "a.txt", "answer": "gamma delta"}),
        "{not json",
        json.dumps({"id": "x", "question": "?", "source": "missing.txt", "answer": "gamma"}),
        json.dumps({"id": "y", "question": "Which?", "source": "a.txt", "answer": "not in the text"}),
        json.dumps({"id": "off", "question": "Sourdough?", "source": None, "answer": None}),
    ])
    result = load_questions(path, sources)
    assert [q.id for q in result.questions] == ["good", "off"]
    assert any(p.startswith(f"{path}:2:") and "JSON" in p for p in result.problems)
    assert any(f"{path}:3:" in p and "unknown source" in p for p in result.problems)
    assert any(f"{path}:4:" in p and "not found" in p for p in result.problems)


@pytest.mark.parametrize("content", ["", "{bad\n", json.dumps({"question": "?", "source": "nope.txt", "answer": "a"})])
def test_nothing_usable_is_an_error(tmp_path, content):
    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalInputError):
        load_questions(path, sources)


def test_eval_command_reports_every_metric_and_writes_the_run(tmp_path, capsys, seed_settings):
    from qabot.cli import main

    repo_dev = __import__("pathlib").Path(__file__).resolve().parent.parent / "eval" / "dev.jsonl"
    lines = repo_dev.read_text(encoding="utf-8").splitlines()
    questions = write_lines(tmp_path / "few.jsonl", lines[:4] + lines[-2:])
    run_file = tmp_path / "run.jsonl"
    code = main(["eval", "--questions", str(questions), "--json", "--run-out", str(run_file), "--compare", "default,bm25",
                 "--plot", str(tmp_path / "hits.png"),
                 "--sources", str(seed_settings.sources), "--index", str(seed_settings.index)])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    for name in ("default", "bm25"):
        metrics = report["configurations"][name]
        assert metrics["answerable"] == 4 and metrics["off_topic"] == 2
        for key in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@10", "answered",
                    "abstain_accuracy", "useful@5", "median_excerpt_chars", "by_kind", "missed"):
            assert key in metrics
        lines_out = [json.loads(l) for l in (tmp_path / f"run.{name}.jsonl").read_text().splitlines()]
        assert len(lines_out) == 6 and all(1 <= len(l["hits"]) <= 10 for l in lines_out)
        assert name != "default" or all(len(l["hits"]) == 10 for l in lines_out)
        assert set(lines_out[0]) == {"id", "abstained", "hits"}
    assert (tmp_path / "hits.png").stat().st_size > 1000


def test_unknown_configuration_is_a_clear_error(capsys, seed_settings):
    from qabot.cli import main

    code = main(["eval", "--compare", "default,nope", "--sources", str(seed_settings.sources), "--index", str(seed_settings.index)])
    assert code == 2 and "unknown configuration 'nope'" in capsys.readouterr().err
