"""The REPL as people use it: through a pipe (scripts) and a pseudo-terminal (a person)."""

import json
import os
import subprocess
import sys

import pexpect
import pytest


@pytest.fixture
def repl_env(seed_settings, retriever, tmp_path):  # `retriever`: the index is built before the subprocess
    return {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "QABOT_SOURCES": str(seed_settings.sources), "QABOT_INDEX": str(seed_settings.index),
            "QABOT_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}


def test_piped_session_answers_pages_follows_up_filters_and_abstains(repl_env):
    lines = [
        "What did Lukashenko warn Uzbekistan about?",
        ":more",
        "and how did Tolipov react?",
        ":source 002",
        "What did Moscow do?",
        ":all",
        "How do I make a sourdough starter at home?",
        ":nearest",
        ":bogus",
        "\x1b[31m\x07",
    ]
    done = subprocess.run([sys.executable, "-m", "qabot", "repl"], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, env=repl_env, timeout=300)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in out and "qabot>" not in out  # no colour codes, no prompt
    assert "1. " in out and "4. " in out  # first answer, then :more continues the numbering
    assert ".txt [" in out  # citations with character ranges
    assert "(read as a follow-up to: What did Lukashenko warn Uzbekistan about?, and on its own)" in out
    assert "Quoting only 002_3cb0feacf9f23aea.txt" in out
    assert "don't seem to cover this" in out and "Closest passages" in out
    assert "Unknown command" in out
    assert "Traceback" not in out + done.stderr


def test_piped_three_turn_conversation_resolves_he_and_sees_a_new_topic(repl_env):
    lines = [
        "What precedent did Russia set by sending troops to Kazakhstan?",
        "What does he think comes next?",
        "And what did Tokayev say about foreign terrorists?",
    ]
    done = subprocess.run([sys.executable, "-m", "qabot", "repl", "--k", "1"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=repl_env, timeout=300)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    first, second, third = out.split("(more: Enter or :more)")[:3]
    assert "(read as" not in first
    resolved = second.split("(read as: ")[1].split(")")[0]
    assert resolved.startswith("What does ") and resolved.endswith(" think comes next?") and " he " not in resolved
    assert "(read as a follow-up to: What precedent did Russia set by sending troops to Kazakhstan?)" in second
    assert ", and on its own)" in third and "(read as: " not in third  # a new name: the line weighs more
    assert "Traceback" not in out + done.stderr


def test_piped_follow_up_stays_near_the_previous_answer_and_a_new_topic_without_names_stands_alone(repl_env):
    lines = ["How did Belarus take part in the CSTO mission?", "Why?", "and what did the street protesters demand?"]
    done = subprocess.run([sys.executable, "-m", "qabot", "repl", "--json", "--k", "1"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, env=repl_env, timeout=300)
    first, why, protesters = [json.loads(line) for line in done.stdout.splitlines()]
    assert why["follows_up"] == lines[0] and why["excerpts"][0]["source"] == first["excerpts"][0]["source"]
    assert protesters["follows_up"] is None  # "and …" with no new name, but far from the Belarus question
    assert protesters["excerpts"][0]["start"] not in {first["excerpts"][0]["start"], why["excerpts"][0]["start"]}


def test_piped_json_lines(repl_env):
    done = subprocess.run([sys.executable, "-m", "qabot", "repl", "--json", "--k", "2"],
                          input="Why did Kazakhstan call in the CSTO?\n:help\n", capture_output=True, text=True,
                          env=repl_env, timeout=300)
    first, second = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(first["excerpts"]) == 2 and first["abstained"] is False
    assert "message" in second


PROMPT_READING_KEYS = r"\x1b\[\?2004h[^\n]*qabot>"


def test_terminal_session_with_history_and_ctrl_d(repl_env, tmp_path):
    child = pexpect.spawn(sys.executable, ["-m", "qabot"], env=repl_env, encoding="utf-8", timeout=120,
                          dimensions=(50, 160))
    try:
        child.expect("qabot>")
        child.sendline("Who led the interim Kyrgyz authorities in 2010?")
        child.expect(r"\.txt \[\d+:\d+\]")
        child.expect("qabot>")
        child.sendline(":more")
        child.expect(r"4\. ")
        child.expect("qabot>")
        child.sendline("Which company manufactures the iPhone?")
        child.expect("cover this")
        # Control keys only once the prompt reads keys (bracketed paste switched on: raw mode): the
        # prompt's text is drawn also while the previous one closes, and a Ctrl-D typed into the
        # terminal's cooked mode then is eaten by the line discipline (the test hung in 1 of 8 runs)
        child.expect(PROMPT_READING_KEYS)
        child.sendintr()  # Ctrl-C drops the line, the session goes on
        child.expect(PROMPT_READING_KEYS)
        child.sendeof()  # Ctrl-D leaves
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    history = (tmp_path / "state" / "history").read_text(encoding="utf-8")
    assert "Who led the interim Kyrgyz authorities" in history
