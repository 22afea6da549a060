"""`qabot bench --conversations FILE`: warm latency per chat turn, beside the same lines asked alone.

A turn of a conversation costs more than a stand-alone ask: it may rank twice (a fused follow-up)
and it checks whether the line starts a new topic. Both are timed warm (index and encoder loaded,
one ask done), each on a retriever of its own so neither profits from the other's query-vector cache.
Beside wall time, the process's CPU time per turn: on a machine shared with other work it moves
far less than wall time (with `indexing.query_threads = 1` it is close to quiet wall time).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from qabot.eval_conversations import load_conversations


def _milliseconds(call) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one call."""
    started, cpu = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _summary(times: list[tuple[float, float]]) -> dict:
    ordered = sorted(wall for wall, _ in times)
    return {"turns": len(ordered), "p50_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 2),
            "cpu_p50_ms": round(statistics.median(cpu for _, cpu in times), 2)}


def run_conversation_bench(settings, path: Path) -> dict:
    """p50/p90 of first turns, later turns and the same lines asked alone, `settings.chat.k` excerpts each."""
    from qabot.conversation import Conversation
    from qabot.engine import Engine
    from qabot.retrieval import Retriever

    engine = Engine(settings)
    retriever = engine.retriever()
    documents = retriever.index.documents
    conversations, _ = load_conversations(path, lambda s: documents[s].text if s in documents else None)
    k = settings.chat.k
    alone = Retriever(retriever.index, settings, retriever.encoder)  # its own query-vector cache
    for warm in (retriever, alone):
        warm.ask("What do the sources say?", k=k)
    lines = [turn for conversation in conversations for turn in conversation.turns]
    alone_times = [_milliseconds(lambda line=line: alone.ask(line, k=k)) for line in lines]
    first, later = [], []
    for conversation in conversations:
        chat = Conversation(engine, k)
        for number, turn in enumerate(conversation.turns):
            (later if number else first).append(_milliseconds(lambda turn=turn: chat.ask(turn)))
    return {"conversations": len(conversations), "k": k, "first_turn": _summary(first),
            "later_turn": _summary(later), "alone": _summary(alone_times)}


def print_conversation_bench(results: dict) -> None:
    print(f"{results['conversations']} conversations, {results['k']} excerpts per answer, warm")
    for name, label in (("first_turn", "first turn"), ("later_turn", "later turns"), ("alone", "same lines alone")):
        row = results[name]
        print(f"{label:<18} n={row['turns']:<4} p50 {row['p50_ms']:>7.2f} ms   p90 {row['p90_ms']:>7.2f} ms"
              f"   CPU p50 {row['cpu_p50_ms']:>7.2f} ms")
