from pathlib import Path

import pytest

from qabot.errors import SourcesError
from qabot.sources import find_sections, read_sources

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_manifest_metadata_is_applied():
    documents = {d.source: d for d in read_sources(SEEDS).documents}
    assert documents["002_3cb0feacf9f23aea.txt"].author == "Fyodor A. Lukyanov"
    assert documents["000_869abc7f86ce177d.txt"].title.startswith("The CSTO Intervention in Kazakhstan")


def test_qa_speakers_become_sections():
    text = (
        "Intro line of the interview page.\n\nJane Roe\n\nJane Roe, professor at Some University (Country):\n\n"
        "Will things change?\n\nNo, they will not change at all in my view.\n\n"
        "John Doe, analyst (Other Country):\n\nWill things change?\n\nYes.\n"
    )
    sections = find_sections(text)
    assert [(s.label, s.kind) for s in sections] == [("Jane Roe", "speaker"), ("John Doe", "speaker")]


def test_folder_without_manifest_still_works(tmp_path):
    (tmp_path / "note.md").write_text("# My note\n\nA body of text about things.\n", encoding="utf-8")
    [document] = read_sources(tmp_path).documents
    assert document.title == "My note"
    assert document.author is None


def test_binary_and_undecodable_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "good.txt").write_text("Readable text.", encoding="utf-8")
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    scan = read_sources(tmp_path)
    assert [d.source for d in scan.documents] == ["good.txt"]
    reasons = dict(scan.skipped)
    assert "binary" in reasons["blob.txt"]
    assert "UTF-8" in reasons["latin.txt"]
    assert "unsupported" in reasons["image.png"]


@pytest.mark.parametrize("setup", ["missing", "empty", "only-binary"])
def test_unusable_sources_folder_is_a_clear_error(tmp_path, setup):
    folder = tmp_path / "src"
    if setup != "missing":
        folder.mkdir()
    if setup == "only-binary":
        (folder / "x.txt").write_bytes(b"\x00\x00")
    with pytest.raises(SourcesError):
        read_sources(folder)


def test_named_collection_resolves_to_its_folders(tmp_path, monkeypatch):
    from qabot.errors import SettingsError
    from qabot.settings import load_settings

    config = tmp_path / "qabot.toml"
    config.write_text('[collections.notes]\nsources = "my-notes"\nindex = "my-notes-index"\n\n'
                      '[collections.reports]\nsources = "r"\nindex = "r-index"\n', encoding="utf-8")
    monkeypatch.setenv("QABOT_CONFIG", str(config))
    settings = load_settings(collection="notes")
    assert (settings.sources, settings.index) == (Path("my-notes"), Path("my-notes-index"))
    with pytest.raises(SettingsError, match="known collections: notes, reports"):
        load_settings(collection="nope")
    with pytest.raises(SettingsError, match="not both"):
        load_settings(collection="notes", sources=Path("x"))


def test_unknown_collection_is_a_short_cli_error(capsys):
    from qabot.cli import main

    assert main(["ask", "anything", "--collection", "nope"]) == 2
    assert "unknown collection 'nope'" in capsys.readouterr().err
