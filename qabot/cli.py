"""The `qabot` command. Subcommands parse flags, call the package, print; heavy imports are lazy."""

from __future__ import annotations

import argparse
import json
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
    index.set_defaults(handler=run_index)

    ask = commands.add_parser(
        "ask", help="answer one question with cited excerpts",
        description="Print the excerpts of the sources that best answer QUESTION, each with its "
        "citation. Builds or rebuilds the index first if it is missing or stale.",
    )
    ask.add_argument("question", help="the question, in your own words")
    ask.add_argument("--k", type=int, metavar="N", help="how many excerpts to show (default 5)")
    ask.add_argument("--source", metavar="NAME", help="only quote this document (file name or prefix)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    _add_location_flags(ask)
    ask.set_defaults(handler=run_ask)

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
    show.set_defaults(handler=run_show)

    config = commands.add_parser(
        "config", help="show the effective settings (secrets masked)",
        description="Print the settings after defaults, config/qabot.toml, .env, QABOT_* variables and flags.",
    )
    config.add_argument("--json", action="store_true", help="print JSON")
    _add_location_flags(config)
    config.set_defaults(handler=run_config)
    return parser


def settings_from(args: argparse.Namespace, **extra):
    from qabot.settings import load_settings

    return load_settings(
        collection=getattr(args, "collection", None),
        sources=getattr(args, "sources", None),
        index=getattr(args, "index", None),
        model=getattr(args, "model", None),
        **extra,
    )


def run_index(args: argparse.Namespace) -> int:
    from qabot.index import build_index
    from qabot.progress import reporter_for_terminal

    settings = settings_from(args)
    reporter = reporter_for_terminal()
    if args.watch:
        from qabot.watch import watch_index

        watch_index(settings, lambda line: print(line, flush=True), reporter)
        return 0
    report = build_index(settings, reporter, force=args.force)
    if args.json:
        print(json.dumps(report.__dict__, default=str))
    elif not report.rebuilt:
        print(f"index is up to date: {report.documents} documents, {report.passages} passages ({settings.index})")
    else:
        print(
            f"indexed {report.documents} documents, {report.passages} passages into {settings.index} "
            f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
        )
        if report.removed:
            print(f"removed: {', '.join(report.removed)}")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from qabot.progress import reporter_for_terminal
    from qabot.question import clean_question
    from qabot.render import answer_as_json, answer_as_text
    from qabot.retrieval import Retriever

    settings = settings_from(args, k=args.k)
    clean_question(args.question, settings.max_question_chars)  # fail fast, before loading anything
    retriever = Retriever.open(settings, reporter_for_terminal())
    answer = retriever.ask(args.question, k=settings.k, source=args.source)
    print(answer_as_json(answer) if args.json else answer_as_text(answer), end="\n" if args.json else "")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from qabot.show import show_span, span_as_text

    span = show_span(settings_from(args), args.source, args.start, args.end, args.context)
    print(json.dumps(span.to_dict(), ensure_ascii=False) if args.json else span_as_text(span, raw=args.raw), end="\n" if args.json else "")
    return 0


def run_config(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    data = settings.masked()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            print(f"{key:<{width}}  {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except QabotError as error:
        print(f"qabot: error: {error}", file=sys.stderr)
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
