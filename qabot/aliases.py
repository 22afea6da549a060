"""Other names for the same thing, expanded into a question before BM25 scores it.

Two sources, both about the user's own folder and nothing hand-written in qabot:
- a synonyms file the user edits, in Solr's format: `a, b, c` (all equivalent) or `a => b`
  (a question saying `a` also searches `b`); `#` starts a comment;
- aliases the documents state themselves: "<Full Name> (<ACRONYM>)" where the acronym's letters
  are the initials of the words before it (small words like "of"/"and" may be skipped).
Matching is on whole words, case-insensitive for phrases and case-sensitive for acronyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qabot.errors import SettingsError

_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]?[A-Z]{1,8})\)")
_SMALL_WORDS = {"of", "and", "for", "the", "in", "on", "to", "de", "du", "des", "la", "le", "&"}


def parse_synonyms(text: str, origin: str = "synonyms") -> list[tuple[list[str], list[str]]]:
    """Solr synonym lines as (phrases that trigger, phrases searched as well)."""
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, _, right = line.partition("=>")
            sources, targets = _phrases(left), _phrases(right)
        else:
            sources = targets = _phrases(line)
        if not sources or not targets or (sources == targets and len(sources) < 2):
            raise SettingsError(f"{origin}:{number}: expected 'a, b' or 'a => b'")
        rules.append((sources, targets))
    return rules


def _phrases(part: str) -> list[str]:
    return [p.strip() for p in part.split(",") if p.strip()]


def load_synonyms(path: Path | None) -> list[tuple[list[str], list[str]]]:
    if path is None or not path.is_file():
        return []
    try:
        return parse_synonyms(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot read synonyms file {path}: {error}") from None


def mine_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """ACRONYM → full name, for every "<Full Name> (<ACRONYM>)" whose initials spell the acronym."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _ACRONYM.finditer(text):
            acronym = match.group(1)
            if acronym in found:
                continue
            words = re.findall(r"[\w&'-]+", text[max(0, match.start() - 200) : match.start()])
            name = _expansion(words, acronym)
            if name:
                found[acronym] = name
    return found


def _expansion(words: list[str], acronym: str) -> str | None:
    """The shortest run of words ending before the acronym whose capitalised initials spell it."""
    letters = [c for c in acronym if c.isupper()]
    picked: list[str] = []
    for word in reversed(words):
        if not letters:
            break
        if word.lower() in _SMALL_WORDS and picked:
            picked.append(word)
            continue
        if not word[0].isupper() or word[0] != letters[-1]:
            return None
        picked.append(word)
        letters.pop()
    if letters or len(picked) < 2:
        return None
    return " ".join(reversed(picked))


@dataclass
class Aliases:
    """Expansion rules: each (trigger phrases, phrases added when one occurs in a question)."""

    rules: list[tuple[list[str], list[str]]] = field(default_factory=list)

    @classmethod
    def from_sources(cls, synonyms: Path | None, texts: Iterable[str]) -> Aliases:
        return cls.from_acronyms(synonyms, mine_acronyms(texts))

    @classmethod
    def from_acronyms(cls, synonyms: Path | None, acronyms: dict[str, str]) -> Aliases:
        """The synonyms file's rules plus the acronyms mined from the documents (at build time)."""
        rules = load_synonyms(synonyms)
        for acronym, name in acronyms.items():
            rules.append(([acronym, name], [acronym, name]))
        return cls(rules)

    def expansions(self, question: str) -> list[str]:
        """Phrases to search besides the question's own words (none it already contains)."""
        added: list[str] = []
        lowered = question.lower()
        for triggers, targets in self.rules:
            if any(phrase.lower() in lowered and _contains(question, phrase) for phrase in triggers):
                added.extend(t for t in targets if not _contains(question, t) and t not in added)
        return added


def _contains(text: str, phrase: str) -> bool:
    flags = 0 if phrase.isupper() else re.IGNORECASE
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, flags) is not None
