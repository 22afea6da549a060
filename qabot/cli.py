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

    evaluate = commands.add_parser(
        "eval", help="measure retrieval and abstention over a question set",
        description="Run every question of a JSONL file (id, question, source, answer, kind) and report "
        "hit@1/3/5/10, MRR@10, nDCG@10, recall@k, answered share, abstain accuracy, useful@5, median "
        "excerpt length, a per-kind breakdown and the misses. An excerpt is relevant when it cites the "
        "gold file and covers at least half of an occurrence of the gold span.",
    )
    evaluate.add_argument("--questions", type=Path, default=Path("eval/dev.jsonl"), metavar="FILE",
                          help="JSONL question file (default eval/dev.jsonl)")
    evaluate.add_argument("--conversations", type=Path, metavar="FILE",
                          help="instead of questions, JSONL conversations (id, turns, source, answer, kind): the last "
                          "turn's hit@1/hit@5 in the conversation, asked alone and glued to the earlier turns")
    evaluate.add_argument("--depth", type=int, default=10, metavar="N",
                          help="excerpts retrieved per question, and the cut-off of recall@N (default 10)")
    evaluate.add_argument("--run-out", type=Path, metavar="FILE", help="write the ranked hits per question (JSONL)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object with all metrics")
    evaluate.add_argument("--plot", type=Path, metavar="FILE.png", help="draw hit@k for k=1..10 per configuration")
    evaluate.add_argument("--compare", metavar="NAME,NAME", help="named configurations to run side by side "
                          "(from settings; default: default,dense,bm25 with --plot, else default)")
    _add_location_flags(evaluate)
    evaluate.set_defaults(handler=run_eval)

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
    repl.set_defaults(handler=run_repl)

    bench = commands.add_parser(
        "bench", help="measure speed: cold and warm asks, build throughput, search at scale",
        description="Print one table: cold `qabot ask` wall time, warm ask p50/p99, index build throughput "
        "against raw model.encode, and for each synthetic size the index type, build time, memory, "
        "bytes on disk, search p50/p99, recall@10 against exact search and BM25 timings.",
    )
    bench.add_argument("--sizes", default="10000,100000,1000000", metavar="N,N,...",
                       help="synthetic corpus sizes (default 10000,100000,1000000; '' for none)")
    bench.add_argument("--json", action="store_true", help="print JSON")
    _add_location_flags(bench)
    bench.set_defaults(handler=run_bench)

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
    from qabot.build import build_index
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
    if args.json:
        print(answer_as_json(answer))
    elif sys.stdout.isatty():
        from rich.console import Console

        from qabot.render import answer_as_rich

        Console().print(answer_as_rich(answer))
    else:
        print(answer_as_text(answer), end="")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    import time

    from qabot import evaluation
    from qabot.configurations import configuration_settings, open_retrievers
    from qabot.errors import SettingsError
    from qabot.progress import reporter_for_terminal

    settings = settings_from(args)
    names = [n.strip() for n in (args.compare or ("default,dense,bm25" if args.plot else "default")).split(",") if n.strip()]
    for name in names:
        configuration_settings(settings, name)  # unknown names fail before any work
    if args.depth < 1:
        raise SettingsError("--depth must be at least 1")
    if args.conversations:
        return run_eval_conversations(args, settings, names)
    retrievers = open_retrievers(settings, names, reporter_for_terminal())
    documents = next(iter(retrievers.values())).index.documents
    questions = evaluation.load_questions(args.questions, lambda s: documents[s].text if s in documents else None)
    for problem in questions.problems:
        print(f"qabot: skipped {problem}", file=sys.stderr)
    started = time.perf_counter()
    outcomes, results = {}, {}
    for name, retriever in retrievers.items():
        progress = reporter_for_terminal(f"{name}: questions")
        outcomes[name] = evaluation.run_questions(retriever, questions.questions, args.depth, progress)
        results[name] = evaluation.summarise(outcomes[name], args.depth)
        if args.run_out:
            path = args.run_out if len(names) == 1 else args.run_out.with_name(f"{args.run_out.stem}.{name}{args.run_out.suffix}")
            evaluation.write_run(outcomes[name], path)
    seconds = time.perf_counter() - started
    if args.plot:
        from qabot.eval_report import hit_curve, plot_hit_curves

        plot_hit_curves({n: hit_curve(o) for n, o in outcomes.items()}, args.plot)
    if args.json:
        print(json.dumps({"questions_file": str(args.questions), "depth": args.depth, "seconds": round(seconds, 2),
                          "skipped": questions.problems, "configurations": results}))
    else:
        from qabot.eval_report import print_report

        print_report(results, outcomes, args.depth, seconds)
    return 0


def run_eval_conversations(args: argparse.Namespace, settings, names: list[str]) -> int:
    from qabot import eval_conversations as conversations
    from qabot.configurations import configuration_settings
    from qabot.engine import Engine
    from qabot.progress import reporter_for_terminal

    results = {}
    for name in names:
        engine = Engine(configuration_settings(settings, name), reporter_for_terminal())
        documents = engine.retriever().index.documents
        loaded, problems = conversations.load_conversations(
            args.conversations, lambda s: documents[s].text if s in documents else None
        )
        for problem in problems if name == names[0] else ():
            print(f"qabot: skipped {problem}", file=sys.stderr)
        outcomes = [conversations.run_conversation(engine, c, args.depth) for c in loaded]
        results[name] = conversations.summarise_conversations(outcomes)
    if args.json:
        print(json.dumps({"conversations_file": str(args.conversations), "configurations": results}))
        return 0
    for name, summary in results.items():
        if len(results) > 1:
            print(f"== {name}")
        conversations.print_conversation_report(summary)
    return 0


def run_repl(args: argparse.Namespace) -> int:
    from qabot.repl import run_repl as repl

    k = getattr(args, "k", None)
    settings = settings_from(args, chat={"k": k} if k is not None else None)
    return repl(settings, settings.chat.k, getattr(args, "source", None), getattr(args, "json", False))


def run_bench(args: argparse.Namespace) -> int:
    from qabot import benchmark
    from qabot.errors import SettingsError

    try:
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        raise SettingsError(f"--sizes takes whole numbers separated by commas, not '{args.sizes}'") from None
    if any(size < 1 for size in sizes):
        raise SettingsError("--sizes must be positive")
    results = benchmark.run(settings_from(args), sizes)
    if args.json:
        print(json.dumps(results))
    else:
        benchmark.print_table(results)
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
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # once, at start-up: no library may try a model hub
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `qabot`: the REPL
        args = parser.parse_args(["repl"])
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
