"""Each supported format, made in the test, read and asked about through the real retriever."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_pdf

from qabot.sources import read_sources

MARKDOWN = """---
title: Beekeeping Notes
author: Ada Hive
date: 2024-05-01
---

# Beekeeping Notes

Some words on keeping bees in a small garden.

## Swarming

Colonies swarm in late spring when the hive runs out of room. The old queen leaves with about
half of the workers and the swarm settles on a nearby branch before finding a new home.

## Winter care

In winter the bees cluster around the queen and shiver their flight muscles to stay warm. Leave
enough honey in the hive: a strong colony eats about twenty kilograms before spring.
"""

HTML = """<!DOCTYPE html>
<html lang="en"><head>
  <meta charset="utf-8">
  <title>Lighthouses of the North Coast | Coastal Gazette</title>
  <meta name="author" content="Brendan Shore">
  <meta property="article:published_time" content="2023-09-14">
  <style>body { font-family: serif; } .ad { color: red }</style>
  <script>window.analytics = {track: function () {}}; console.log("tracking pixel loaded");</script>
</head><body>
  <header><a href="/">Coastal Gazette</a> <span>Subscribe now for unlimited access</span></header>
  <nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
    <li><a href="/weather">Weather forecast and tide tables</a></li></ul></nav>
  <main>
    <article>
      <h1>Lighthouses of the North Coast</h1>
      <p class="byline">By Brendan Shore</p>
      <h2>The Fresnel lens</h2>
      <p>The great lighthouses use a <em>Fresnel lens</em>, which bends the light of a single lamp
         into a beam that can be seen thirty kilometres out to sea. Each lighthouse has its own
         pattern of flashes so that sailors can tell them apart at night.</p>
      <h2>Keepers</h2>
      <p>Until the automation of the 1980s, keepers lived on the rocks in shifts of four weeks,
         trimming wicks, winding the clockwork and logging the weather every three hours.</p>
      <ul><li>Shift length: four weeks</li><li>Weather log: every three hours</li></ul>
    </article>
  </main>
  <aside><h3>Most read</h3><p>Council approves new car park near the harbour</p></aside>
  <footer><p>© 2023 Coastal Gazette. All rights reserved. Cookie settings.</p></footer>
  <script>document.write("late script");</script>
</body></html>
"""

PDF_PAGES = [
    "Annual Report of the Orchard Cooperative.\n\nThis report covers the harvest year, the state of the trees "
    "and the accounts of the cooperative. It was approved by the members at the general meeting in March. "
    "The board thanks every member who gave time to the pruning days and to the open farm weekend, which "
    "brought more than two thousand visitors to the orchard and its shop.",
    "Apple harvest.\n\nThe apple harvest reached four hundred tonnes, the best result in ten years, thanks to a "
    "warm spring and no late frost during blossom. Most of the fruit went to the juice press; the rest was "
    "sold as table apples at the farm shop and to two regional supermarkets at a fair price agreed in advance. "
    "Storage losses in the cold rooms stayed under three percent.",
    "Pear trees.\n\nThe pear trees suffered from fire blight; thirty trees were cut down and burned to stop "
    "the disease spreading through the orchard. New rootstock resistant to the bacterium will be planted in "
    "the autumn, and the pruning tools are now disinfected between trees as the plant health service advised. "
    "The pear crop was therefore small this year.",
]

PLAIN = "Tide tables.\n\nHigh tide at the harbour mouth comes about fifty minutes later each day.\n"


def make_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes").mkdir(exist_ok=True)
    (folder / "notes" / "bees.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "lighthouses.html").write_text(HTML, encoding="utf-8")
    (folder / "tides.txt").write_text(PLAIN, encoding="utf-8")
    make_pdf(folder / "report.pdf", PDF_PAGES, "Orchard Report", "Orchard Cooperative")
    return folder


@pytest.fixture(scope="module")
def formats_dir(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("formats"))


@pytest.fixture(scope="module")
def formats_retriever(formats_dir, tmp_path_factory, embedder):
    from qabot.retrieval import Retriever
    from qabot.settings import Settings

    return Retriever.open(Settings(sources=formats_dir, index=tmp_path_factory.mktemp("formats-index")))


def test_every_format_is_read_recursively(formats_dir):
    scan = read_sources(formats_dir)
    assert sorted(d.source for d in scan.documents) == ["lighthouses.html", "notes/bees.md", "report.pdf", "tides.txt"]
    assert scan.skipped == []


def test_markdown_front_matter_gives_metadata_and_offsets_stay_in_the_file(formats_dir):
    [document] = [d for d in read_sources(formats_dir).documents if d.source.endswith(".md")]
    assert (document.title, document.author, document.date) == ("Beekeeping Notes", "Ada Hive", "2024-05-01")
    assert document.text == (formats_dir / "notes" / "bees.md").read_text(encoding="utf-8")
    assert [s.label for s in document.sections] == ["Beekeeping Notes", "Swarming", "Winter care"]


def test_html_keeps_main_text_and_drops_boilerplate(formats_dir):
    [document] = [d for d in read_sources(formats_dir).documents if d.source.endswith(".html")]
    assert document.title == "Lighthouses of the North Coast | Coastal Gazette"
    assert (document.author, document.date) == ("Brendan Shore", "2023-09-14")
    assert "Fresnel lens, which bends the light" in document.text
    assert "Shift length: four weeks" in document.text
    for boilerplate in ("Subscribe", "Sport", "Most read", "car park", "Cookie", "analytics", "late script", "font-family"):
        assert boilerplate not in document.text
    assert [s.label for s in document.sections] == ["Lighthouses of the North Coast", "The Fresnel lens", "Keepers"]
    for section in document.sections:
        assert document.text[section.start:].startswith(section.label)


def test_pdf_pages_and_info(formats_dir):
    [document] = [d for d in read_sources(formats_dir).documents if d.source.endswith(".pdf")]
    assert (document.title, document.author, document.date) == ("Orchard Report", "Orchard Cooperative", "2022-03-04")
    assert len(document.pages) == 3
    assert document.page_at(document.text.index("four hundred tonnes")) == 2
    assert document.page_at(document.text.index("fire blight")) == 3
    assert document.text[document.pages[2]:].startswith("Pear trees.")


def test_sources_toml_overrides_document_metadata(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "sources.toml").write_text(
        '["report.pdf"]\ntitle = "Harvest 2022"\n\n["notes/bees.md"]\nauthor = "A. Hive"\n', encoding="utf-8"
    )
    documents = {d.source: d for d in read_sources(tmp_path).documents}
    assert documents["report.pdf"].title == "Harvest 2022"
    assert documents["report.pdf"].author == "Orchard Cooperative"
    assert documents["notes/bees.md"].author == "A. Hive"


@pytest.mark.parametrize("name, content, reason", [
    ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "PDF"),
    ("empty.pdf", None, "no extractable text"),
])
def test_unreadable_pdfs_are_skipped_with_the_reason(tmp_path, name, content, reason):
    (tmp_path / "ok.txt").write_text("Some readable text here.", encoding="utf-8")
    if content is None:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.output(str(tmp_path / name))
    else:
        (tmp_path / name).write_bytes(content)
    skipped = dict(read_sources(tmp_path).skipped)
    assert reason in skipped[name]


@pytest.mark.parametrize("question, source, where", [
    ("Why do bee colonies swarm?", "notes/bees.md", ("section", "Swarming")),
    ("How do bees keep warm in winter?", "notes/bees.md", ("section", "Winter care")),
    ("What lens do lighthouses use?", "lighthouses.html", ("section", "The Fresnel lens")),
    ("How long were the shifts of lighthouse keepers?", "lighthouses.html", ("section", "Keepers")),
    ("How big was the apple harvest?", "report.pdf", ("page", 2)),
    ("What disease hit the pear trees?", "report.pdf", ("page", 3)),
    ("When is high tide at the harbour?", "tides.txt", ("page", None)),
])
def test_questions_are_answered_from_each_format_with_exact_citations(formats_retriever, question, source, where):
    from qabot.display import normalise

    top = formats_retriever.ask(question, k=3).excerpts[0]
    assert top.source == source
    field, value = where
    assert getattr(top, field) == value
    document = formats_retriever.index.documents[source]
    assert top.text == normalise(document.text[top.start:top.end])


def test_show_prints_the_stored_text_a_citation_points_at(formats_retriever, capsys):
    from qabot.cli import main

    top = formats_retriever.ask("What disease hit the pear trees?", k=1).excerpts[0]
    settings = formats_retriever.settings
    where = ["--sources", str(settings.sources), "--index", str(settings.index)]
    assert main(["show", "report", str(top.start), str(top.end), "--json", *where]) == 0
    import json

    shown = json.loads(capsys.readouterr().out)
    assert (shown["source"], shown["text"], shown["page"]) == ("report.pdf", top.text, 3)
    assert main(["show", "lighthouses.html", "0", "30", "--raw", "--context", "5", *where]) == 0
    out = capsys.readouterr().out
    assert "»Lighthouses of the North Coast«" in out and "p." not in out and "§ Lighthouses" in out


@pytest.mark.parametrize("argv, message", [
    (["show", "nothing-like-this", "0", "5"], "no indexed source matches"),
    (["show", "tides.txt", "10", "5"], "not a range"),
    (["show", "tides.txt", "0", "100000"], "not a range"),
])
def test_show_rejects_unknown_sources_and_bad_offsets(formats_retriever, capsys, argv, message):
    from qabot.cli import main

    settings = formats_retriever.settings
    assert main([*argv, "--sources", str(settings.sources), "--index", str(settings.index)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
