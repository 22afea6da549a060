"""ASCII grid tables in plain text (`+----+` / `|cell|` lines, as text renderings of manuals have):
their rows, and their cells read back into words for the retrievers.

A grid row wraps each cell over several lines, so read line by line a row is a shuffle of cell
fragments and `|` marks; the embedded and BM25 text joins each cell's fragments instead. The
quoted text is never changed: offsets still point at the raw rows.
"""

from __future__ import annotations

import re

_RULE = re.compile(r"^\s*[+|][-=+|: ]*[-=]{3,}[-=+|: ]*[+|]?\s*$")
_GRID_LINE = re.compile(r"^\s*[|+].*[|+]\s*$")


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, at = [], start
    for line in text[start:end].split("\n"):
        spans.append((at, at + len(line)))
        at += len(line) + 1
    return spans


def is_grid_table(raw: str) -> bool:
    """Most lines are `|…|` or `+--+` lines and at least one is a rule."""
    lines = [line for line in raw.split("\n") if line.strip()]
    grid = sum(1 for line in lines if _GRID_LINE.match(line))
    return len(lines) >= 3 and grid >= 0.8 * len(lines) and any(_RULE.match(line) for line in lines)


def table_rows(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """Spans of the rows of a grid table paragraph (rule lines excluded), or None if it is not one."""
    if not is_grid_table(text[start:end]):
        return None
    rows: list[tuple[int, int]] = []
    current: list[tuple[int, int]] = []
    for line_start, line_end in _lines(text, start, end) + [(end, end)]:
        line = text[line_start:line_end]
        if line_start == end or _RULE.match(line) or not line.strip():
            if current:
                rows.append((current[0][0] + _lead(text, current[0]), current[-1][1]))
            current = []
        else:
            current.append((line_start, line_end))
    return rows


def _lead(text: str, span: tuple[int, int]) -> int:
    line = text[span[0] : span[1]]
    return len(line) - len(line.lstrip())


def readable_table(raw: str) -> str:
    """Each row's cells with their wrapped fragments joined, cells separated by ' | '; rules dropped."""
    rows: list[str] = []
    block: list[str] = []
    for line in raw.split("\n") + [""]:
        if _RULE.match(line) or not line.strip():
            if block:
                rows.append(_row_text(block))
            block = []
        elif _GRID_LINE.match(line):
            block.append(line.strip())
        else:
            block.append("|" + line.strip() + "|")
    return " ; ".join(row for row in rows if row)


def _row_text(lines: list[str]) -> str:
    columns: list[list[str]] = []
    for line in lines:
        cells = line.strip("|+").split("|")
        for number, cell in enumerate(cells):
            while len(columns) <= number:
                columns.append([])
            if cell.strip():
                columns[number].append(cell.strip())
    joined = [re.sub(r"(?<=\w)- (?=[a-z])", "-", " ".join(parts)) for parts in columns]
    return " | ".join(cell for cell in joined if cell)
