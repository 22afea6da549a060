"""What the fitting scripts share: their command line, and the questions of several files read
against one opened index (gold offsets checked on its documents)."""

from __future__ import annotations

import argparse
from pathlib import Path

from qabot import evaluation
from qabot.retrieval import Retriever
from qabot.settings import load_settings


def retriever_and_questions(description: str) -> tuple[Retriever, list[evaluation.Question]]:
    """Parse `questions... [--sources DIR --index DIR]`, open that index, read every question file."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("questions", nargs="+", type=Path)
    parser.add_argument("--sources", type=Path, default=Path("seeds"))
    parser.add_argument("--index", type=Path, default=Path("embeddings"))
    args = parser.parse_args()
    retriever = Retriever.open(load_settings(sources=args.sources, index=args.index))
    source_text = evaluation.source_text_of(retriever.index)
    return retriever, [q for path in args.questions for q in evaluation.load_questions(path, source_text).questions]
