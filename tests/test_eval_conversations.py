"""`qabot eval --conversations`: loading, the three-way metrics on a hand-made case, the command."""

import json

import pytest

from qabot.eval_conversations import ConversationOutcome, EvalConversation, load_conversations, summarise_conversations
from qabot.evaluation import EvalInputError, EvalQuestion


def outcome(kind, conversation, alone, glued, repeated=False):
    question = EvalQuestion(f"{kind}-{conversation}-{alone}", "why?", "a.txt", "x", kind, ((0, 1),))
    return ConversationOutcome(EvalConversation(("first?", "why?"), question),
                               {"conversation": conversation, "alone": alone, "glued": glued}, repeated, [0.01, 0.02])


def test_three_way_hits_per_kind_and_topic_changes_from_the_previous_topic():
    summary = summarise_conversations([
        outcome("follow-up", 1, None, 3), outcome("follow-up", 6, 2, None), outcome("topic-change", None, 1, 1, True),
    ])
    assert summary["follow-up"] == {"conversations": 2, "conversation:hit@1": 0.5, "conversation:hit@5": 0.5,
                                    "alone:hit@1": 0.0, "alone:hit@5": 0.5, "glued:hit@1": 0.0, "glued:hit@5": 0.5}
    assert summary["all"]["alone:hit@1"] == 0.3333  # rounded to 4 places, as every metric
    assert summary["topic_change_from_previous_topic"] == 1 and summary["later_turn_ms_p50"] == 20.0
    assert summary["missed"] == ["follow-up-6-2", "topic-change-None-1"]


def test_bad_conversation_lines_are_reported_and_skipped(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [
        {"id": "ok", "turns": ["What is x?", "why?"], "source": "a.txt", "answer": "x is y", "kind": "follow-up"},
        {"id": "one", "turns": ["only one"], "source": "a.txt", "answer": "x is y"},
        {"id": "gone", "turns": ["a?", "b?"], "source": "b.txt", "answer": "x is y"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    conversations, problems = load_conversations(path, lambda name: "so x is y here" if name == "a.txt" else None)
    assert [c.last.id for c in conversations] == ["ok"] and conversations[0].last.occurrences == ((3, 9),)
    assert [p.split(": ")[0] for p in problems] == [f"{path}:2", f"{path}:3", f"{path}:4"]
    with pytest.raises(EvalInputError):
        load_conversations(tmp_path / "missing.jsonl", lambda name: None)


def test_eval_conversations_command_prints_json(seed_settings, retriever, tmp_path, capsys):
    from qabot.cli import main

    path = tmp_path / "c.jsonl"
    text = retriever.index.document("002_3cb0feacf9f23aea.txt").text
    answer = text[text.index("This is the evolution"):][:120]
    path.write_text(json.dumps({"id": "c1", "turns": ["What precedent did Russia set in Kazakhstan?", "And Belarus?"],
                                "source": "002_3cb0feacf9f23aea.txt", "answer": answer, "kind": "follow-up"}) + "\n")
    assert main(["eval", "--conversations", str(path), "--json", "--sources", str(seed_settings.sources),
                 "--index", str(seed_settings.index)]) == 0
    summary = json.loads(capsys.readouterr().out)["configurations"]["default"]
    assert summary["conversations"] == 1 and set(summary["follow-up"]) >= {"conversation:hit@5", "alone:hit@5", "glued:hit@5"}


def test_bench_conversations_prints_turn_latency_beside_the_lines_alone(seed_settings, retriever, tmp_path, capsys):
    from qabot.cli import main

    path = tmp_path / "c.jsonl"
    text = retriever.index.document("002_3cb0feacf9f23aea.txt").text
    answer = text[text.index("This is the evolution"):][:120]
    path.write_text(json.dumps({"id": "c1", "turns": ["What precedent did Russia set in Kazakhstan?", "And Belarus?", "Why?"],
                                "source": "002_3cb0feacf9f23aea.txt", "answer": answer, "kind": "follow-up"}) + "\n")
    assert main(["bench", "--conversations", str(path), "--json", "--sources", str(seed_settings.sources),
                 "--index", str(seed_settings.index)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["conversations"] == 1 and result["first_turn"]["turns"] == 1
    assert result["later_turn"]["turns"] == 2 and result["alone"]["turns"] == 3
    assert result["later_turn"]["p50_ms"] > 0 and result["later_turn"]["p90_ms"] >= result["later_turn"]["p50_ms"]
    assert result["later_turn"]["cpu_p50_ms"] > 0  # work done, beside the wall time a loaded machine stretches
