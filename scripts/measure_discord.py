"""Measure the Discord bot against the fake Discord of the tests: defer and answer latency, memory.

    .venv/bin/python scripts/measure_discord.py [--questions 1000] [--rounds 4]

Run from the repository root. The bot runs as `qabot discord` would, in its own process (so its
memory is its own), over the seed index (`embeddings/`, built first if needed); this process
plays Discord. It asks `--rounds` bursts of 20 concurrent /ask (defer latency = INTERACTION_CREATE
sent → callback received; answer latency = → the answer message received), after 20 questions
asked one at a time (the answer latency of a quiet bot), then continues to
`--questions` questions in all (bursts of 20 /ask, and one mention-started thread with a
follow-up per burst), and reads the bot's RSS from /proc before and after. For comparison it
times the same questions asked of the retriever directly, in this process, right after.

The bot caches by question text and by passage, so a repeated question is answered faster than a
new one: questions are drawn in order, without repeating, from the ones written below and those of
the seed evaluation files (`QUESTION_FILES`, read at run time), and the timed ones come first
(1 + 20 + 20 × rounds must not exceed that pool); only the untimed remainder repeats them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

QUESTIONS = [  # written for this script, about the seed documents
    "Why did Kazakhstan call in the CSTO?",
    "How did Russia justify sending troops?",
    "What role did China play?",
    "What were the protests about?",
    "Were the CSTO troops withdrawn quickly?",
    "How did Central Asian neighbours react to the deployment?",
    "How did Tokayev describe the unrest?",
    "What does the intervention mean for the CSTO?",
]
QUESTION_FILES = ("dev.jsonl", "dev2.jsonl", "typed-seeds-blind.jsonl", "offtopic-seeds-blind.jsonl")


def question_pool() -> list[str]:
    """Every distinct question: the written ones, then the seed evaluation files' (in the repo's eval/)."""
    found = list(QUESTIONS)
    for name in QUESTION_FILES:
        path = REPO / "eval" / name
        if path.exists():
            found += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(found))


POOL = question_pool()


def run_bot(api_base: str, gateway: str, channel: str) -> None:
    """The bot process: discord.py pointed at the fake, otherwise exactly `qabot discord`."""
    import discord
    import yarl
    from discord.gateway import DiscordWebSocket

    from qabot.discord_bot import run_discord
    from qabot.settings import DiscordSettings, load_settings

    discord.http.Route.BASE = api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    settings = load_settings()
    settings = settings.model_copy(update={"discord": DiscordSettings(channels=[int(channel)], rate_limit=1_000_000)})
    run_discord(settings)


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def bare_ask_ms() -> list[float]:
    """The same questions asked of the retriever directly (no Discord), for comparison on this machine."""
    from qabot.engine import Engine
    from qabot.settings import load_settings

    retriever = Engine(load_settings()).retriever()
    retriever.ask(POOL[0])
    timings = []
    for number in range(40):
        retriever.forget_questions()  # as a first sight of the question
        started = time.perf_counter()
        retriever.ask(POOL[number % len(POOL)], k=3)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def burst(fake, size: int, offset: int) -> list:
    users = list(fake.users)
    interactions = await asyncio.gather(*(
        fake.slash("ask", user=users[n % len(users)], question=POOL[(offset + n) % len(POOL)]) for n in range(size)
    ))
    await asyncio.gather(*(fake.reply_to(i, timeout=120) for i in interactions))
    return interactions


async def thread_with_follow_up(fake, offset: int) -> None:
    message = await fake.say("{bot} " + POOL[offset % len(POOL)], channel_id=fake.questions)
    thread = await fake.wait_until(lambda: fake.messages[message["id"]].get("thread"), 60, "a thread")
    await fake.bot_messages_after(message, channel_id=thread["id"], timeout=60)
    follow_up = await fake.say("and why?", channel_id=thread["id"])
    await fake.bot_messages_after(follow_up, timeout=60)


async def measure(questions: int, rounds: int) -> dict:
    from fake_discord import TOKEN
    from fake_discord.actions import Discord

    fake = Discord(TOKEN)
    await fake.start()
    env = os.environ | {"QABOT_DISCORD_TOKEN": TOKEN}
    bot = subprocess.Popen([sys.executable, __file__, "--bot", fake.api_base, fake.gateway_url, fake.questions], env=env, cwd=REPO)
    try:
        await fake.wait_until(lambda: fake.commands and fake.identify, 120, "the bot to connect and sync")
        started = time.monotonic()
        await burst(fake, 1, 0)  # the first question waits for the index to load
        first_answer = time.monotonic() - started
        rss_ready = rss_mb(bot.pid)
        alone = []
        for number in range(20):  # one question at a time: the latency of a quiet bot
            alone += await burst(fake, 1, 1 + number)
        timed = []
        for round_number in range(rounds):
            timed += await burst(fake, 20, 21 + 20 * round_number)
        asked = len(timed) + len(alone) + 1
        while asked < questions:
            size = min(20, questions - asked)
            await burst(fake, size, asked)
            asked += size
            if asked + 2 <= questions:
                await thread_with_follow_up(fake, asked)
                asked += 2
        defer = [i.delay * 1000 for i in timed]
        answer = [i.answer_delay * 1000 for i in timed]
        single = [i.answer_delay * 1000 for i in alone]
        rss_after, rss_peak = rss_mb(bot.pid)
        bare = bare_ask_ms()
        late = [i for i in fake.interactions.values() if i.delay is None or i.delay > 3.0]
        return {
            "questions": asked, "distinct_questions": len(POOL), "first_answer_s": round(first_answer, 2),
            "defer_ms_p50": round(percentile(defer, 0.5), 1), "defer_ms_p99": round(percentile(defer, 0.99), 1),
            "bare_ask_ms_p50": round(percentile(bare, 0.5), 1),
            "single_answer_ms_p50": round(percentile(single, 0.5), 1),
            "single_answer_ms_p99": round(percentile(single, 0.99), 1),
            "answer_ms_p50": round(percentile(answer, 0.5), 1), "answer_ms_p99": round(percentile(answer, 0.99), 1),
            "timed_asks": len(timed), "interactions_over_3s": len(late),
            "rss_ready_mb": round(rss_ready[0], 1), "rss_after_mb": round(rss_after, 1), "rss_peak_mb": round(rss_peak, 1),
        }
    finally:
        bot.terminate()
        bot.wait(timeout=30)
        await fake.stop()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--bot":
        run_bot(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4, help="bursts of 20 concurrent /ask that are timed")
    args = parser.parse_args()
    if 21 + 20 * args.rounds > len(POOL):
        parser.error(f"{args.rounds} rounds time {21 + 20 * args.rounds} questions; only {len(POOL)} distinct ones exist")
    result = asyncio.run(measure(args.questions, args.rounds))
    for key, value in result.items():
        print(f"{key:<22} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
