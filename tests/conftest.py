"""Shared, session-scoped fixtures: one loaded model, one exported query encoder and one built index
of the seeds per test run; tiny synthetic folders for the mechanics of building."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

TINY_DOCUMENTS = {
    "rivers.md": "# Rivers\n\nThe river flooded the lower village twice in one spring. The mill by the bridge was "
    "damaged and the miller moved upstream.\n\nA new dam was planned for the following year, but the council "
    "could not agree on who would pay for it.\n",
    "bees.txt": "Keeping bees\n\nA hive needs a sunny place sheltered from the wind. Bees fly up to three miles "
    "to find flowers, and a strong colony makes more honey than it can eat in winter.\n\nBeekeepers take the "
    "surplus in late summer and leave enough for the colony to survive the cold months.\n",
    "lighthouse.txt": "The lighthouse keeper lit the lamp at dusk every evening for forty years. Ships "
    "passing the reef at night steered by its beam, and the keeper logged each one in a ledger.\n",
}


@pytest.fixture(scope="session", autouse=True)
def _shared_encoder_cache(tmp_path_factory):
    """Every index built in this run (in-process or in a subprocess) links one exported encoder."""
    os.environ["QABOT_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "encoder-cache")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path_factory):
    """No test reads the developer's config, .env or QABOT_* variables."""
    for name in list(os.environ):
        if name.startswith("QABOT_") and name != "QABOT_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("QABOT_CONFIG", str(tmp_path_factory.getbasetemp() / "no-such-config.toml"))


@pytest.fixture(scope="session")
def embedder():
    from qabot.embedder import load_embedder

    return load_embedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def seeds_dir(tmp_path_factory) -> Path:
    """A private copy of the seeds, so tests can never change the repo's."""
    folder = tmp_path_factory.mktemp("seeds")
    for path in SEEDS.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="session")
def seed_settings(seeds_dir, tmp_path_factory, embedder):
    from qabot.build import build_index
    from qabot.settings import Settings

    settings = Settings(sources=seeds_dir, index=tmp_path_factory.mktemp("index"))
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def retriever(seed_settings):
    from qabot.retrieval import Retriever

    return Retriever.open(seed_settings)


@pytest.fixture(scope="session")
def engine(seed_settings, retriever):
    from qabot.engine import Engine

    return Engine(seed_settings)


@pytest.fixture
def seed_copy(seed_settings, tmp_path):
    """Settings over a private copy of the seeds and of their built index (cheap: no embedding)."""
    sources = shutil.copytree(seed_settings.sources, tmp_path / "seeds")
    index = shutil.copytree(seed_settings.index, tmp_path / "index", symlinks=True)
    return seed_settings.model_copy(update={"sources": sources, "index": index})


def write_tiny_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_settings(tmp_path, embedder):
    """Three short documents (a few passages): building them takes well under a second."""
    from qabot.settings import Settings

    return Settings(sources=write_tiny_folder(tmp_path / "src"), index=tmp_path / "index")


def make_pdf(path: Path, pages: list[str], title: str | None = None, author: str | None = None) -> Path:
    """A real PDF with one text block per page, drawn with fpdf2 (a test dependency)."""
    import datetime

    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creation_date(datetime.datetime(2022, 3, 4, tzinfo=datetime.timezone.utc))
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target

