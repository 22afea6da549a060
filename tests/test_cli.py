"""The `qabot` command as users run it: flags in, text or JSON out, short errors, no tracebacks."""

import json
import os
import subprocess
import sys

import pytest

from qabot.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_is_one_object_with_the_contract_fields(capsys, seed_settings):
    code, out, err = run(capsys, "ask", "Who led the interim Kyrgyz authorities in 2010?", "--json", "--k", "3",
                         "--sources", str(seed_settings.sources), "--index", str(seed_settings.index))
    assert code == 0, err
    answer = json.loads(out)
    assert set(answer) == {"question", "abstained", "confidence", "more", "excerpts"}
    assert len(answer["excerpts"]) == 3 and answer["more"] is True
    for rank, excerpt in enumerate(answer["excerpts"], 1):
        assert set(excerpt) == {"source", "start", "end", "text", "score", "rank", "title", "author", "section",
                                "highlight", "page", "also"}
        assert isinstance(excerpt["start"], int) and excerpt["end"] > excerpt["start"] and excerpt["rank"] == rank
        if excerpt["highlight"]:
            assert set(excerpt["highlight"]) == {"start", "end", "text_start", "text_end"}


def test_ask_text_shows_citations(capsys, seed_settings):
    code, out, _ = run(capsys, "ask", "What is new about Moscow's use of the alliance?", "--k", "2",
                       "--sources", str(seed_settings.sources), "--index", str(seed_settings.index))
    assert code == 0
    assert out.startswith("1. ") and "[" in out and ".txt [" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["ask", "   "], "empty"),
        (["ask", "y" * 5000], "too long"),
        (["ask", "hello", "--sources", "/no/such/folder"], "does not exist"),
        (["ask", "hello", "--model", "not-a-model"], "never downloads"),
        (["ask", "hello", "--source", "zzz"], "no indexed source"),
    ],
)
def test_bad_input_exits_nonzero_with_one_line(capsys, seed_settings, argv, message):
    if "--sources" not in argv:
        argv = argv + ["--sources", str(seed_settings.sources), "--index", str(seed_settings.index)]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_config_masks_the_token(capsys, monkeypatch):
    monkeypatch.setenv("QABOT_DISCORD_TOKEN", "super-secret-token-value")
    code, out, _ = run(capsys, "config", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["discord_token"] == "**********"
    assert "super-secret" not in out


def test_index_command_is_quiet_when_nothing_changed(capsys, seed_settings):
    code, out, _ = run(capsys, "index", "--sources", str(seed_settings.sources), "--index", str(seed_settings.index))
    assert code == 0 and "up to date" in out


def test_installed_command_answers_in_a_fresh_process(seed_settings):
    env = {**os.environ, "QABOT_SOURCES": str(seed_settings.sources), "QABOT_INDEX": str(seed_settings.index)}
    done = subprocess.run(
        [sys.executable, "-m", "qabot", "ask", "Why is Kazakhstan important to Tajikistan's economy?", "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["excerpts"]
