"""A sources folder never leaks what lies outside it: links out, loops, hostile files, odd names.

One folder holds every case at once; it is indexed and asked through the real build and retriever,
so each test also shows that the rest of the folder is still answered.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from conftest import make_pdf

from qabot.scan import ReadLimits, scan_folder

ODD_NAME = "lantern\nnotes\x1b[31m.txt"
ODD_SHOWN = "lantern\\nnotes\\x1b[31m.txt"
SECRET = "The vault combination is seven four nine, and the spare key hangs behind the boiler."
TIDES = "Tide tables.\n\nHigh tide at the harbour mouth comes about fifty minutes later each day.\n"


def make_hostile_folder(base: Path) -> Path:
    outside = base / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "private" / "diary.txt").write_text("Dear diary, the orchids bloomed purple today.", encoding="utf-8")
    src = base / "src"
    (src / "notes").mkdir(parents=True)
    (src / "tides.txt").write_text(TIDES, encoding="utf-8")
    (src / "notes" / "bees.md").write_text(
        "# Bees\n\nColonies swarm in late spring when the hive runs out of room.\n", encoding="utf-8"
    )
    (src / ODD_NAME).write_text("The lanterns of the old quarter glow amber at dusk.\n", encoding="utf-8")
    (src / "big.txt").write_text("heavy words " * 6000, encoding="utf-8")  # 72 kB, over the 0.05 MB cap below
    (src / "deep.html").write_text("<html><body>" + "<div>" * 3000 + "<p>Volcanoes sleep.</p></body></html>")
    make_pdf(src / "book.pdf", [f"Chapter {n}. The river rose again in spring." for n in range(1, 31)])
    make_pdf(src / "leaflet.pdf", ["Opening hours.", "The reading room of the library closes at six in the evening."])
    os.symlink(outside / "secret.txt", src / "passwd.txt")  # a file outside
    os.symlink("../outside/private", src / "private")  # a folder outside
    os.symlink("notes/bees.md", src / "bees-link.md")  # a file inside: kept
    os.symlink("..", src / "notes" / "up")  # a folder loop
    os.symlink("pong.txt", src / "ping.txt")  # links pointing at each other
    os.symlink("ping.txt", src / "pong.txt")
    return src


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, embedder):
    """(settings, build report, retriever) over the hostile folder."""
    from qabot.build import build_index
    from qabot.retrieval import Retriever
    from qabot.settings import Settings

    base = tmp_path_factory.mktemp("hostile")
    limits = {"max_file_mb": 0.05, "max_pdf_pages": 20}
    settings = Settings(sources=make_hostile_folder(base), index=base / "index", reading=limits)
    report = build_index(settings)
    return settings, report, Retriever.open(settings)


def where(settings) -> list[str]:
    return ["--sources", str(settings.sources), "--index", str(settings.index)]


def test_links_out_of_the_folder_are_skipped_naming_link_and_target(hostile):
    settings, report, retriever = hostile
    skipped = dict(report.skipped)
    outside = settings.sources.parent.resolve() / "outside"
    assert skipped["passwd.txt"].startswith(f"link to {outside / 'secret.txt'}, outside the sources folder")
    assert skipped["private"].startswith(f"link to {outside / 'private'}, outside the sources folder")
    texts = " ".join(document.text for document in retriever.index.documents.values())
    assert "vault" not in texts and "orchids" not in texts


def test_a_link_inside_the_folder_is_read(hostile):
    settings, report, retriever = hostile
    documents = retriever.index.documents
    assert documents["bees-link.md"].text == (settings.sources / "notes" / "bees.md").read_text(encoding="utf-8")
    assert "bees-link.md" not in dict(report.skipped)


def test_link_loops_are_detected_and_not_followed(hostile):
    _, report, retriever = hostile
    skipped = dict(report.skipped)
    assert skipped["notes/up"].startswith("link loop")
    assert skipped["ping.txt"].startswith("link loop") and skipped["pong.txt"].startswith("link loop")
    assert not any(source.startswith("notes/up/") for source in retriever.index.documents)


def test_oversized_deeply_nested_and_long_files_are_skipped_with_the_reason(hostile):
    _, report, retriever = hostile
    skipped = dict(report.skipped)
    assert skipped["big.txt"].startswith("too large: 0.072 MB") and "max_file_mb" in skipped["big.txt"]
    assert skipped["deep.html"] == "HTML nested more than 512 elements deep (setting reading.max_html_depth)"
    assert skipped["book.pdf"] == "too many pages: 30 (the limit is 20, setting reading.max_pdf_pages)"
    assert sorted(retriever.index.documents) == sorted(
        ["bees-link.md", "leaflet.pdf", "notes/bees.md", "tides.txt", ODD_NAME]
    )


@pytest.mark.parametrize("question, source", [
    ("When is high tide at the harbour?", "tides.txt"),
    ("When do bee colonies swarm?", "notes/bees.md"),
    ("When does the reading room close?", "leaflet.pdf"),
])
def test_the_rest_of_the_folder_is_answered(hostile, question, source):
    _, _, retriever = hostile
    top = retriever.ask(question, k=3).excerpts[0]
    assert top.source in {source, "bees-link.md"}


def test_asking_for_what_lies_outside_quotes_nothing_from_it(hostile):
    _, _, retriever = hostile
    answer = retriever.ask("What is the vault combination and where is the spare key?", k=10)
    assert all("vault" not in excerpt.text for excerpt in answer.excerpts)


def test_the_same_folder_stays_fresh_despite_its_skipped_links_and_files(hostile):
    from qabot.build import build_index
    from qabot.freshness import check_freshness

    settings, _, _ = hostile
    assert check_freshness(settings).fresh
    assert build_index(settings).rebuilt is False


def test_changing_a_reading_limit_makes_the_index_stale(hostile):
    from qabot.freshness import check_freshness

    settings, _, _ = hostile
    freshness = check_freshness(settings.with_overrides({"reading": {"max_pdf_pages": 50}}))
    assert "reading limits changed" in freshness.reasons
    larger = check_freshness(settings.with_overrides({"reading": {"max_file_mb": 1.0}}))
    assert any("big.txt" in reason for reason in larger.reasons)


def test_a_lower_limit_drops_a_document_already_indexed(hostile, tmp_path):
    import shutil

    from qabot.build import build_index
    from qabot.index import Index

    settings, _, _ = hostile
    stricter = settings.with_overrides({"reading": {"max_pdf_pages": 1}, "index": tmp_path / "index"})
    shutil.copytree(settings.index, stricter.index, symlinks=True)
    report = build_index(stricter)
    assert dict(report.skipped)["leaflet.pdf"].startswith("too many pages: 2")
    assert "leaflet.pdf" not in Index.open(stricter.index).documents


def test_outside_links_are_read_only_when_the_setting_allows_them(hostile):
    settings, _, _ = hostile
    allowed = scan_folder(settings.sources, ReadLimits(follow_outside_links=True))
    sources = [path.relative_to(settings.sources).as_posix() for path in allowed.files]
    assert "passwd.txt" in sources and "private/diary.txt" in sources
    assert dict(allowed.skipped)["notes/up"].startswith("link loop")


def test_config_shows_the_outside_links_setting(capsys, monkeypatch):
    from qabot.cli import main

    assert main(["config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reading"]["follow_outside_links"] is False
    monkeypatch.setenv("QABOT_READING__FOLLOW_OUTSIDE_LINKS", "true")
    assert main(["config", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reading"]["follow_outside_links"] is True
    assert main(["config"]) == 0
    assert "'follow_outside_links': True" in capsys.readouterr().out


def test_a_file_name_with_control_characters_is_cited_escaped_in_every_frontend(hostile, capsys):
    from rich.console import Console

    from qabot.chat import handle_line
    from qabot.cli import main
    from qabot.conversation import Conversation
    from qabot.engine import Engine
    from qabot.render import answer_as_json, answer_as_rich, answer_as_text, reply_as_rich, reply_as_text

    settings, _, retriever = hostile
    answer = retriever.ask("What glows amber at dusk?", k=1)
    assert answer.excerpts[0].source == ODD_NAME

    def rich_text(renderable) -> str:
        console = Console(file=io.StringIO(), width=300, color_system=None)
        console.print(renderable)
        return console.file.getvalue()

    conversation = Conversation(Engine(settings), k=1)
    shown = {
        "text": answer_as_text(answer),
        "rich": rich_text(answer_as_rich(answer)),
        "repl answer": reply_as_text(handle_line(conversation, "What glows amber at dusk?")),
        "repl context": rich_text(reply_as_rich(handle_line(conversation, ":context 1"))),
        "repl source": reply_as_text(handle_line(conversation, ":source lantern")),
        "repl sources": reply_as_text(handle_line(conversation, ":sources"))
        + rich_text(reply_as_rich(handle_line(conversation, ":sources"))),
    }
    assert main(["show", "lantern", "0", "20", *where(settings)]) == 0
    shown["show"] = capsys.readouterr().out
    for frontend, output in shown.items():
        assert ODD_SHOWN in output, frontend
        assert "lantern\nnotes" not in output and "\x1b" not in output, frontend
    line = answer_as_json(answer)
    assert line.splitlines() == [line] and json.loads(line)["excerpts"][0]["source"] == ODD_NAME
    assert main(["show", "lantern", "0", "20", "--json", *where(settings)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["source"] == ODD_NAME


def test_build_warnings_name_odd_files_on_one_line(tmp_path, capsys):
    from qabot.progress import PlainReporter

    PlainReporter().message(f"skipped {ODD_NAME}: not UTF-8 text")
    assert capsys.readouterr().err == f"qabot: skipped {ODD_SHOWN}: not UTF-8 text\n"


def test_show_and_context_print_only_the_indexed_text(hostile, capsys):
    """Never the file as it is now: it may have changed, or be replaced by a link out of the folder."""
    from qabot.chat import handle_line
    from qabot.cli import main
    from qabot.conversation import Conversation
    from qabot.engine import Engine

    settings, _, _ = hostile
    engine = Engine(settings)
    engine.retriever()  # loaded while the index is fresh, as a running REPL or bot would be
    path = settings.sources / "tides.txt"
    before = path.stat()
    path.unlink()
    os.symlink(settings.sources.parent / "outside" / "secret.txt", path)
    try:
        assert main(["show", "tides.txt", "0", "40", "--context", "200", *where(settings)]) == 0
        out = capsys.readouterr().out
        assert TIDES[:40].split()[0] in out and "vault" not in out
        assert "changed or gone since it was indexed" in out
        conversation = Conversation(engine, k=1)
        handle_line(conversation, "When is high tide at the harbour?")
        context = handle_line(conversation, ":context 1")
        assert "vault" not in context.before + context.excerpt.text + context.after
        assert main(["show", "passwd.txt", "0", "10", *where(settings)]) == 2  # skipped, so not a source
        assert main(["show", "../outside/secret.txt", "0", "10", *where(settings)]) == 2
        assert "vault" not in capsys.readouterr().out
    finally:
        path.unlink()
        path.write_text(TIDES, encoding="utf-8")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
