"""The `qabot` subcommands: each takes the parsed flags, calls the package, prints; imports are lazy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


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
            from qabot.render import safe_source_name

            print(f"removed: {safe_source_name(', '.join(report.removed))}")
    return 0


def run_ask(args: argparse.Namespace) -> int:
    from qabot.question import clean_question

    settings = settings_from(args, k=args.k)
    clean_question(args.question, settings.max_question_chars)  # fail fast, before loading anything
    from qabot.query_encoder import EncoderPreload

    preload = EncoderPreload(settings.index, settings.indexing.query_threads)  # opens while the rest imports
    from qabot.progress import reporter_for_terminal
    from qabot.render import answer_as_json, answer_as_text
    from qabot.retrieval import Retriever

    retriever = Retriever.open(settings, reporter_for_terminal(), preload)
    if args.perspectives:
        from qabot.voice_commands import print_perspectives

        return print_perspectives(retriever.perspectives(args.question, source=args.source, k=settings.k), args.json)
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
    from qabot.progress import BarReporter, reporter_for_terminal

    if args.perspectives or args.corroboration:
        from qabot.voice_commands import run_voice_eval

        if args.questions:
            raise SettingsError("--questions runs on its own; give --perspectives/--corroboration in another run")
        return run_voice_eval(args, settings_from(args))
    args.questions = args.questions or Path("eval/dev.jsonl")
    settings = settings_from(args)
    names = [n.strip() for n in (args.compare or ("default,dense,bm25" if args.plot else "default")).split(",") if n.strip()]
    for name in names:
        configuration_settings(settings, name)  # unknown names fail before any work
    if args.depth < 1:
        raise SettingsError("--depth must be at least 1")
    if args.conversations:
        return run_eval_conversations(args, settings, names)
    retrievers = open_retrievers(settings, names, reporter_for_terminal())
    questions = evaluation.load_questions(args.questions, evaluation.source_text_of(next(iter(retrievers.values())).index))
    for problem in questions.problems:
        print(f"qabot: skipped {problem}", file=sys.stderr)
    started = time.perf_counter()
    outcomes, results = {}, {}
    for name, retriever in retrievers.items():
        progress = BarReporter(f"{name}: questions") if sys.stderr.isatty() else None
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
    if args.conversations is not None:
        return _bench_conversations(args)
    if args.corpus is not None:
        if args.corpus < 1:
            raise SettingsError("--corpus must be positive")
        return _bench_corpus(args)
    results = benchmark.run(settings_from(args), sizes)
    if args.json:
        print(json.dumps(results))
    else:
        benchmark.print_table(results)
    return 0


def _bench_conversations(args: argparse.Namespace) -> int:
    from qabot import conversation_bench

    results = conversation_bench.run_conversation_bench(settings_from(args), args.conversations)
    if args.json:
        print(json.dumps(results))
    else:
        conversation_bench.print_conversation_bench(results)
    return 0


def _bench_corpus(args: argparse.Namespace) -> int:
    import tempfile

    from qabot import corpus_bench

    if args.corpus_dir is not None:
        results = corpus_bench.run_corpus(settings_from(args), args.corpus, args.synthetic_vectors, args.corpus_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="qabot-bench-") as folder:
            results = corpus_bench.run_corpus(settings_from(args), args.corpus, args.synthetic_vectors, Path(folder))
    if args.json:
        print(json.dumps(results))
    else:
        corpus_bench.print_corpus(results)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from qabot.render import json_line
    from qabot.show import show_span, span_as_text

    span = show_span(settings_from(args), args.source, args.start, args.end, args.context)
    print(json_line(span.to_dict()) if args.json else span_as_text(span, raw=args.raw), end="\n" if args.json else "")
    return 0


def run_discord(args: argparse.Namespace) -> int:
    from qabot.discord_bot import run_discord as run

    return run(settings_from(args))


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


