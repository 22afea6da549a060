"""What kind of answer a question expects, and whether the best passages could give one.

"How many people live in <country>?" and "In what year was <person> born?" name something the
sources know, so their best passages match well, yet the sources may never state the number or
the date asked for. Such a question is read by its English question words alone (no word lists
about any corpus): "how many / how much / how long / what percentage / the population …" expect
a number, "when / what year / on what date …" a date. The best passages answer it only if one of
their sentences holds the question's own words (other than names) beside a number or a date.
A question's own numerals ("the 2008 crisis") are constraints of the same kind: the best passages
must contain them. `mismatch` is what abstention subtracts (times `retrieval.mismatch_penalty`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qabot.lexical import tokenize

_UNITS = "year|date|day|month|decade|century"
_DATE = re.compile(rf"(when|since when|(in|on|from|by|until|since) (what|which)\s+({_UNITS})|(what|which) ({_UNITS}))\b")
_MEASURES = "percentage|percent|proportion|share|number|population|size|area|length|height|distance|age|cost|price|amount"
_NUMBER = re.compile(
    rf"(how (many|much|long|far|old|big|large|tall|high|deep|wide|heavy|often|fast)"
    rf"|(what|which) ({_MEASURES})|(what|which) is the ({_MEASURES}))\b"
)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_DIGIT = re.compile(r"\d")
_NUMERAL = re.compile(r"\d+")
_LETTERS = re.compile(r"[A-Za-z]+")
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve dozen dozens hundred hundreds thousand "
    "thousands million millions billion billions percent half".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


def expected_type(question: str) -> str | None:
    """"date" or "number" when the question starts by asking for one (English question words), else None."""
    return _asking(question)[0]


def _asking(question: str) -> tuple[str | None, str]:
    """The expected type and the words that ask for it ("in what year", "how many")."""
    start = question.lower().strip()
    for kind, pattern in (("date", _DATE), ("number", _NUMBER)):
        found = pattern.match(start)
        if found:
            return kind, found.group(0)
    return None, ""


def holds(text: str, kind: str) -> bool:
    """Whether `text` has a token of that kind: a date (a year, a month) or a number (digits that
    are not a year, a number word)."""
    if kind == "date":
        return bool(_YEAR.search(text)) or any(w.lower() in _MONTHS for w in _LETTERS.findall(text))
    numbers = (t for t in text.split() if _DIGIT.search(t) and not _YEAR.fullmatch(t.strip(",.;:()")))
    return any(True for _ in numbers) or any(w.lower() in _NUMBER_WORDS for w in _LETTERS.findall(text))


def mismatch(question: str, fact_terms: Iterable[str], sentences: list[str], passages: list[str]) -> float:
    """1 when the question expects a number or date and no sentence of the best passages holds one
    beside a `fact_terms` word (the question's terms other than names; not the words asking, "year"
    in "in what year", unless there are no others: "population", "old"); else the share of the
    question's numerals that the best passages (`passages`, their texts) lack; 0 when neither applies."""
    kind, asking = _asking(question)
    if kind is not None:
        wanted = set(fact_terms) - set(tokenize(asking)) or set(fact_terms)
        if not any(holds(s, kind) and wanted & set(tokenize(s)) for s in sentences):
            return 1.0
    numerals = set(_NUMERAL.findall(question))
    if not numerals:
        return 0.0
    found = set(_NUMERAL.findall(" ".join(passages)))
    return len(numerals - found) / len(numerals)
