"""Conversations as an evaluation: is the last turn answered, read in its conversation?

A conversation file is JSONL, `{"id", "turns": [...], "source", "answer", "kind"}`, the gold span
belonging to the last turn; `kind` is "follow-up" or "topic-change". The last turn is ranked three
ways — through a `Conversation` after the earlier turns, alone, and naively glued to the earlier
turns — and hit@1/hit@5 are reported for each. A topic change is "answered from the previous
topic" when its first excerpt is not relevant and was already shown for the turn before.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from qabot.evaluation import (
    EvalInputError,
    EvalQuestion,
    find_occurrences,
    is_relevant,
    read_jsonl,
)

WAYS = ("conversation", "alone", "glued")
SHOWN = 3  # excerpts the user saw for the turn before (one chat page)


@dataclass(frozen=True)
class EvalConversation:
    turns: tuple[str, ...]
    last: EvalQuestion  # the last turn with its gold occurrences


@dataclass(frozen=True)
class ConversationOutcome:
    conversation: EvalConversation
    ranks: dict[str, int | None]  # first relevant rank per way (None: not in the top depth)
    from_previous_topic: bool
    seconds: list[float]  # per turn, through the conversation


def load_conversations(path: Path, source_text) -> tuple[list[EvalConversation], list[str]]:
    """Read a conversation file; bad lines come back as "file:line: why" and are skipped."""
    conversations, problems = [], []
    for number, where, data in read_jsonl(path, "conversation file", problems):
        turns = data.get("turns") if isinstance(data, dict) else None
        if not isinstance(turns, list) or len(turns) < 2 or not all(isinstance(t, str) and t.strip() for t in turns):
            problems.append(f"{where}: needs \"turns\", a list of at least two questions")
            continue
        text = source_text(str(data.get("source")))
        occurrences = find_occurrences(text, data.get("answer") or "") if text is not None else []
        if not occurrences:
            problems.append(f"{where}: gold answer not found in {data.get('source')!r}")
            continue
        last = EvalQuestion(str(data.get("id") or f"line{number}"), turns[-1], data["source"], data["answer"],
                            data.get("kind"), tuple(occurrences))
        conversations.append(EvalConversation(tuple(turns), last))
    if not conversations:
        raise EvalInputError(f"no usable conversation in {path} ({'; '.join(problems[:3]) or 'it is empty'})")
    return conversations, problems


def first_relevant(excerpts, question: EvalQuestion) -> int | None:
    return next((rank for rank, e in enumerate(excerpts, 1) if is_relevant(e, question)), None)


def run_conversation(engine, conversation: EvalConversation, depth: int) -> ConversationOutcome:
    from qabot.conversation import Conversation

    chat = Conversation(engine, k=max(depth, 10))
    seconds, replies = [], []
    for turn in conversation.turns:
        started = time.perf_counter()
        replies.append(chat.ask(turn))
        seconds.append(time.perf_counter() - started)
    previous, last = replies[-2], replies[-1]
    retriever = engine.retriever()
    question = conversation.last
    alone = retriever.ask(question.question, k=max(depth, 10))
    glued = retriever.ask(" ".join(conversation.turns), k=max(depth, 10))
    ranks = {way: first_relevant(answer.excerpts, question)
             for way, answer in zip(WAYS, (last.answer, alone, glued), strict=True)}
    top = last.answer.excerpts[:1]
    seen = {(e.source, e.start) for e in previous.answer.excerpts[:SHOWN]}
    repeated = bool(top) and ranks["conversation"] != 1 and (top[0].source, top[0].start) in seen
    return ConversationOutcome(conversation, ranks, repeated, seconds)


def summarise_conversations(outcomes: list[ConversationOutcome]) -> dict:
    """hit@1/hit@5 per way and kind, topic changes answered from the previous topic, turn latency."""
    result: dict = {"conversations": len(outcomes)}
    kinds = sorted({o.conversation.last.kind or "-" for o in outcomes})
    for kind in ["all", *kinds]:
        rows = [o for o in outcomes if kind == "all" or (o.conversation.last.kind or "-") == kind]
        result[kind] = {"conversations": len(rows)} | {
            f"{way}:hit@{cut}": round(statistics.fmean((o.ranks[way] or 99) <= cut for o in rows), 4)
            for way in WAYS for cut in (1, 5)
        }
    changes = [o for o in outcomes if o.conversation.last.kind == "topic-change"]
    result["topic_change_from_previous_topic"] = sum(o.from_previous_topic for o in changes)
    turns = sorted(s for o in outcomes for s in o.seconds[1:])
    result["later_turn_ms_p50"] = round(1000 * statistics.median(turns), 1) if turns else None
    result["missed"] = [o.conversation.last.id for o in outcomes if (o.ranks["conversation"] or 99) > 5]
    return result


def print_conversation_report(summary: dict) -> None:
    kinds = [k for k in summary if isinstance(summary[k], dict)]
    print(f"{'last turn':<14} {'n':>3}  " + "  ".join(f"{way + ' h@1/h@5':>22}" for way in WAYS))
    for kind in kinds:
        row = summary[kind]
        cells = "  ".join(f"{row[f'{w}:hit@1']:>14.2f} / {row[f'{w}:hit@5']:.2f}" for w in WAYS)
        print(f"{kind:<14} {row['conversations']:>3}  {cells}")
    print(f"topic changes answered from the previous topic: {summary['topic_change_from_previous_topic']}")
    print(f"later turns, p50 through the conversation: {summary['later_turn_ms_p50']} ms")
    if summary["missed"]:
        print("not in the top 5 in conversation: " + ", ".join(summary["missed"]))
