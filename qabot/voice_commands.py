"""`qabot ask --perspectives` output and `qabot eval --perspectives/--corroboration` (issue 16)."""

from __future__ import annotations

import json
import sys


def print_perspectives(perspectives, as_json: bool) -> int:
    from qabot.render import as_text, json_line, perspectives_lines

    if as_json:
        print(json_line(perspectives.to_dict()))
    elif sys.stdout.isatty():
        from rich.console import Console

        from qabot.render import as_rich

        Console().print(as_rich(perspectives_lines(perspectives)))
    else:
        print(as_text(perspectives_lines(perspectives)), end="")
    return 0


def run_voice_eval(args, settings) -> int:
    """The two labelled sets of perspectives and corroboration; figures for anything fitted are out of fold."""
    from qabot.corroboration_eval import evaluate_pairs, load_pairs
    from qabot.perspective_eval import evaluate_perspectives, questions_of, voice_cases
    from qabot.progress import reporter_for_terminal
    from qabot.retrieval import Retriever

    retriever = Retriever.open(settings, reporter_for_terminal())
    results, problems = {}, []
    if args.perspectives:
        cases, skipped = voice_cases(retriever, args.perspectives)
        problems += skipped
        results["perspectives"] = evaluate_perspectives(retriever, cases, questions_of(args.perspectives))
    if args.corroboration:
        pairs, skipped = load_pairs(args.corroboration, retriever.index)
        problems += skipped
        current = (settings.retrieval.also_term_weight, settings.retrieval.also_threshold)
        results["corroboration"] = evaluate_pairs(pairs, current)
    for problem in problems:
        print(f"qabot: skipped {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(results | {"skipped": problems}))
    else:
        for name, figures in results.items():
            print(name)
            for key, value in figures.items():
                print(f"  {key:<32} {value}")
    return 0
