"""The `qabot` command: its flags and help (here) and the subcommands (`qabot.commands`).

Heavy imports are lazy, so `qabot --help` is instant."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from qabot import __version__
from qabot.errors import QabotError


def _add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", type=Path, metavar="DIR", help="folder of source documents (default: seeds)")
    parser.add_argument("--index", type=Path, metavar="DIR", help="folder of the built index (default: embeddings)")
    parser.add_argument("--model", metavar="NAME_OR_DIR", help="embedding model: bundled name or local folder")
    parser.add_argument(
        "--collection", metavar="NAME",
        help="a collection named in the settings ([collections.NAME] sources/index) instead of --sources/--index",
    )


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand's flags and help, in one declarative block (long on purpose: the help a
    user reads stays in one place, in the order `qabot --help` lists it)."""
    parser = argparse.ArgumentParser(
        prog="qabot",
        description="Answer questions from a folder of documents with cited, verbatim excerpts.",
    )
    parser.add_argument("--version", action="version", version=f"qabot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser(
        "index", help="build or update the index of the sources folder",
        description="Read the sources folder, split documents into passages, embed them and write the "
        "index. Unchanged files are not embedded again; the write is atomic.",
    )
    _add_location_flags(index)
    index.add_argument("--force", action="store_true", help="rebuild everything, reusing nothing")
    index.add_argument("--json", action="store_true", help="print the build report as JSON")
    index.add_argument(
        "--watch", action="store_true",
        help="keep running: re-index (incrementally) after each change to the sources, one line per rebuild; Ctrl-C stops",
    )
    index.set_defaults(handler="run_index")

    ask = commands.add_parser(
        "ask", help="answer one question with cited excerpts",
        description="Print the excerpts of the sources that best answer QUESTION, each with its "
        "citation. Builds or rebuilds the index first if it is missing or stale.",
    )
    ask.add_argument("question", help="the question, in your own words")
    ask.add_argument("--k", type=int, metavar="N", help="how many excerpts to show (default 5)")
    ask.add_argument("--source", metavar="NAME", help="only quote this document (file name or prefix)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument(
        "--perspectives", action="store_true",
        help="who says what: the best excerpt of each voice (author or speaker) that addresses the question, "
        "and the voices that seem not to",
    )
    _add_location_flags(ask)
    ask.set_defaults(handler="run_ask")

    evaluate = commands.add_parser(
        "eval", help="measure retrieval and abstention over a question set",
        description="Run every question of a JSONL file (id, question, source, answer, kind) and report "
        "hit@1/3/5/10, MRR@10, nDCG@10, recall@k, answered share, abstain accuracy, useful@5, median "
        "excerpt length, a per-kind breakdown and the misses. An excerpt is relevant when it cites the "
        "gold file and covers at least half of an occurrence of the gold span.",
    )
    evaluate.add_argument("--questions", type=Path, metavar="FILE",
                          help="JSONL question file (default eval/dev.jsonl unless --perspectives/--corroboration)")
    evaluate.add_argument("--perspectives", type=Path, metavar="FILE",
                          help="JSONL of questions with the voices that address them (a gold span each) and those "
                          "that do not: precision/recall of 'addressed' (out of fold), voice hit@1, latency")
    evaluate.add_argument("--corroboration", type=Path, metavar="FILE",
                          help="JSONL of span pairs from different sources labelled same claim or not: "
                          "out-of-fold precision/recall of 'also'")
    evaluate.add_argument("--conversations", type=Path, metavar="FILE",
                          help="JSONL conversations (id, turns, source, answer, kind): the last turn's hit@1/hit@5 "
                          "in the conversation, asked alone and glued to the earlier turns")
    evaluate.add_argument("--depth", type=int, default=10, metavar="N",
                          help="excerpts retrieved per question, and the cut-off of recall@N (default 10)")
    evaluate.add_argument("--run-out", type=Path, metavar="FILE", help="write the ranked hits per question (JSONL)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object with all metrics")
    evaluate.add_argument("--plot", type=Path, metavar="FILE.png", help="draw hit@k for k=1..10 per configuration")
    evaluate.add_argument("--compare", metavar="NAME,NAME", help="named configurations to run side by side "
                          "(from settings; default: default,dense,bm25 with --plot, else default)")
    _add_location_flags(evaluate)
    evaluate.set_defaults(handler="run_eval")

    repl = commands.add_parser(
        "repl", help="chat with the sources in the terminal (also: qabot with no arguments)",
        description="Ask questions one after another: answers are cited excerpts; Enter or :more pages on; "
        "short follow-ups ('and Belarus?', 'why?') are read with the previous question; :help lists the "
        "commands. Reading from a pipe, it answers one line at a time in plain text (or JSON lines).",
    )
    repl.add_argument("--k", type=int, metavar="N", help="excerpts per answer (default 3)")
    repl.add_argument("--source", metavar="NAME", help="start with this document as the only source")
    repl.add_argument("--json", action="store_true", help="with a pipe: print JSON lines")
    _add_location_flags(repl)
    repl.set_defaults(handler="run_repl")

    bench = commands.add_parser(
        "bench", help="measure speed: cold and warm asks, build throughput, search at scale",
        description="Print one table: cold `qabot ask` wall time, warm ask p50/p99, index build throughput "
        "against raw model.encode, and for each synthetic size the index type, build time, memory, "
        "bytes on disk, search p50/p99, recall@10 against exact search and BM25 timings.",
    )
    bench.add_argument("--sizes", default="10000,100000,1000000", metavar="N,N,...",
                       help="synthetic corpus sizes (default 10000,100000,1000000; '' for none)")
    bench.add_argument("--corpus", type=int, metavar="N",
                       help="instead: generate a folder of about N passages, build it and ask it "
                       "(build passages/s, cold ask, warm p50/p99, RSS, disk)")
    bench.add_argument("--synthetic-vectors", action="store_true",
                       help="with --corpus: Gaussian-mixture vectors instead of the model (for millions of passages)")
    bench.add_argument("--corpus-dir", type=Path, metavar="DIR",
                       help="with --corpus: generate and build in DIR and keep it (default: a temporary folder, removed)")
    bench.add_argument("--conversations", type=Path, metavar="FILE",
                       help="instead: warm latency per turn of the conversations in FILE, and of the same lines asked alone")
    bench.add_argument("--json", action="store_true", help="print JSON")
    _add_location_flags(bench)
    bench.set_defaults(handler="run_bench")

    show = commands.add_parser(
        "show", help="print the indexed text a citation points at",
        description="Print the text of SOURCE between character offsets START and END, as stored in the "
        "index (for html/pdf the extracted text; for txt/md the file itself), with its citation. "
        "Use it to check any quote qabot gives.",
    )
    show.add_argument("source", metavar="SOURCE", help="the cited source (path, file name or unambiguous prefix)")
    show.add_argument("start", type=int, metavar="START", help="first character offset (from the citation)")
    show.add_argument("end", type=int, metavar="END", help="offset just after the last character")
    show.add_argument("--context", type=int, default=0, metavar="N", help="also show N characters either side")
    show.add_argument("--raw", action="store_true", help="print the text exactly as stored, not display-normalised")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    _add_location_flags(show)
    show.set_defaults(handler="run_show")

    bot = commands.add_parser(
        "discord", help="run the Discord bot (token from QABOT_DISCORD_TOKEN)",
        description="Connect to Discord and answer /ask, mentions and thread follow-ups with cited excerpts "
        "until interrupted. The token comes only from QABOT_DISCORD_TOKEN (environment or .env); the other "
        "settings from [discord] in config/qabot.toml. See the README for creating the application.",
    )
    _add_location_flags(bot)
    bot.set_defaults(handler="run_discord")

    config = commands.add_parser(
        "config", help="show the effective settings (secrets masked)",
        description="Print the settings after defaults, config/qabot.toml, .env, QABOT_* variables and flags.",
    )
    config.add_argument("--json", action="store_true", help="print JSON")
    _add_location_flags(config)
    config.set_defaults(handler="run_config")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # once, at start-up: no library may try a model hub
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `qabot`: the REPL
        args = parser.parse_args(["repl"])
    from qabot import commands

    try:
        return getattr(commands, args.handler)(args)
    except QabotError as error:
        from qabot.render import safe_source_name

        print(f"qabot: error: {safe_source_name(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qabot: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so in one line, the traceback only on request
        if os.environ.get("QABOT_DEBUG"):
            raise
        print(f"qabot: internal error: {type(error).__name__}: {error} (set QABOT_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
