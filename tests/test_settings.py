"""Locks the precedence order: defaults < config/qabot.toml < .env < QABOT_* variables < flags."""

import pytest

from qabot.errors import SettingsError
from qabot.settings import load_settings


@pytest.fixture
def layered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "qabot.toml"
    monkeypatch.setenv("QABOT_CONFIG", str(config))
    return tmp_path, config


def test_defaults(layered):
    settings = load_settings()
    assert settings.k == 5 and str(settings.sources) == "seeds"


def test_toml_over_defaults(layered):
    _, config = layered
    config.write_text("k = 7\nmodel = 'from-toml'\n")
    assert load_settings().k == 7


def test_dotenv_over_toml(layered):
    folder, config = layered
    config.write_text("k = 7\n")
    (folder / ".env").write_text("QABOT_K=8\n")
    assert load_settings().k == 8


def test_environment_over_dotenv(layered, monkeypatch):
    folder, config = layered
    config.write_text("k = 7\n")
    (folder / ".env").write_text("QABOT_K=8\n")
    monkeypatch.setenv("QABOT_K", "9")
    assert load_settings().k == 9


def test_flags_over_everything(layered, monkeypatch):
    folder, config = layered
    config.write_text("k = 7\n")
    (folder / ".env").write_text("QABOT_K=8\n")
    monkeypatch.setenv("QABOT_K", "9")
    assert load_settings(k=10).k == 10
    assert load_settings(k=None).k == 9  # a flag not given does not override


def test_token_is_secret_and_masked(layered, monkeypatch):
    monkeypatch.setenv("QABOT_DISCORD_TOKEN", "abc.def")
    settings = load_settings()
    assert "abc.def" not in repr(settings) and settings.masked()["discord_token"] == "**********"
    assert settings.discord_token.get_secret_value() == "abc.def"


@pytest.mark.parametrize("content", ["k = 0\n", "k = [\n"])
def test_invalid_settings_are_a_clear_error(layered, content):
    _, config = layered
    config.write_text(content)
    with pytest.raises(SettingsError):
        load_settings()


def test_user_configurations_come_on_top_of_the_builtin_ones(layered):
    _, config = layered
    config.write_text('[configurations]\nwide = {retrieval = {dense_weight = 0.7}}\n')
    names = set(load_settings().configurations)
    assert {"default", "dense", "bm25", "wide"} <= names


def test_grouped_settings_layer_key_by_key(layered, monkeypatch):
    folder, config = layered
    config.write_text("[retrieval]\ndense_weight = 0.7\ncandidates = 40\n")
    (folder / ".env").write_text("QABOT_RETRIEVAL__CANDIDATES=30\n")
    monkeypatch.setenv("QABOT_RETRIEVAL__FUSION", "rrf")
    settings = load_settings()
    assert (settings.retrieval.dense_weight, settings.retrieval.candidates, settings.retrieval.fusion) == (0.7, 30, "rrf")
    assert settings.retrieval.voice_bonus == 0.2  # untouched keys of the group keep their default
    assert load_settings(retrieval={"candidates": 20}).retrieval.dense_weight == 0.7


def test_overrides_merge_into_groups_and_are_validated(layered):
    settings = load_settings()
    wide = settings.with_overrides({"retrieval": {"dense_weight": 0.9}})
    assert wide.retrieval.dense_weight == 0.9 and wide.retrieval.fusion == settings.retrieval.fusion
    with pytest.raises(SettingsError, match="dense_weight"):
        settings.with_overrides({"retrieval": {"dense_weight": 3}})
