"""Shared, session-scoped fixtures: one loaded model and one built index of the seeds per test run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path_factory):
    """No test reads the developer's config, .env or QABOT_* variables."""
    for name in list(os.environ):
        if name.startswith("QABOT_"):
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
    from qabot.settings import Settings

    return Settings(sources=seeds_dir, index=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def retriever(seed_settings):
    from qabot.retrieval import Retriever

    return Retriever.open(seed_settings)


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def engine(seed_settings, retriever):
    """The shared engine over the seed index, as a long-running frontend (the Discord bot) holds it."""
    from qabot._chat_shim import Engine

    return Engine(seed_settings, retriever)
