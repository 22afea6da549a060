"""Checking and cleaning a question before retrieval."""

from __future__ import annotations

import unicodedata

from qabot.errors import BadQuestionError


def clean_question(question: str, max_chars: int = 2000) -> str:
    """NFC-normalised, control characters turned to spaces, whitespace joined; errors if nothing is left."""
    if not isinstance(question, str):
        raise BadQuestionError("the question must be text")
    text = unicodedata.normalize("NFC", question)
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} else ch for ch in text)
    text = " ".join(text.split())
    if not text:
        raise BadQuestionError("the question is empty")
    if len(text) > max_chars:
        raise BadQuestionError(f"the question is too long ({len(text)} characters; the limit is {max_chars})")
    if not any(ch.isalnum() for ch in text):
        raise BadQuestionError("the question holds no words")
    return text
